// The online softmax on one real row: the scores of one query of one head (the engine's
// attn.scores tap for the reader's prompt), read a chunk at a time with only a running maximum and
// a running sum kept, against the two-pass softmax. A multiplier on the scores shows why the
// maximum is subtracted at all: e^s overflows float32 past s ≈ 88.7.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import decodingWidgetsCss from './decodingWidgets.css?url';
import flashWidgetsCss from './flashWidgets.css?url';
import { lineCurves } from '../src/charts/lineCurves';
import { FLASH_PROMPT, onlineSoftmax } from '../src/chapters/flash';
import { tapRow } from '../src/chapters/attention';
import { layerTap } from '../src/llama/taps';
import { integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import {
  checkLinkedLayerHead,
  element,
  fillTable,
  formatNumber,
  loadModel,
  numberSelect,
  onWidthChange,
  reportFailure,
  slider,
  tableScroller,
  tokenLabels,
} from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(decodingWidgetsCss);
loadStylesheet(flashWidgetsCss);

export const schema = {
  prompt: text(600, FLASH_PROMPT),
  layer: integer(0, 63, 0),
  head: integer(0, 63, 0),
  /** The query token; −1 is the last. */
  query: integer(-1, 255, -1),
  /** Keys per chunk. */
  chunk: integer(1, 64, 4),
  /** The scores are multiplied by this before the softmax (1: the model's own). */
  stretch: integer(1, 100, 1),
};

type State = StateOf<typeof schema>;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const config = model.config;
  const notes = checkLinkedLayerHead(ctx, config.num_hidden_layers, config.num_attention_heads);

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run(), { query: -1 });
  const controls = element('div', 'dw-grid');
  const layer = numberSelect('Layer', config.num_hidden_layers, ctx.state.layer);
  const head = numberSelect('Head', config.num_attention_heads, ctx.state.head);
  const query = numberSelect('Query token', 0, 0);
  const chunk = slider('Keys per chunk', { min: 1, max: 64, step: 1, value: ctx.state.chunk });
  const stretch = slider('Scores × ', { min: 1, max: 100, step: 1, value: ctx.state.stretch });
  controls.append(layer.label, head.label, query.label, chunk.label, stretch.label);
  const readout = element('p', 'mw-readout flash-final');
  const chart = element('div', 'mw-chart');
  const legend = element('ul', 'dw-legend');
  legend.append(element('li', 'dw-key--1', 'running max m'), element('li', 'dw-key--3', 'm + log ℓ so far (log-sum-exp)'));
  const table = element('table', 'mw-table');
  el.append(form, controls, readout, chart, legend, tableScroller(table, 'The running maximum and sum, chunk by chunk'));

  let forward: Awaited<ReturnType<typeof runtime.forward>> | null = null;
  let labels: string[] = [];

  function draw(): void {
    if (!forward) return;
    const n = labels.length;
    const row = ctx.state.query < 0 || ctx.state.query >= n ? n - 1 : ctx.state.query;
    const scores = tapRow(forward.taps[layerTap(ctx.state.layer, 'attn.scores')], ctx.state.head, row)
      .slice(0, row + 1) // the keys this query sees (the rest are masked)
      .map((s) => s * ctx.state.stretch);
    const online = onlineSoftmax(scores, ctx.state.chunk);
    const naive = Number.isFinite(online.naiveFloat32Sum)
      ? `Without subtracting a maximum, the float32 sum of e^s is ${online.naiveFloat32Sum.toExponential(3)}: finite here.`
      : `Without subtracting a maximum, the float32 sum of e^s overflows to Infinity (some s > 88.7), and every probability would be 0 or NaN.`;
    readout.textContent =
      `Query ${row} “${labels[row]}” reads ${scores.length} keys in ${online.chunks.length} chunk${online.chunks.length === 1 ? '' : 's'}; ` +
      `the maximum grew ${online.chunks.filter((c, i) => i > 0 && c.rescale < 1).length} time(s) after the first chunk. ` +
      `Largest difference between the online and the two-pass softmax: ${online.maxDifference.toExponential(2)}. ${naive}`;
    const logSumExp = online.chunks.map((c) => ({ x: c.end, y: c.runningMax + Math.log(c.runningSum) }));
    const maxima = online.chunks.map((c) => ({ x: c.end, y: c.runningMax }));
    const values = [...logSumExp, ...maxima].map((p) => p.y);
    const low = Math.min(...values);
    const high = Math.max(...values);
    const pad = Math.max(0.5, (high - low) * 0.1);
    chart.replaceChildren(
      lineCurves(
        [
          { name: 'running max m', className: 'chart-line--1', points: [{ x: 0, y: maxima[0].y }, ...maxima] },
          { name: 'm + log ℓ so far', className: 'chart-line--3', points: [{ x: 0, y: logSumExp[0].y }, ...logSumExp] },
        ],
        { width: Math.max(260, chart.clientWidth), height: 200, yDomain: [low - pad, high + pad], xLabel: 'keys read', yLabel: 'score units' },
      ),
    );
    fillTable(
      table,
      `Query ${row}: the state after each chunk of ${ctx.state.chunk}`,
      ['keys', 'chunk max', 'running max m', 'rescale e^(m_old − m)', 'running sum ℓ'],
      online.chunks.map((c) => [`${c.start}–${c.end - 1}`, formatNumber(c.chunkMax), formatNumber(c.runningMax), formatNumber(c.rescale, 4), formatNumber(c.runningSum, 4)]),
    );
  }

  function fillQueries(): void {
    query.select.replaceChildren(...labels.map((label, i) => new Option(`${i} ${label}`, String(i))));
    const n = labels.length;
    if (ctx.state.query >= n) {
      notes.push(`The link asks for query ${ctx.state.query}, but the prompt has ${n} tokens; showing the last.`);
      ctx.setState({ query: -1 });
    }
    query.select.value = String(ctx.state.query < 0 ? n - 1 : ctx.state.query);
  }

  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    try {
      const prepared = await promptIds(runtime, model, ctx.state.prompt);
      if (runId !== runs || ctx.signal.aborted) return;
      if (prepared.problem !== null) {
        ctx.status('error', prepared.problem);
        return;
      }
      const taps = Array.from({ length: config.num_hidden_layers }, (_, l) => layerTap(l, 'attn.scores'));
      forward = await runtime.forward({ ids: [prepared.ids], taps });
      if (runId !== runs || ctx.signal.aborted) return;
      labels = tokenLabels(forward);
      fillQueries();
      draw();
      if (notes.length) ctx.status('note', notes.splice(0).join(' '));
      else ctx.status('ready');
    } catch (error) {
      if (runId === runs && !ctx.signal.aborted) reportFailure(ctx, error);
    }
  }

  for (const [control, name] of [[layer, 'layer'], [head, 'head']] as const) {
    control.select.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.select.value) });
      draw();
    }, { signal: ctx.signal });
  }
  query.select.addEventListener('change', () => {
    const value = Number(query.select.value);
    ctx.setState({ query: value === labels.length - 1 ? -1 : value });
    draw();
  }, { signal: ctx.signal });
  for (const [control, name] of [[chunk, 'chunk'], [stretch, 'stretch']] as const) {
    control.output.value = String(ctx.state[name]);
    control.input.addEventListener('input', () => {
      control.output.value = control.input.value;
      ctx.setState({ [name]: Number(control.input.value) });
      draw();
    }, { signal: ctx.signal });
  }
  onWidthChange(chart, ctx.signal, draw);
  await run();
}
