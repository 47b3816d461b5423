// Matmul benchmark on the reader's device: square [n, n] × [n, n] products from 16 up to the chosen
// size, timed in the model's worker on its backend (timeMatmul), achieved GFLOP/s against n on
// log-log axes, the best rate measured and the knee where fixed per-call costs stop dominating.
// Runs only on a button press, one size at a time with a progress bar; Cancel stops it.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { SWEEP_SIZES, knee, matmulFlops, siPrefix } from '../src/chapters/flops';
import { logLogChart } from '../src/charts/logLogChart';
import { choice, integer, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { backendLine, formatMs, formatRate, matmulSweep, runControls, type SweepPoint } from './flopsParts';
import { element, fillTable, loadModel, numberSelect, onWidthChange, reportFailure, tableScroller } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);

const LARGEST = ['64', '128', '256', '512', '1024', '2048'] as const;

export const schema = {
  /** The largest n timed (the sweep doubles from 16). */
  largest: choice(LARGEST, '1024'),
  /** Timed products per size after the warm-up; the median is shown. */
  reps: integer(1, 9, 3),
};

type State = StateOf<typeof schema>;

/** The sizes a sweep up to `largest` times. */
export function sweepSizes(largest: number): number[] {
  return SWEEP_SIZES.filter((n) => n <= largest);
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);

  const settings = element('div', 'mw-controls');
  const largest = numberSelect('Largest n', LARGEST.length, LARGEST.indexOf(ctx.state.largest), (i) => LARGEST[i]);
  const reps = numberSelect('Timed runs per size', schema.reps.max, ctx.state.reps - 1, (i) => String(i + 1));
  settings.append(largest.label, reps.label);
  const controls = runControls('Run benchmark', 'Benchmark progress');
  const readout = element('p', 'mw-readout', 'Press Run benchmark: it times each size in turn; the page stays usable and Cancel stops it.');
  const chart = element('div', 'mw-chart');
  const table = element('table', 'mw-table');
  const tableWrap = tableScroller(table, 'Matmul timings');
  tableWrap.hidden = true;
  el.append(settings, controls.row, backendLine(model.backend.name), readout, chart, tableWrap);

  let points: SweepPoint[] = [];
  let finished = true;
  const draw = () => {
    if (points.length === 0) return;
    const timed = points.filter((p) => Number.isFinite(p.flopsPerSecond));
    const best = timed.length ? timed.reduce((a, b) => (b.flopsPerSecond > a.flopsPerSecond ? b : a)) : null;
    const ofBest = (p: SweepPoint) => (best && Number.isFinite(p.flopsPerSecond) ? `${Math.round((100 * p.flopsPerSecond) / best.flopsPerSecond)}%` : '—');
    const kneeSize = knee(points);
    const sizes = sweepSizes(Number(ctx.state.largest));
    chart.replaceChildren(
      logLogChart([{ name: 'measured', className: 'fw-series--1', points: points.map((p) => ({ x: p.size, y: p.flopsPerSecond })) }], {
        width: Math.max(280, chart.clientWidth),
        xLabel: 'n (an [n, n] × [n, n] product)',
        yLabel: 'FLOP/s',
        xTicks: sizes,
        yFormat: (y) => siPrefix(y, 2).trim(),
        reference: finished && best ? { y: best.flopsPerSecond, label: `best measured ${formatRate(best.flopsPerSecond)}` } : undefined,
        label: `Achieved FLOP/s against matrix size on the ${model.backend.name} backend: ${points.map((p) => `n = ${p.size}: ${formatRate(p.flopsPerSecond)}`).join('; ')}`,
      }),
    );
    fillTable(
      table,
      `Square products on the ${model.backend.name} backend (median of ${ctx.state.reps})`,
      ['n', 'FLOPs (2n³)', 'time', 'rate', 'of best'],
      points.map((p) => [p.size, p.flops.toLocaleString('en-US'), formatMs(p.ms), formatRate(p.flopsPerSecond), ofBest(p)]),
    );
    tableWrap.hidden = false;
    if (finished && !best) readout.textContent = 'Every product finished faster than the clock can resolve: choose a larger n.';
    else if (finished && best) {
      const smallest = points[0];
      readout.textContent =
        `Best: ${formatRate(best.flopsPerSecond)} at n = ${best.size}. ` +
        (kneeSize !== null && kneeSize !== smallest.size
          ? `The knee is at n = ${kneeSize}, the first size at half the best rate: below it a call's fixed cost outweighs its ${siPrefix(matmulFlops(kneeSize, kneeSize, kneeSize))}FLOPs; n = ${smallest.size} reaches ${ofBest(smallest)} of the best.`
          : `Every size reached half the best rate; try a larger n to see the curve flatten.`);
    }
  };

  let controller: AbortController | null = null;
  const sweep = async () => {
    controller = new AbortController();
    const ownSignal = controller.signal;
    const sizes = sweepSizes(Number(ctx.state.largest));
    points = [];
    finished = false;
    chart.replaceChildren();
    tableWrap.hidden = true;
    controls.setRunning(true);
    controls.setProgress(0, sizes.length);
    try {
      const measured = await matmulSweep(runtime, sizes, {
        reps: ctx.state.reps,
        signal: AbortSignal.any([ownSignal, ctx.signal]),
        onStart: (size, index) => ctx.status('loading', `Timing ${size} × ${size} × ${size} (${index + 1} of ${sizes.length})…`),
        onPoint: (point, index) => {
          points.push(point);
          controls.setProgress(index + 1, sizes.length);
          draw();
        },
      });
      if (ctx.signal.aborted) return;
      finished = true;
      points = measured;
      draw();
      if (measured.length < sizes.length) {
        readout.textContent = measured.length ? readout.textContent : 'Cancelled before the first size finished.';
        ctx.status('note', `Cancelled after ${measured.length} of ${sizes.length} sizes.`);
      } else ctx.status('ready');
    } catch (error) {
      reportFailure(ctx, error, 'The benchmark could not run');
    } finally {
      controls.setRunning(false);
      controls.setProgress(null);
      controller = null;
    }
  };

  controls.run.addEventListener('click', () => void sweep(), { signal: ctx.signal });
  controls.cancel.addEventListener('click', () => controller?.abort(), { signal: ctx.signal });
  largest.select.addEventListener('change', () => ctx.setState({ largest: LARGEST[Number(largest.select.value)] }), { signal: ctx.signal });
  reps.select.addEventListener('change', () => ctx.setState({ reps: Number(reps.select.value) + 1 }), { signal: ctx.signal });
  ctx.signal.addEventListener('abort', () => controller?.abort());
  onWidthChange(chart, ctx.signal, draw);
}
