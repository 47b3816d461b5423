// Name recall under a sliding window: a story names its hero, then talks about the weather for a
// few sentences, and stops where the shipped model's next token is the hero's name. The name sits
// D tokens before the last token; with a window of w keys the last token reaches back w - 1, so the
// name is in reach only while w > D. Shown: p(name) and the top guess with full attention and
// with the window (plus g global tokens, Longformer's fix), the name-lookup heads' attention on
// the name, and p(name) for every window from 1 to the story's length.
import { lineChart } from '../src/charts/lineChart';
import { argmax } from '../src/chapters/attention';
import { NAME_HEADS, nameDistance, patternMask, RECALL_FILLERS, RECALL_NAMES, recallStory, settingsOf, type PatternSettings } from '../src/chapters/sparseAttention';
import { softmax } from '../src/llama/math';
import { layerTap } from '../src/llama/taps';
import type { RuntimeClient } from '../src/runtime/client';
import { pieceLabel } from '../src/widgets/pieces';
import { choice, integer, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, formatNumber, hiddenTable, loadModel, numberSelect, onWidthChange, reportFailure, reportRun, slider } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import sparseWidgetsCss from './sparseWidgets.css?url';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(sparseWidgetsCss);

export const needsShippedModel = 'it reads the shipped model’s name-lookup heads (layer 3, heads 0 and 2) on a story in its training style';

export const schema = {
  name: choice(RECALL_NAMES, 'Tom'),
  fillers: integer(1, RECALL_FILLERS.length, 3),
  window: integer(1, 64, 16),
  global: integer(0, 64, 0),
};
type State = StateOf<typeof schema>;

/** The pattern the widget applies: the sliding window, with the first g tokens global when g > 0. */
export function recallPattern(window: number, global: number): PatternSettings {
  return global > 0 ? settingsOf({ pattern: 'longformer', window, global }) : settingsOf({ pattern: 'window', window });
}

interface LastToken {
  probability: number;
  top: number;
  /** attention of each name head from the last token on the name */
  headAttention: number[];
}

