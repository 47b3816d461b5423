// Before and after fine-tuning: the same prompt to the shipped model, to it with the notes
// adapter (post-pretraining on weather and cooking notes) and with the SFT adapter (chat pairs,
// prompt masked out of the loss); greedy replies, switched live. Under them, each adapter's
// held-out losses before and after, from its training log, and those of the full fine-tune on
// the same chat pairs.
import trainWidgetsCss from './trainWidgets.css?url';
import { promptIds } from './promptTokens';
import { choice, text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, promptForm, radioGroup, reportFailure, tableScroller } from './modelWidgetParts';
import { adapterLog, ensureAdapterSession, fullFinetuneLog, type AdapterName, type ShippedFinetuneLog } from './trainParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(trainWidgetsCss);

export const needsShippedModel = 'its adapters were trained for the shipped model';

export const MAX_PROMPT = 300;
/** New tokens per reply (greedy). */
export const REPLY_TOKENS = 40;

export const MODELS = ['base', 'notes', 'sft'] as const;
export type ModelChoice = (typeof MODELS)[number];

export const schema = {
  prompt: text(MAX_PROMPT, '[INST] What sound does a cow make? [/INST]'),
  model: choice(MODELS, 'sft'),
};

type State = StateOf<typeof schema>;

export const MODEL_LABELS: Record<ModelChoice, string> = {
  base: 'shipped model',
  notes: 'notes adapter',
  sft: 'SFT adapter',
};
/** The table's last row: the same SFT with every weight trained (its weights are not a choice here). */
export const FULL_FINETUNE_LABEL = 'full fine-tune (chat)';
const ADAPTER_OF: Record<ModelChoice, AdapterName | null> = { base: null, notes: 'notes-lora', sft: 'chat-sft-lora' };

export const PRESETS = [
  '[INST] What sound does a cow make? [/INST]',
  '[INST] Give me a name for a girl. [/INST]',
  'Weather for Monday in',
  'How to make',
  'Once upon a time',
] as const;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { form, input } = promptForm(ctx, { maxLength: MAX_PROMPT }, (prompt) => {
    ctx.setState({ prompt });
    void show();
  });
  const presets = element('div', 'train-presets');
  presets.setAttribute('role', 'group');
  presets.setAttribute('aria-label', 'Example prompts');
  for (const preset of PRESETS) {
    const button = element('button', 'mw-button', preset.replace('[INST] ', '').replace(' [/INST]', ' (chat)'));
    button.type = 'button';
    button.addEventListener(
      'click',
      () => {
        input.value = preset;
        ctx.setState({ prompt: preset });
        void show();
      },
      { signal: ctx.signal },
    );
    presets.append(button);
  }
  const { fieldset } = radioGroup(
    'Model',
    `${ctx.id}-model`,
    MODELS.map((m) => [m, MODEL_LABELS[m]] as const),
    ctx.state.model,
    {
      signal: ctx.signal,
      onChange: (model) => {
        ctx.setState({ model });
        void show();
      },
    },
  );
  const outputs = element('div', 'train-outputs');
  outputs.setAttribute('aria-live', 'polite');
  const table = element('table', 'mw-table');
  el.append(form, presets, fieldset, outputs, tableScroller(table, 'Held-out losses of the fine-tunes (scrolls sideways)'));

  let runtime: Awaited<ReturnType<typeof loadModel>>['runtime'];
  let model: Awaited<ReturnType<typeof loadModel>>['model'];
  try {
    ({ runtime, model } = await loadModel(ctx));
  } catch (error) {
    reportFailure(ctx, error, 'The model could not load');
    return;
  }

  /** Replies already generated, by model and prompt. */
  const replies = new Map<string, string>();
  const key = (m: ModelChoice, prompt: string) => `${m}\u0000${prompt}`;

  function drawOutputs(prompt: string): void {
    outputs.replaceChildren(
      ...MODELS.filter((m) => m === ctx.state.model || replies.has(key(m, prompt))).map((m) => {
        const block = element('p', `train-output${m === ctx.state.model ? ' train-output--current' : ''}`);
        block.dataset.model = m;
        block.append(element('span', 'train-output__label', `${MODEL_LABELS[m]}${m === ctx.state.model ? ' (selected)' : ''}`));
        block.append(replies.get(key(m, prompt)) ?? '…');
        return block;
      }),
    );
  }

  let shown = 0;
  async function show(): Promise<void> {
    const thisShow = ++shown;
    const prompt = ctx.state.prompt;
    const checked = await promptIds(runtime, model, prompt, REPLY_TOKENS);
    if (checked.problem !== null) {
      ctx.status('note', checked.problem);
      return;
    }
    const which = ctx.state.model;
    drawOutputs(prompt);
    if (replies.has(key(which, prompt))) {
      ctx.status('ready');
      return;
    }
    try {
      const adapter = ADAPTER_OF[which];
      ctx.status('loading', adapter ? `Loading the ${MODEL_LABELS[which]} and writing…` : 'Writing…');
      const session = adapter ? await ensureAdapterSession(runtime, adapter) : undefined;
      const stream = runtime.generate({ ids: checked.ids, maxNewTokens: REPLY_TOKENS, temperature: 0, ...(session ? { session } : {}) });
      const { text: reply } = await stream.result;
      replies.set(key(which, prompt), reply);
      if (thisShow !== shown || ctx.signal.aborted) return;
      drawOutputs(prompt);
      ctx.status('ready');
    } catch (error) {
      if (thisShow === shown) reportFailure(ctx, error);
    }
  }

  try {
    const [notes, sft, full] = await Promise.all([adapterLog('notes-lora', ctx.signal), adapterLog('chat-sft-lora', ctx.signal), fullFinetuneLog(ctx.signal)]);
    const row = (label: string, log: ShippedFinetuneLog) => [
      label,
      ...(['stories', 'notes', 'chat'] as const).map((set) => `${formatNumber(log.evalBefore[set], 2)} → ${formatNumber(log.evalAfter[set], 2)}`),
    ];
    fillTable(table, 'Held-out loss before → after each fine-tune (nats per counted token, from the training logs)', ['fine-tune', 'stories', 'notes', 'chat (answers only)'], [
      row(MODEL_LABELS.notes, notes),
      row(MODEL_LABELS.sft, sft),
      row(FULL_FINETUNE_LABEL, full),
    ]);
  } catch (error) {
    reportFailure(ctx, error, 'The training logs could not load');
    return;
  }
  await show();
}
