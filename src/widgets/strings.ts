// Every sentence the widget kit itself shows or logs, in one place so a translation replaces this
// module and nothing else. Widgets' own labels and messages stay with the widget. The browser and
// unit tests read several of these sentences word for word.

export const kitStrings = {
  // The shell (components/Widget.astro), before any script runs.
  waiting: 'Interactive figure: it starts when you scroll to it.',
  needsJavaScript: 'This figure needs JavaScript; the text above says what it shows.',
  retry: 'Retry',
  exportFigure: 'Export',

  // The export panel (src/widgets/export.ts).
  exportPanel: {
    ready: 'The figure as it is now, with its settings:',
    noChart: 'This figure draws no chart to export; its settings and link:',
    pngFailed: (reason: string) => `The PNG could not be made: ${reason}`,
    download: 'Download: ',
    state: 'State',
    permalink: 'Permalink (this figure in this state)',
    preview: (width: number, height: number) => `The figure as a PNG image, ${width} × ${height} pixels`,
  },

  // Starting a widget (src/widgets/loader.ts, src/embed/liveWidget.ts, src/widgets/mount.ts).
  loadingFigure: 'Loading the interactive figure…',
  starting: 'Starting the figure…',
  couldNotStart: (reason: string) => `This figure could not start: ${reason}`,
  noWidget: (name: string) => `there is no widget named "${name}"`,

  // The model (WidgetContext.model, components/modelWidgetParts.ts, components/promptTokens.ts).
  loadingModel: 'Loading the model…',
  modelCouldNotLoad: (reason: string) => `The model could not load: ${reason}`,
  modelCouldNotRun: 'The model could not run',
  noRuntime: 'This build of the site has no model runtime (src/runtime/client.ts).',
  noTokenizer: 'The model has no tokenizer.json, so it cannot read typed text.',
  needsShippedModel: (why: string) => `This figure needs the shipped model: ${why}. Go back to the shipped model (the bar at the bottom of the page) to see it.`,

  // Bring your own model: the bar at the bottom of a chapter page (src/widgets/modelPicker.ts).
  modelPicker: {
    region: 'Model',
    shipped: 'The figures run the notebook’s own model.',
    hint: 'To try yours, choose or drop its files: a Hugging Face folder (config.json, .safetensors, tokenizer.json) or a llama2.c .bin with its tokenizer .bin.',
    reader: (name: string, parameters: number, layers: number, vocab: number, hasTokenizer: boolean) =>
      `The figures run your model ${name}: ${parameters.toLocaleString('en-US')} parameters, ${layers} layers, a vocabulary of ${vocab.toLocaleString('en-US')} tokens${hasTokenizer ? '' : ' (no tokenizer, so figures that read text cannot run)'}. The prose describes the notebook’s own model.`,
    chooseFiles: 'Use your own model…',
    chooseFolder: 'Choose a folder…',
    back: 'Back to the shipped model',
    loading: (names: string[]) => `Loading ${names.join(', ')}…`,
    loadingShipped: 'Loading the shipped model…',
    shippedBack: 'The figures run the notebook’s own model again.',
    couldNotLoad: (reason: string) => `Your model could not load: ${reason} The figures keep the model they had.`,
    noModelFiles: (names: string[]) =>
      `None of ${names.join(', ')} is a model file: choose config.json with a .safetensors file (and tokenizer.json), or a llama2.c .bin (and its tokenizer .bin).`,
    notKept: (name: string) => `Your model ${name} was not kept when the page reloaded (its files stay on your computer): the figures run the notebook’s own model again. Choose the files again to go on with yours.`,
    dropHint: 'Drop the model’s files to load them',
  },

  // Prompt boxes (components/modelWidgetParts.ts, components/promptTokens.ts, src/widgets/prompt.ts).
  promptLabel: 'Prompt',
  run: 'Run',
  promptEmpty: 'The prompt is empty: type a few words.',
  promptTooLong: (tokens: number, context: number) =>
    `The prompt is ${tokens} tokens long, but the model reads at most ${context} (its context). Shorten it.`,
  /** A text setting (the prompt, a list of prompts) longer than its schema allows. */
  textTooLong: (setting: string, length: number, maxLength: number) =>
    `The ${setting} is ${length} characters long; this figure takes at most ${maxLength}. Shorten it.`,
  promptTooLongForNewTokens: (tokens: number, newTokens: number, context: number) =>
    `The prompt is ${tokens} tokens long; with ${newTokens} new tokens that is more than the model's context of ${context} tokens. Shorten the prompt or ask for fewer tokens.`,

  // Notes about the page's link (src/widgets/state.ts, src/widgets/mount.ts, components/modelWidgetParts.ts).
  linkUnknownSetting: (setting: string, settings: readonly string[]) =>
    `The link sets "${setting}", which is not a setting of this figure (${settings.join(', ')}).`,
  linkRepeatedSetting: (setting: string, times: number, first: string) => `The link sets ${setting} ${times} times; using the first, "${first}".`,
  linkBadValue: (setting: string, value: string, expected: string, fallback: string) =>
    `The link sets ${setting} to "${value}", but it must be ${expected}; showing ${fallback} instead.`,
  /** The URL cap: a text setting too long for the link stays out of it. */
  tooLongForLink: (setting: string, length: number) =>
    `The ${setting} is too long for a link (${length} characters), so the page's link keeps the chapter's ${setting}.`,
  linkLayerOutOfRange: (layer: number, layers: number) => `The link asks for layer ${layer}, but the model has layers 0 to ${layers - 1}; showing layer 0.`,
  linkHeadOutOfRange: (head: number, heads: number) => `The link asks for head ${head}, but each layer has heads 0 to ${heads - 1}; showing head 0.`,
} as const;
