// Knock out a piece: a copy of the model (a forked session in the worker) with one tensor, or one
// head's slice of it, set to zero: a head's output, a layer's attention or MLP, the final norm's
// weight. Shown: the loss on a sample of the validation stories and the prompt's top next token,
// for the shipped model and for the copy.
import anatomyWidgetsCss from './anatomyWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { topIds } from '../src/chapters/decoding';
import { softmax } from '../src/llama/math';
import type { RuntimeClient } from '../src/runtime/client';
import type { KnockOutArgs } from '../src/runtime/messages';
import { pieceLabel } from '../src/widgets/pieces';
import { choice, integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { checkLinkedLayerHead, element, fillTable, formatNumber, loadModel, numberSelect, reportFailure, reportRun, tableScroller } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(anatomyWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

/** Written by scripts/make-validation-sample.ts: stories from the validation split. */
const SAMPLE_URL = `${import.meta.env.BASE_URL}data/validation-sample.json`;
const SESSION = 'anatomy-knockout';

type KnockOut = KnockOutArgs['target'];

export const KNOCKOUT_KINDS = ['head', 'attention', 'mlp', 'final_norm'] as const;
const KIND_NAMES: Record<(typeof KNOCKOUT_KINDS)[number], string> = {
  head: "one head's output",
  attention: "a layer's attention",
  mlp: "a layer's MLP",
  final_norm: "the final norm's weight",
};

export const schema = {
  prompt: text(600, 'Once upon a time, there was a little girl named Lily. She'),
  kind: choice(KNOCKOUT_KINDS, 'head'),
  layer: integer(0, 63, 3),
  head: integer(0, 63, 2),
};

type State = StateOf<typeof schema>;

/** The engine's knock-out for the widget's settings. */
export function knockOutOf(state: Pick<State, 'kind' | 'layer' | 'head'>): KnockOut {
  switch (state.kind) {
    case 'head':
      return { kind: 'head', layer: state.layer, head: state.head };
    case 'attention':
    case 'mlp':
      return { kind: state.kind, layer: state.layer };
    case 'final_norm':
      return { kind: 'final_norm' };
  }
}

/** Mean next-token loss over every token of every row. */
function meanOfRows(losses: number[][]): number {
  let sum = 0;
  let count = 0;
  for (const row of losses) for (const loss of row) (sum += loss), count++;
  return sum / count;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const { config } = model;
  const notes = checkLinkedLayerHead(ctx, config.num_hidden_layers, config.num_attention_heads);

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run());
  const controls = element('div', 'mw-controls');
  const kindWrap = element('label', 'mw-select');
  const kind = element('select');
  for (const name of KNOCKOUT_KINDS) kind.append(new Option(KIND_NAMES[name], name));
  kind.value = ctx.state.kind;
  kindWrap.append('Zero', kind);
  const layer = numberSelect('Layer', config.num_hidden_layers, ctx.state.layer);
  const head = numberSelect('Head', config.num_attention_heads, ctx.state.head);
  controls.append(kindWrap, layer.label, head.label);
  const summary = element('p', 'mw-readout');
  summary.setAttribute('aria-live', 'polite');
  const table = element('table', 'mw-table an-table');
  el.append(form, controls, summary, tableScroller(table, 'Loss and next token, with and without the piece'));

  let texts: string[] | null = null;
  let shippedLoss: number | null = null;
  let runs = 0;
  ctx.signal.addEventListener('abort', () => void runtime.dropSession(SESSION).catch(() => {}));

  async function validationTexts(): Promise<string[]> {
    if (texts) return texts;
    const response = await fetch(SAMPLE_URL);
    if (!response.ok) throw new Error(`Could not load ${SAMPLE_URL}: HTTP ${response.status}`);
    texts = ((await response.json()) as { texts: string[] }).texts;
    return texts;
  }

  async function nextToken(client: RuntimeClient, ids: number[], session?: string) {
    const { logits } = await client.forward({ ids: [ids], ...(session ? { session } : {}) });
    const vocab = logits.shape[2];
    const p = softmax(logits.data.subarray((ids.length - 1) * vocab, ids.length * vocab));
    const id = topIds(p, 1)[0];
    return { id, probability: p[id] };
  }

  async function run(): Promise<void> {
    const runId = ++runs;
    const target = knockOutOf(ctx.state);
    layer.label.hidden = target.kind === 'final_norm';
    head.label.hidden = target.kind !== 'head';
    ctx.status('loading', 'Copying the model and zeroing the piece…');
    el.dataset.state = 'running';
    try {
      const prepared = await promptIds(runtime, model, ctx.state.prompt);
      if (prepared.problem !== null) {
        el.dataset.state = 'invalid';
        ctx.status('error', prepared.problem);
        return;
      }
      const sample = await validationTexts();
      const knocked = await runtime.knockOut({ name: SESSION, target });
      ctx.status('loading', `Computing the loss on ${sample.length} validation stories, with and without the piece…`);
      shippedLoss ??= meanOfRows((await runtime.loss({ texts: sample, training: false, truncate: true })).losses);
      const knockedLoss = meanOfRows((await runtime.loss({ texts: sample, training: false, truncate: true, session: SESSION })).losses);
      const before = await nextToken(runtime, prepared.ids);
      const after = await nextToken(runtime, prepared.ids, SESSION);
      const [beforeLabel, afterLabel] = (await runtime.pieces([before.id, after.id])).pieces.map(pieceLabel);
      if (runId !== runs || ctx.signal.aborted) return;
      el.dataset.state = 'done';
      el.dataset.shippedLoss = String(shippedLoss);
      el.dataset.knockedLoss = String(knockedLoss);
      el.dataset.topAfter = String(after.id);
      const what =
        target.kind === 'head' ? `layer ${target.layer}, head ${target.head}` : target.kind === 'final_norm' ? 'the final norm' : `layer ${target.layer}'s ${target.kind === 'mlp' ? 'MLP' : 'attention'}`;
      summary.textContent =
        `Zeroed ${knocked.zeroedValues.toLocaleString('en-US')} values of ${knocked.tensor} (${what}). ` +
        `Validation loss ${formatNumber(shippedLoss, 3)} → ${formatNumber(knockedLoss, 3)} nats per token (${knockedLoss >= shippedLoss ? '+' : '−'}${formatNumber(Math.abs(knockedLoss - shippedLoss), 3)}).`;
      fillTable(
        table,
        `The shipped model and the copy without ${what}`,
        ['model', `loss on ${sample.length} validation stories`, 'next token after the prompt'],
        [
          ['shipped', formatNumber(shippedLoss, 3), `"${beforeLabel}" ${(before.probability * 100).toFixed(1)}%`],
          ['knocked out', formatNumber(knockedLoss, 3), `"${afterLabel}" ${(after.probability * 100).toFixed(1)}%`],
        ],
        { rowHeaders: true },
      );
      reportRun(ctx, notes);
    } catch (error) {
      if (runId === runs) {
        el.dataset.state = 'invalid';
        reportFailure(ctx, error);
      }
    }
  }

  kind.addEventListener('change', () => {
    ctx.setState({ kind: kind.value as State['kind'] });
    void run();
  }, { signal: ctx.signal });
  layer.select.addEventListener('change', () => {
    ctx.setState({ layer: Number(layer.select.value) });
    void run();
  }, { signal: ctx.signal });
  head.select.addEventListener('change', () => {
    ctx.setState({ head: Number(head.select.value) });
    void run();
  }, { signal: ctx.signal });
  await run();
}
