// Stretch the context: run the model on a text longer than it was trained on, three ways (RoPE as
// trained, position interpolation, dynamic NTK scaling), and plot each token's next-token loss
// by position. Past the training context the plain model's loss climbs.
import { lineChart } from '../src/charts/lineChart';
import { tokenLosses } from '../src/chapters/attention';
import { dynamicNtkBase, meanOver, movingAverage, STRETCH_MAX_CONTEXTS, STRETCH_PROMPT } from '../src/chapters/rope';
import type { ForwardOptions } from '../src/runtime/messages';
import { number, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, formatNumber, loadModel, onWidthChange, promptForm, scrollNote, slider, tableScroller } from './modelWidgetParts';

export const schema = {
  prompt: text(8000, STRETCH_PROMPT),
  /** How many times the training context the scaled runs are stretched to. */
  factor: number(1, 8, 2),
};
type State = StateOf<typeof schema>;

/** Positions averaged per point of the loss curves. */
const SMOOTHING = 16;

interface Run {
  name: string;
  className: string;
  losses: number[];
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const config = model.config;
  const context = config.max_position_embeddings;
  const d = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  const longest = STRETCH_MAX_CONTEXTS * context;

  const { form } = promptForm(ctx, { maxLength: schema.prompt.maxLength, label: 'A long text (Ctrl+Enter runs it)', multiline: true }, (prompt) => {
    ctx.setState({ prompt });
    void run();
  });
  const factorSlider = slider('Scaling factor', { min: 1, max: 8, step: 0.5, value: ctx.state.factor });
  const controls = element('div', 'mw-controls');
  controls.append(factorSlider.label);
  const readout = element('p', 'mw-readout');
  const chart = element('div', 'mw-chart');
  const legend = element('p', 'mw-legend');
  const tableWrap = element('div');
  el.append(form, controls, readout, chart, legend, tableWrap);

  let runs: Run[] = [];
  let tokenCount = 0;
  let runNumber = 0;

  function draw(): void {
    if (runs.length === 0) return;
    factorSlider.output.value = formatNumber(ctx.state.factor, 1);
    chart.replaceChildren(
      lineChart(
        runs.map((r) => ({ name: r.name, values: movingAverage(r.losses, SMOOTHING), className: r.className })),
        { width: Math.max(260, el.clientWidth), height: 240, xLabel: 'position', yLabel: `loss (nats, mean of ${SMOOTHING})`, marker: { x: context, label: `context ${context}` } },
      ),
    );
    legend.textContent = `Solid: RoPE as trained. Dashed: position interpolation (positions ÷ ${ctx.state.factor}). Dotted: dynamic NTK (a larger base).`;
    const table = element('table', 'mw-table mw-table--wrap-headings');
    table.createCaption().textContent = `Mean next-token loss over ${tokenCount} tokens, in nats (lower is better)`;
    const headRow = table.createTHead().insertRow();
    // a word joiner on each side of the dash keeps a range on one line when the heading wraps
    const range = (from: number, to: number) => `${from}\u2060–\u2060${to}`;
    for (const label of ['method', `positions ${range(0, context - 1)}`, `positions ${range(context, tokenCount - 2)}`]) headRow.append(element('th', undefined, label));
    const body = table.createTBody();
    for (const r of runs) {
      const row = body.insertRow();
      row.dataset.method = r.className;
      for (const cell of [r.name, formatNumber(meanOver(r.losses, 0, context), 3), formatNumber(meanOver(r.losses, context, r.losses.length), 3)]) row.insertCell().textContent = cell;
    }
    const region = tableScroller(table, 'Mean loss table');
    tableWrap.replaceChildren(scrollNote(region, 'The table is wider than this screen: scroll it sideways to see every column.', ctx.signal), region);
  }

  async function run(): Promise<void> {
    const { prompt, factor } = ctx.state;
    const thisRun = ++runNumber;
    if (prompt.trim() === '') return showProblem('The text is empty: paste a long text, or reload the page for the default one.');
    // about 4 characters per token: far longer texts are refused before the model runs
    if (prompt.length > longest * 8) return showProblem(`The text is ${prompt.length} characters, far more than the ${longest} tokens this figure runs. Shorten it.`);
    ctx.status('loading', 'Running the model three ways…');
    try {
      const methods: { name: string; className: string; scaling: ForwardOptions['ropeScaling'] }[] = [
        { name: 'no scaling', className: 'chart-line--a', scaling: null },
        { name: `linear ×${factor}`, className: 'chart-line--b', scaling: { rope_type: 'linear', factor } },
        { name: `dynamic NTK ×${factor}`, className: 'chart-line--c', scaling: { rope_type: 'dynamic', factor } },
      ];
      const results: Run[] = [];
      for (const method of methods) {
        const result = await runtime.forward({ text: prompt, ropeScaling: method.scaling, taps: [] });
        if (thisRun !== runNumber || ctx.signal.aborted) return;
        const ids = result.inputIds[0];
        if (ids.length > longest) {
          return showProblem(`The text is ${ids.length} tokens; this figure runs at most ${longest} (${STRETCH_MAX_CONTEXTS} times the context of ${context}). Shorten it.`);
        }
        if (ids.length < 3) return showProblem('The text is too short to have a loss curve: paste a long text.');
        results.push({ ...method, losses: tokenLosses(result.logits, ids) });
        tokenCount = ids.length;
      }
      runs = results;
      const beyond = tokenCount > context;
      readout.textContent = beyond
        ? `${tokenCount} tokens, ${formatNumber(tokenCount / context, 1)} times the ${context} the model was trained on. Dynamic NTK raised the base from ${config.rope_theta} to ${formatNumber(dynamicNtkBase(config.rope_theta, factor, tokenCount, context, d), 0)} for this length.`
        : `${tokenCount} tokens: this fits the context of ${context}, so the methods differ only in how linear scaling squeezes positions. Paste a longer text to go past the context.`;
      draw();
      ctx.status('ready');
    } catch (error) {
      ctx.status('error', `The model could not run: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function showProblem(message: string): void {
    runs = [];
    readout.textContent = '';
    chart.replaceChildren();
    legend.textContent = '';
    tableWrap.replaceChildren();
    ctx.status('note', message);
  }

  factorSlider.input.addEventListener('input', () => (factorSlider.output.value = formatNumber(Number(factorSlider.input.value), 1)), { signal: ctx.signal });
  factorSlider.input.addEventListener('change', () => (ctx.setState({ factor: Number(factorSlider.input.value) }), void run()), { signal: ctx.signal });
  onWidthChange(el, ctx.signal, draw);
  await run();
}