/** p(name), the top guess and the name heads' attention at the last token, with or without a mask. */
export async function lastToken(runtime: RuntimeClient, ids: number[], nameId: number, namePosition: number, queryKeyMask?: number[][]): Promise<LastToken> {
  const layer = NAME_HEADS[0][0];
  const { logits, taps } = await runtime.forward({ ids: [ids], taps: [layerTap(layer, 'attn.probs')], ...(queryKeyMask ? { queryKeyMask } : {}) });
  const n = ids.length;
  const vocab = logits.shape[2];
  const row = logits.data.subarray((n - 1) * vocab, n * vocab);
  const probs = taps[layerTap(layer, 'attn.probs')].data;
  return {
    probability: softmax(row)[nameId],
    top: argmax(Array.from(row)),
    headAttention: NAME_HEADS.map(([, head]) => probs[(head * n + n - 1) * n + namePosition]),
  };
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime } = await loadModel(ctx);
  const tokenizer = await pageTokenizer(runtime);
  const controls = element('div', 'mw-controls');
  const nameWrap = element('label', 'mw-select');
  const nameSelect = element('select');
  for (const name of RECALL_NAMES) nameSelect.append(new Option(name, name));
  nameSelect.value = ctx.state.name;
  nameWrap.append('Hero', nameSelect);
  const fillerSelect = numberSelect('Weather sentences', RECALL_FILLERS.length, ctx.state.fillers - 1, (i) => String(i + 1));
  const windowSlider = slider('Window w', { min: 1, max: schema.window.max, step: 1, value: ctx.state.window });
  const globalSlider = slider('Global tokens g', { min: 0, max: schema.global.max, step: 1, value: ctx.state.global });
  controls.append(nameWrap, fillerSelect.label, windowSlider.label, globalSlider.label);
  const story = element('p', 'sp-story');
  story.setAttribute('aria-hidden', 'true'); // the readout says the same in words
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const chart = element('div', 'mw-chart');
  const chartTable = element('div');
  el.append(controls, story, readout, chart, chartTable);

  let curve: number[] = [];
  let curveLabel = 'name';
  let distance = 0;
  let runs = 0;
  let sweepRuns = 0;

  async function run({ sweep }: { sweep: boolean }): Promise<void> {
    const runId = ++runs;
    const { name, fillers, window, global } = ctx.state;
    windowSlider.output.value = String(window);
    globalSlider.output.value = String(global);
    ctx.status('loading', 'Running the model…');
    try {
      const ids = tokenizer.encode(recallStory(name, fillers), { bos: true });
      const nameId = tokenizer.encode(name, { bos: false })[0];
      const where = nameDistance(ids, nameId);
      distance = where.distance;
      const mask = patternMask(ids.length, recallPattern(window, global));
      const full = await lastToken(runtime, ids, nameId, where.namePosition);
      const masked = await lastToken(runtime, ids, nameId, where.namePosition, mask);
      const labels = (await runtime.pieces([...ids, full.top, masked.top])).pieces.map(pieceLabel);
      if (runId !== runs || ctx.signal.aborted) return;
      const nameLabel = labels[where.namePosition];
      const seen = mask[ids.length - 1];
      story.replaceChildren(
        ...ids.map((_, i) => {
          const chip = element('span', `sp-token${seen[i] ? ' sp-token--seen' : ''}${i === where.namePosition ? ' sp-token--name' : ''}${i === ids.length - 1 ? ' sp-token--query' : ''}`, labels[i]);
          return chip;
        }),
      );
      const reaches = seen[where.namePosition] === 1;
      const pattern = global > 0 ? `a window of w = ${window} with the first ${global} token${global === 1 ? '' : 's'} global` : `a window of w = ${window}`;
      const heads = NAME_HEADS.map(([layer, head], i) => `L${layer} h${head} ${formatNumber(100 * full.headAttention[i], 0)}%`).join(', ');
      readout.textContent =
        `The name “${nameLabel}” (token ${where.namePosition}) is D = ${distance} tokens before the last token. ` +
        `Full attention: p(${nameLabel}) = ${formatNumber(100 * full.probability, 1)}%, top guess “${labels[ids.length]}”; the name heads put ${heads} of the last token's attention on the name. ` +
        `With ${pattern} the last token ${reaches ? 'still reaches' : 'no longer reaches'} the name (it needs w > D = ${distance}${global > 0 ? ', or g > ' + where.namePosition : ''}): ` +
        `p(${nameLabel}) = ${formatNumber(100 * masked.probability, 1)}%, top guess “${labels[ids.length + 1]}”.`;
      el.dataset.state = 'done';
      el.dataset.distance = String(distance);
      el.dataset.fullProbability = String(full.probability);
      el.dataset.maskedProbability = String(masked.probability);
      el.dataset.maskedTop = String(masked.top);
      reportRun(ctx, []);
      if (sweep) await sweepWindows(ids, nameId, where.namePosition, nameLabel);
    } catch (error) {
      if (runId === runs) reportFailure(ctx, error);
    }
  }

  /** p(name) for every window 1..N at the current g: one forward each. */
  async function sweepWindows(ids: number[], nameId: number, namePosition: number, nameLabel: string): Promise<void> {
    const sweepId = ++sweepRuns;
    const values: number[] = [];
    const global = ctx.state.global;
    for (let window = 1; window <= ids.length; window++) {
      ctx.status('loading', `p(${nameLabel}) for every window: ${window} of ${ids.length}…`);
      const result = await lastToken(runtime, ids, nameId, namePosition, patternMask(ids.length, recallPattern(window, global)));
      if (sweepId !== sweepRuns || ctx.signal.aborted) return;
      values.push(result.probability);
    }
    curve = values;
    curveLabel = nameLabel;
    el.dataset.curve = values.join(',');
    drawCurve();
    ctx.status('ready');
  }

  function drawCurve(): void {
    if (curve.length === 0) return;
    const label = curveLabel;
    chart.replaceChildren(
      lineChart([{ name: `p(${label}) at the last token`, values: curve, className: 'chart-line--a' }], {
        width: Math.max(260, chart.clientWidth || el.clientWidth),
        xStart: 1,
        xLabel: 'window w (keys the last token sees, itself included)',
        yLabel: `p(${label})`,
        marker: { x: distance + 1, label: `w = D + 1 = ${distance + 1}` },
      }),
    );
    chartTable.replaceChildren(hiddenTable(`p(${label}) for each window`, ['window w', `p(${label})`], curve.map((p, i) => [i + 1, formatNumber(p, 4)])));
  }

  nameSelect.addEventListener('change', () => {
    ctx.setState({ name: nameSelect.value as State['name'] });
    void run({ sweep: true });
  }, { signal: ctx.signal });
  fillerSelect.select.addEventListener('change', () => {
    ctx.setState({ fillers: Number(fillerSelect.select.value) + 1 });
    void run({ sweep: true });
  }, { signal: ctx.signal });
  windowSlider.input.addEventListener('change', () => {
    ctx.setState({ window: Number(windowSlider.input.value) });
    void run({ sweep: false });
  }, { signal: ctx.signal });
  globalSlider.input.addEventListener('change', () => {
    ctx.setState({ global: Number(globalSlider.input.value) });
    void run({ sweep: true });
  }, { signal: ctx.signal });
  onWidthChange(el, ctx.signal, drawCurve);
  await run({ sweep: true });
}
