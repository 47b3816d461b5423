// The residual stream, layer by layer: its length at the chosen token after the embedding and
// after each layer, and the logit lens (Nostalgebraist 2020): each of those residuals put through
// the model's final RMSNorm and output layer, to see the top guess forming. After the last layer
// the lens is the model's own prediction.
import anatomyWidgetsCss from './anatomyWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { lineChart } from '../src/charts/lineChart';
import { topIds } from '../src/chapters/decoding';
import { softmax } from '../src/llama/math';
import type { LogitLensOpResult } from '../src/runtime/messages';
import { pieceLabel } from '../src/widgets/pieces';
import { integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { controlId, element, fillTable, formatNumber, loadModel, onWidthChange, reportFailure, reportRun, tableScroller } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(anatomyWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

export const schema = {
  prompt: text(600, 'Once upon a time, there was a little girl named Lily. She'),
  /** The position read; -1 is the last token. */
  token: integer(-1, 255, -1),
};

type State = StateOf<typeof schema>;

const TOP = 3;

/** "after layer 2" / "embedding": what a stage of the lens is. */
export function stageName(stage: number): string {
  return stage === 0 ? 'embedding' : `after layer ${stage - 1}`;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const notes: string[] = [];

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run(), { token: -1 });
  const controls = element('div', 'mw-controls');
  const tokenWrap = element('span', 'mw-select');
  const tokenSelect = element('select');
  tokenSelect.id = controlId('an-lens-token');
  const tokenCaption = element('label', undefined, 'Read at token');
  tokenCaption.htmlFor = tokenSelect.id;
  tokenWrap.append(tokenCaption, tokenSelect);
  controls.append(tokenWrap);
  const chart = element('div', 'mw-chart');
  const summary = element('p', 'mw-readout');
  summary.setAttribute('aria-live', 'polite');
  const table = element('table', 'mw-table');
  el.append(form, controls, chart, summary, tableScroller(table, 'Logit lens table'));

  let labels: string[] = [];
  let ids: number[] = [];
  let latest: (() => void) | null = null;
  let runs = 0;

  async function read(position: number, runId: number): Promise<void> {
    const lens: LogitLensOpResult = await runtime.logitLens({ ids }, { position });
    const guesses = lens.logits.map((logits) => {
      const p = softmax(logits);
      return topIds(p, TOP).map((id) => ({ id, probability: p[id] }));
    });
    const pieces = (await runtime.pieces(guesses.flat().map((g) => g.id))).pieces.map(pieceLabel);
    if (runId !== runs || ctx.signal.aborted) return;
    const last = guesses.length - 1;
    el.dataset.state = 'done';
    el.dataset.norms = lens.residualNorms.map((n) => n.toFixed(4)).join(',');
    el.dataset.top = guesses.map((g) => g[0].id).join(',');
    latest = () =>
      chart.replaceChildren(
        lineChart([{ name: 'residual length', values: lens.residualNorms, className: 'chart-line--a' }], {
          width: Math.max(260, chart.clientWidth),
          height: 200,
          xLabel: 'layers applied',
          yLabel: `length of the residual at "${labels[position]}"`,
        }),
      );
    latest();
    const growth = lens.residualNorms[last] / lens.residualNorms[0];
    summary.textContent =
      `At token ${position} "${labels[position]}" the residual stream grows from length ${formatNumber(lens.residualNorms[0], 2)} (the embedding) ` +
      `to ${formatNumber(lens.residualNorms[last], 2)} after the last layer (×${formatNumber(growth, 1)}). The model's guess: "${pieces[last * TOP]}" (${(guesses[last][0].probability * 100).toFixed(1)}%).`;
    fillTable(
      table,
      `Logit lens at token ${position}: the top ${TOP} next tokens if the model stopped after each stage`,
      ['stage', 'residual length', ...Array.from({ length: TOP }, (_, i) => `guess ${i + 1}`)],
      guesses.map((row, stage) => [
        stageName(stage),
        formatNumber(lens.residualNorms[stage], 2),
        ...row.map((g, i) => `"${pieces[stage * TOP + i]}" ${(g.probability * 100).toFixed(1)}%`),
      ]),
      { rowHeaders: true },
    );
  }

  function position(): number {
    return ctx.state.token < 0 || ctx.state.token >= labels.length ? labels.length - 1 : ctx.state.token;
  }

  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    try {
      const prepared = await promptIds(runtime, model, ctx.state.prompt);
      if (prepared.problem !== null) {
        el.dataset.state = 'invalid';
        ctx.status('error', prepared.problem);
        return;
      }
      ids = prepared.ids;
      labels = (await runtime.pieces(ids)).pieces.map(pieceLabel);
      if (ctx.state.token >= labels.length) {
        notes.push(`The link asks for token ${ctx.state.token}, but the prompt has tokens 0 to ${labels.length - 1}; reading the last.`);
        ctx.setState({ token: -1 });
      }
      tokenSelect.replaceChildren(...labels.map((label, i) => new Option(`${i}: ${label}`, String(i))));
      tokenSelect.value = String(position());
      await read(position(), runId);
      if (runId === runs) reportRun(ctx, notes);
    } catch (error) {
      if (runId === runs) reportFailure(ctx, error);
    }
  }

  tokenSelect.addEventListener('change', () => {
    const index = Number(tokenSelect.value);
    ctx.setState({ token: index === labels.length - 1 ? -1 : index });
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    read(index, runId).then(() => runId === runs && reportRun(ctx, notes), (error) => reportFailure(ctx, error));
  }, { signal: ctx.signal });
  onWidthChange(el, ctx.signal, () => latest?.());
  await run();
}
