// Loss against density: the shipped model runs the validation stories under a sparse pattern (the
// loss op with a queryKeyMask shared by the padded rows), and each setting the reader tries is a
// point on the chart. "Sweep every pattern" runs the chapter's settings (SWEEP_SETTINGS) for all
// five patterns, one loss call per point, with a Cancel.
import { densityLossChart, type DensityLossSeries } from '../src/charts/densityLossChart';
import { densityOver, meanRowLoss, PATTERN_NAMES, patternMask, settingsOf, SWEEP_SETTINGS, type PatternSettings, type SparsePattern } from '../src/chapters/sparseAttention';
import type { RuntimeClient } from '../src/runtime/client';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { runControls } from './flopsParts';
import { element, fillTable, formatNumber, loadModel, onWidthChange, reportFailure, reportRun, tableScroller } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { checkLinkedPattern, describeSettings, patternPicker, patternSchema, settingsOfState, validationStories } from './sparseParts';

export const needsShippedModel = 'it measures the shipped model’s loss on validation stories of its own training corpus';

const PATTERNS = ['window', 'strided', 'fixed', 'longformer', 'bigbird'] as const satisfies readonly SparsePattern[];

export const schema = patternSchema(PATTERNS, { pattern: 'window', window: 16, stride: 12, summary: 1, global: 4, random: 4 });
type State = StateOf<typeof schema>;

export interface LossPoint {
  settings: PatternSettings;
  density: number;
  loss: number;
}

/** The stories as token rows, and the loss of every row under one pattern (or none). */
export async function storiesLoss(runtime: RuntimeClient, rows: number[][], settings: PatternSettings | null, signal?: AbortSignal): Promise<number> {
  const width = Math.max(...rows.map((ids) => ids.length));
  const queryKeyMask = settings && settings.pattern !== 'full' ? patternMask(width, settings) : undefined;
  const { losses } = await runtime.call('loss', { input: { ids: rows }, options: { training: false, ...(queryKeyMask ? { queryKeyMask } : {}) } }, { signal });
  return meanRowLoss(losses).loss;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const notes = checkLinkedPattern(ctx);
  const picker = patternPicker(ctx, PATTERNS, () => void runCurrent());
  const controls = runControls('Sweep every pattern', 'Sweep progress');
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const chart = element('div', 'mw-chart');
  const legend = element('p', 'mw-legend');
  for (const pattern of PATTERNS) {
    const item = element('span');
    item.append(element('span', `sp-swatch sp-line--${pattern}`), PATTERN_NAMES[pattern]);
    legend.append(item);
  }
  const table = element('table', 'mw-table');
  el.append(picker.element, controls.row, readout, chart, legend, tableScroller(table, 'Every point measured'));

  ctx.status('loading', 'Reading the validation stories…');
  const tokenizer = await pageTokenizer(runtime);
  const stories = await validationStories();
  const context = model.config.max_position_embeddings;
  const rows = stories.map((story) => tokenizer.encode(story, { bos: true }).slice(0, context));
  const lengths = rows.map((ids) => ids.length);
  ctx.status('loading', `Computing the loss on ${rows.length} validation stories with full attention…`);
  const fullLoss = await storiesLoss(runtime, rows, null);
  /** Every point measured, by its description. */
  const points = new Map<string, LossPoint>();
  let current = '';
  let runs = 0;
  let sweep: AbortController | null = null;

  async function measure(settings: PatternSettings, signal?: AbortSignal): Promise<LossPoint> {
    const key = describeSettings(settings);
    const known = points.get(key);
    if (known) return known;
    const point = { settings, density: densityOver(lengths, settings), loss: await storiesLoss(runtime, rows, settings, signal) };
    points.set(key, point);
    return point;
  }

  async function runCurrent(): Promise<void> {
    const runId = ++runs;
    picker.sync();
    const settings = settingsOfState(ctx.state);
    ctx.status('loading', `Computing the loss on ${rows.length} validation stories with this pattern…`);
    try {
      const point = await measure(settings);
      if (runId !== runs || ctx.signal.aborted) return;
      current = describeSettings(settings);
      el.dataset.state = 'done';
      el.dataset.loss = String(point.loss);
      el.dataset.density = String(point.density);
      el.dataset.fullLoss = String(fullLoss);
      readout.textContent =
        `${current}: ${formatNumber(100 * point.density, 1)}% of the causal pairs, loss ${formatNumber(point.loss, 3)} nats per token ` +
        `(${point.loss >= fullLoss ? '+' : '−'}${formatNumber(Math.abs(point.loss - fullLoss), 3)} against full attention, ${formatNumber(fullLoss, 3)}), over ${rows.length} stories.`;
      draw();
      if (!sweep) reportRun(ctx, notes);
    } catch (error) {
      if (runId === runs) reportFailure(ctx, error);
    }
  }

  function draw(): void {
    const series: DensityLossSeries[] = PATTERNS.map((pattern) => ({
      name: PATTERN_NAMES[pattern],
      key: pattern,
      points: [...points.entries()].filter(([, p]) => p.settings.pattern === pattern).map(([key, p]) => ({ density: p.density, loss: p.loss, current: key === current })),
    }));
    chart.replaceChildren(densityLossChart(series, { width: Math.max(260, chart.clientWidth || el.clientWidth), fullLoss }));
    const sorted = [...points.values()].sort((a, b) => PATTERNS.indexOf(a.settings.pattern as (typeof PATTERNS)[number]) - PATTERNS.indexOf(b.settings.pattern as (typeof PATTERNS)[number]) || a.density - b.density);
    fillTable(
      table,
      `Loss on ${rows.length} validation stories (full attention: ${formatNumber(fullLoss, 3)} nats per token)`,
      ['pattern and settings', 'density', 'loss', 'change'],
      sorted.map((p) => [describeSettings(p.settings), `${formatNumber(100 * p.density, 1)}%`, formatNumber(p.loss, 3), `${p.loss >= fullLoss ? '+' : '−'}${formatNumber(Math.abs(p.loss - fullLoss), 3)}`]),
      { rowHeaders: true },
    );
  }

  controls.run.addEventListener('click', () => void runSweep(), { signal: ctx.signal });
  controls.cancel.addEventListener('click', () => sweep?.abort(), { signal: ctx.signal });
  ctx.signal.addEventListener('abort', () => sweep?.abort());

  async function runSweep(): Promise<void> {
    const all = PATTERNS.flatMap((pattern) => SWEEP_SETTINGS[pattern].map((partial) => settingsOf({ ...partial, pattern })));
    sweep = new AbortController();
    const { signal } = sweep;
    controls.setRunning(true);
    let done = 0;
    try {
      for (const settings of all) {
        if (signal.aborted) break;
        controls.setProgress(done, all.length);
        ctx.status('loading', `Sweep: ${describeSettings(settings)} (${done + 1} of ${all.length})…`);
        await measure(settings, signal);
        done++;
        el.dataset.sweepDone = String(done);
        draw();
      }
      ctx.status(signal.aborted ? 'note' : 'ready', signal.aborted ? `Cancelled after ${done} of ${all.length} points.` : '');
    } catch (error) {
      if (signal.aborted) ctx.status('note', `Cancelled after ${done} of ${all.length} points.`);
      else reportFailure(ctx, error);
    } finally {
      sweep = null;
      controls.setRunning(false);
      controls.setProgress(null);
    }
  }

  onWidthChange(el, ctx.signal, () => points.size > 0 && draw());
  await runCurrent();
}
