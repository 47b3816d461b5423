// Pieces the FLOPs chapter's widgets share: links that reopen the page on another backend, a
// Run / Cancel pair with a progress bar, and a matmul sweep run in the worker (timeMatmulChain: each
// product chained until a run lasts 20 ms, so small sizes get a time too) one size at a time, so a press of Cancel stops it before the next size and the page never waits on it.
import flopsWidgetsCss from './flopsWidgets.css?url';
import { matmulFlops } from '../src/chapters/flops';
import type { RuntimeClient } from '../src/runtime/client';
import { element } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(flopsWidgetsCss);

/** The backends a reader can ask for with ?backend= (src/runtime/backend.ts), in its words. */
const BACKENDS: readonly (readonly [name: string, label: string])[] = [
  ['webgpu', 'WebGPU'],
  ['webgl', 'WebGL'],
  ['wasm', 'WebAssembly'],
  ['cpu', 'CPU'],
];

/** "Measured on wasm. Measure on: WebGPU · WebGL · CPU": links that reload this page on another backend. */
export function backendLine(active: string): HTMLParagraphElement {
  const line = element('p', 'fw-backends');
  line.append(`Measured on the ${BACKENDS.find(([name]) => name === active)?.[1] ?? active} backend. Measure on: `);
  const others = BACKENDS.filter(([name]) => name !== active);
  others.forEach(([name, label], i) => {
    const url = new URL(location.href);
    url.searchParams.set('backend', name);
    const link = element('a', undefined, label);
    link.href = url.pathname + url.search + url.hash;
    line.append(link, i < others.length - 1 ? ' · ' : ' (reloads the page).');
  });
  return line;
}

export interface RunControls {
  row: HTMLDivElement;
  run: HTMLButtonElement;
  cancel: HTMLButtonElement;
  progress: HTMLProgressElement;
  /** Shows the bar at done / total, or hides it with null. */
  setProgress(done: number | null, total?: number): void;
  /** Switches the buttons between idle and running. */
  setRunning(running: boolean): void;
}

/** A Run button, a Cancel button (enabled only while running) and a progress bar. */
export function runControls(runLabel: string, progressLabel: string): RunControls {
  const row = element('div', 'fw-run');
  const run = element('button', 'mw-button', runLabel);
  run.type = 'button';
  const cancel = element('button', 'mw-button', 'Cancel');
  cancel.type = 'button';
  cancel.disabled = true;
  const progress = element('progress', 'fw-progress');
  progress.setAttribute('aria-label', progressLabel);
  progress.hidden = true;
  row.append(run, cancel, progress);
  return {
    row,
    run,
    cancel,
    progress,
    setProgress(done, total = 1) {
      progress.hidden = done === null;
      if (done !== null) {
        progress.max = total;
        progress.value = done;
      }
    },
    setRunning(running) {
      run.disabled = running;
      cancel.disabled = !running;
    },
  };
}

export interface SweepPoint {
  size: number;
  flops: number;
  ms: number;
  flopsPerSecond: number;
}

/**
 * Times square products of each size in turn in the worker (timeMatmulChain: the median of `reps`
 * chained runs),
 * calling onPoint after each. Stops before the next size once `signal` is aborted (the size being
 * timed is cancelled in the worker too) and returns the points measured so far.
 */
export async function matmulSweep(
  runtime: RuntimeClient,
  sizes: readonly number[],
  { reps, signal, onStart, onPoint }: { reps: number; signal: AbortSignal; onStart?: (size: number, index: number) => void; onPoint?: (point: SweepPoint, index: number) => void },
): Promise<SweepPoint[]> {
  const points: SweepPoint[] = [];
  for (const [index, size] of sizes.entries()) {
    if (signal.aborted) break;
    onStart?.(size, index);
    const timing = await runtime.call('timeMatmulChain', { m: size, k: size, n: size, reps }, { signal }).catch((error: unknown) => {
      if (signal.aborted) return null;
      throw error;
    });
    if (timing === null) break;
    // A product faster than the worker's clock can resolve reads 0 ms: its rate is unknown (NaN), not infinite.
    const point = { size, flops: matmulFlops(size, size, size), ms: timing.ms, flopsPerSecond: timing.ms > 0 ? timing.flops / (timing.ms / 1000) : Number.NaN };
    points.push(point);
    onPoint?.(point, index);
  }
  return points;
}

/** A rate as "12.3 GFLOP/s" (three significant digits). */
export function formatRate(flopsPerSecond: number): string {
  if (!Number.isFinite(flopsPerSecond) || flopsPerSecond <= 0) return '—';
  return `${Number((flopsPerSecond / 1e9).toPrecision(3))} GFLOP/s`;
}

/** A time in ms with three significant digits; 0 is below the clock's resolution. */
export function formatMs(ms: number): string {
  return ms > 0 ? `${Number(ms.toPrecision(3))} ms` : 'under the clock’s resolution';
}
