// The SFT loss mask: a chat turn as tokens, the ones the SFT loss counts (the response and </s>)
// highlighted, each token's loss under the model, and the mean loss with the mask and without.
// The model is the shipped one or the shipped SFT adapter (public/models/glass-llama/adapters/chat-sft-lora).
import trainWidgetsCss from './trainWidgets.css?url';
import { maskedLosses, sftExample } from '../src/chapters/training';
import { cleanPrompt } from '../src/widgets/prompt';
import { pieceLabel } from '../src/widgets/pieces';
import { choice, text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, radioGroup, reportFailure, tableScroller } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { ensureAdapterSession } from './trainParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(trainWidgetsCss);

export const needsShippedModel = 'it compares the shipped model with its SFT adapter';

export const MAX_PROMPT = 300;
export const MAX_RESPONSE = 200;

export const schema = {
  prompt: text(MAX_PROMPT, '[INST] What sound does a cow make? [/INST]'),
  response: text(MAX_RESPONSE, ' A cow says "Moo!"'),
  model: choice(['base', 'sft'] as const, 'base'),
};

type State = StateOf<typeof schema>;

const MODEL_LABELS = [
  ['base', 'shipped model'],
  ['sft', 'with the SFT adapter'],
] as const;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const form = element('form', 'train-mask-form');
  const promptLabel = element('label', 'mw-prompt__label', 'Prompt (not counted)');
  const promptInput = element('input');
  promptInput.type = 'text';
  promptInput.maxLength = MAX_PROMPT;
  promptInput.value = ctx.state.prompt;
  promptInput.spellcheck = false;
  promptLabel.append(promptInput);
  const responseLabel = element('label', 'mw-prompt__label', 'Response (counted)');
  const responseInput = element('input');
  responseInput.type = 'text';
  responseInput.maxLength = MAX_RESPONSE;
  responseInput.value = ctx.state.response;
  responseInput.spellcheck = false;
  responseLabel.append(responseInput);
  const run = element('button', 'mw-button', 'Run');
  run.type = 'submit';
  form.append(promptLabel, responseLabel, run);
  const { fieldset } = radioGroup('Model', `${ctx.id}-model`, MODEL_LABELS, ctx.state.model, {
    signal: ctx.signal,
    onChange: (model) => {
      ctx.setState({ model });
      void draw();
    },
  });
  const readout = element('dl', 'train-numbers');
  const chips = element('ol', 'train-chips');
  chips.setAttribute('aria-label', 'Tokens of the chat turn; highlighted ones count toward the SFT loss');
  const table = element('table', 'mw-table');
  const tableWrap = tableScroller(table, 'Loss of each token (scrolls sideways)');
  const details = element('details', 'train-details');
  details.append(element('summary', undefined, 'Every token and its loss, as a table'), tableWrap);
  el.append(form, fieldset, readout, chips, details);

  let runtime: Awaited<ReturnType<typeof loadModel>>['runtime'];
  try {
    ({ runtime } = await loadModel(ctx));
  } catch (error) {
    reportFailure(ctx, error, 'The model could not load');
    return;
  }

  let drawn = 0;
  async function draw(): Promise<void> {
    const thisDraw = ++drawn;
    const prompt = cleanPrompt(ctx.state.prompt);
    const response = cleanPrompt(ctx.state.response);
    if (prompt.trim() === '' || response.trim() === '') {
      ctx.status('note', 'Both the prompt and the response need some text: the mask separates the two.');
      return;
    }
    try {
      const tokenizer = await pageTokenizer(runtime);
      let example;
      try {
        example = sftExample(tokenizer, prompt, response);
      } catch {
        ctx.status('note', 'The prompt’s last token merges with the response’s first one; start the response with a space.');
        return;
      }
      const context = runtime.model?.config.max_position_embeddings ?? 256;
      if (example.ids.length > context) {
        ctx.status('note', `Prompt and response are ${example.ids.length} tokens together; the model reads at most ${context}. Shorten them.`);
        return;
      }
      ctx.status('loading', ctx.state.model === 'sft' ? 'Loading the SFT adapter and computing the losses…' : 'Computing the losses…');
      const session = ctx.state.model === 'sft' ? await ensureAdapterSession(runtime, 'chat-sft-lora') : undefined;
      const { losses } = await runtime.loss({ ids: [example.ids], training: false, ...(session ? { session } : {}) });
      if (thisDraw !== drawn || ctx.signal.aborted) return;
      const mask = example.lossMask!;
      const { masked, unmasked, counted, total } = maskedLosses(losses[0], mask);
      const pieces = example.ids.map((id) => pieceLabel(tokenizer.idToPiece(id)));
      chips.replaceChildren(
        ...example.ids.map((_, i) => {
          const chip = element('li', `train-chip${mask[i] ? ' train-chip--counted' : ''}`);
          chip.append(element('span', 'train-chip__piece', pieces[i]));
          chip.append(element('span', 'train-chip__loss', i === 0 ? '—' : formatNumber(losses[0][i - 1], 2)));
          chip.title = i === 0 ? 'the start token: nothing predicts it' : `loss ${formatNumber(losses[0][i - 1], 3)} nats${mask[i] ? ', counted' : ', masked out'}`;
          return chip;
        }),
      );
      const rows: [string, string][] = [
        ['Tokens the SFT loss counts', `${counted} of ${total} predicted tokens`],
        ['Loss with the mask (response only)', `${formatNumber(masked, 3)} nats per token`],
        ['Loss without the mask (every token)', `${formatNumber(unmasked, 3)} nats per token`],
      ];
      readout.replaceChildren(...rows.flatMap(([term, value]) => [element('dt', undefined, term), element('dd', 'train-value', value)]));
      fillTable(
        table,
        'Each token after <s>: the loss of predicting it, and whether SFT counts it',
        ['token', 'loss (nats)', 'counted'],
        example.ids.slice(1).map((_, i) => [pieces[i + 1], formatNumber(losses[0][i], 3), mask[i + 1] ? 'yes' : 'no']),
      );
      ctx.status('ready');
    } catch (error) {
      if (thisDraw === drawn) reportFailure(ctx, error);
    }
  }

  form.addEventListener(
    'submit',
    (event) => {
      event.preventDefault();
      ctx.setState({ prompt: promptInput.value.slice(0, MAX_PROMPT), response: responseInput.value.slice(0, MAX_RESPONSE) });
      void draw();
    },
    { signal: ctx.signal },
  );
  await draw();
}
