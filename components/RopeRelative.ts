// Relative, not absolute: the same two tokens, a key and a query d positions later, run through
// the model at positions (0, d) and again shifted to (s, s + d). The attention score of the
// query on the key (the model's attn.scores tap) is the same for every shift; it changes only
// with the distance d. Without the rotation (q.k from the attn.q and attn.k taps) the distance
// does not show at all.
import { lineChart } from '../src/charts/lineChart';
import { dot, tapRow } from '../src/chapters/attention';
import { layerTap } from '../src/llama/taps';
import { integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { checkLinkedLayerHead, element, formatNumber, hiddenTable, loadModel, numberSelect, onWidthChange, reportFailure, reportRun, slider, tokenLabels } from './modelWidgetParts';

export const schema = {
  /** The key is the first token of this text, the query its last. */
  pair: text(40, 'cat sat'),
  layer: integer(0, 31, 0),
  head: integer(0, 31, 0),
  /** s: how far both tokens are moved. */
  shift: integer(0, 1000, 100),
  /** d = query position - key position, for the readout. */
  distance: integer(1, 32, 3),
};
type State = StateOf<typeof schema>;

/** Distances 1 .. MAX_DISTANCE are run (the chart's x axis). */
const MAX_DISTANCE = 32;

interface Scores {
  /** score at positions (0, d), index d - 1 */
  atZero: number[];
  /** score at positions (s, s + d) */
  shifted: number[];
  /** q.k / sqrt(d) of the same vectors before RoPE, at positions (0, d) */
  unrotated: number[];
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const { num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads } = model.config;
  const notes = checkLinkedLayerHead(ctx, layers, heads);

  const form = element('form', 'mw-prompt');
  const pairLabel = element('label', 'mw-prompt__label');
  const pairInput = element('input');
  pairInput.type = 'text';
  pairInput.value = ctx.state.pair;
  pairInput.maxLength = schema.pair.maxLength;
  pairLabel.append('Two tokens (the first is the key, the last the query)', pairInput);
  const runButton = element('button', 'mw-button', 'Run');
  runButton.type = 'submit';
  form.append(pairLabel, runButton);
  const layerSelect = numberSelect('Layer', layers, ctx.state.layer);
  const headSelect = numberSelect('Head', heads, ctx.state.head);
  const shiftSlider = slider('Shift s', { min: 0, max: schema.shift.max, step: 1, value: ctx.state.shift });
  const distanceSlider = slider('Distance', { min: 1, max: MAX_DISTANCE, step: 1, value: ctx.state.distance });
  const controls = element('div', 'mw-controls');
  controls.append(layerSelect.label, headSelect.label, shiftSlider.label, distanceSlider.label);
  const readout = element('p', 'mw-readout');
  const chart = element('div', 'mw-chart');
  const legend = element('p', 'mw-legend');
  const tableBox = element('div');
  el.append(form, controls, readout, chart, legend, tableBox);

  let key = '';
  let query = '';
  let scores: Scores | null = null;
  let runNumber = 0;

  function draw(): void {
    if (!scores) return;
    const { shift, distance } = ctx.state;
    shiftSlider.output.value = String(shift);
    distanceSlider.output.value = String(distance);
    const i = distance - 1;
    readout.dataset.atZero = String(scores.atZero[i]);
    readout.dataset.shifted = String(scores.shifted[i]);
    readout.dataset.unrotated = String(scores.unrotated[i]);
    readout.textContent =
      `Key “${key}” at position 0 and query “${query}” at ${distance}: score ${formatNumber(scores.atZero[i])}. ` +
      `Both moved by ${shift}, to ${shift} and ${shift + distance}: score ${formatNumber(scores.shifted[i])}. ` +
      `Without the rotation: ${formatNumber(scores.unrotated[i])}${ctx.state.layer === 0 ? ', the same at every distance' : ''}.`;
    chart.replaceChildren(
      lineChart(
        [
          { name: 'with RoPE, key at 0', values: scores.atZero, className: 'chart-line--a' },
          { name: `with RoPE, key at ${shift}`, values: scores.shifted, className: 'chart-line--b' },
          { name: 'q·k without rotation', values: scores.unrotated, className: 'chart-line--c' },
        ],
        { width: Math.max(260, el.clientWidth), xStart: 1, xLabel: 'distance (query position − key position)', yLabel: 'score q·k/√d', marker: { x: distance, label: `d = ${distance}` } },
      ),
    );
    legend.textContent = `Solid: key at position 0. Dashed, on top of it: both tokens moved by ${shift}. Dotted: the same q and k without their rotations.`;
    tableBox.replaceChildren(
      hiddenTable(
        `Score of “${query}” on “${key}” by distance`,
        ['distance', 'key at 0', `key at ${shift}`, 'without rotation'],
        scores.atZero.map((score, j) => [j + 1, formatNumber(score), formatNumber(scores!.shifted[j]), formatNumber(scores!.unrotated[j])]),
      ),
    );
  }

  async function run(): Promise<void> {
    const thisRun = ++runNumber;
    const { pair, layer, head, shift } = ctx.state;
    if (pair.trim() === '') return showProblem('Type two words: the first becomes the key, the last the query.');
    ctx.status('loading', 'Running the model…');
    try {
      // Rows 0 .. D-1: key at 0, query at d; rows D .. 2D-1: both moved by the shift.
      const probe = await runtime.forward({ text: pair, bos: false, taps: [] });
      const ids = probe.inputIds[0];
      if (ids.length < 2) return showProblem(`“${pair.trim()}” is a single token; type two words, such as “cat sat”.`);
      const labels = tokenLabels(probe);
      const pairIds = [ids[0], ids[ids.length - 1]];
      const distances = Array.from({ length: MAX_DISTANCE }, (_, j) => j + 1);
      const positionIds = [...distances.map((d) => [0, d]), ...distances.map((d) => [shift, shift + d])];
      const taps = [layerTap(layer, 'attn.scores'), layerTap(layer, 'attn.q'), layerTap(layer, 'attn.k')];
      const result = await runtime.forward({ ids: positionIds.map(() => pairIds), positionIds, taps });
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      const [scoreTap, qTap, kTap] = taps.map((name) => result.taps[name]);
      const kv = Math.floor(head / (heads / kvHeads));
      // scores [B, H, 2, 2]: row b, head, query 1, key 0
      const scoreOf = (row: number) => scoreTap.data[((row * heads + head) * 2 + 1) * 2 + 0];
      const vectorOf = (tap: typeof qTap, row: number, h: number, token: number) => {
        const [, hs, seq, d] = tap.shape;
        const start = ((row * hs + h) * seq + token) * d;
        return Array.from(tap.data.subarray(start, start + d));
      };
      const d = qTap.shape[3];
      scores = {
        atZero: distances.map((_, j) => scoreOf(j)),
        shifted: distances.map((_, j) => scoreOf(MAX_DISTANCE + j)),
        unrotated: distances.map((_, j) => dot(vectorOf(qTap, j, head, 1), vectorOf(kTap, j, kv, 0)) / Math.sqrt(d)),
      };
      key = labels[0];
      query = labels[labels.length - 1];
      draw();
      reportRun(ctx, notes);
    } catch (error) {
      reportFailure(ctx, error);
    }
  }

  function showProblem(message: string): void {
    scores = null;
    readout.textContent = '';
    chart.replaceChildren();
    legend.textContent = '';
    tableBox.replaceChildren();
    ctx.status('note', message);
  }

  form.addEventListener(
    'submit',
    (event) => {
      event.preventDefault();
      ctx.setState({ pair: pairInput.value.replace(/[\u0000-\u001F\u007F]/g, '') });
      void run();
    },
    { signal: ctx.signal },
  );
  layerSelect.select.addEventListener('change', () => (ctx.setState({ layer: Number(layerSelect.select.value) }), void run()), { signal: ctx.signal });
  headSelect.select.addEventListener('change', () => (ctx.setState({ head: Number(headSelect.select.value) }), void run()), { signal: ctx.signal });
  shiftSlider.input.addEventListener('change', () => (ctx.setState({ shift: Number(shiftSlider.input.value) }), void run()), { signal: ctx.signal });
  shiftSlider.input.addEventListener('input', () => (shiftSlider.output.value = shiftSlider.input.value), { signal: ctx.signal });
  distanceSlider.input.addEventListener('input', () => (ctx.setState({ distance: Number(distanceSlider.input.value) }), draw()), { signal: ctx.signal });
  onWidthChange(el, ctx.signal, draw);
  await run();
}
