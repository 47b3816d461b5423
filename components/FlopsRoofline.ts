// The roofline of the reader's device, measured: a bandwidth ceiling from the fastest
// matrix-vector product (bytes it must move / time) and a compute ceiling from the fastest square
// matmul, both timed in the worker on its backend (timeMatmulChain); then the square products and our model's decode
// and prefill placed at their arithmetic intensity (FLOPs per byte of weights) and achieved FLOP/s.
// Runs on a button press with a progress bar; Cancel stops it between measurements.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { decodeIntensity, forwardFlops, matmulBytes, matmulFlops, matmulIntensity, prefillIntensity, ridgePoint, siPrefix, tokenFlops } from '../src/chapters/flops';
import { logLogChart, type LogMarker } from '../src/charts/logLogChart';
import { choice, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { backendLine, formatRate, runControls } from './flopsParts';
import flopsWidgetsCss from './flopsWidgets.css?url';
import { element, fillTable, loadModel, numberSelect, onWidthChange, reportFailure, tableScroller } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(flopsWidgetsCss);

const LARGEST = ['256', '512', '1024', '2048'] as const;

export const schema = {
  /** The largest square matmul timed for the compute ceiling. */
  largest: choice(LARGEST, '1024'),
};

type State = StateOf<typeof schema>;

/** Matrix-vector shapes [1, k] × [k, n] timed for the bandwidth ceiling: 8.4M weights, 33.6 MB each. */
export const BANDWIDTH_SHAPES: readonly (readonly [k: number, n: number])[] = [
  [2048, 4096],
  [4096, 2048],
];

/** The prompt of the model points (26 tokens with <s>), a story of the kind the model was trained on. */
const PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play in the park with her dog.';
const NEW_TOKENS = 24;

/** FLOP/s of `flops` done in `ms`; NaN when the clock read 0 (too fast to resolve). */
const rate = (flops: number, ms: number) => (ms > 0 ? flops / (ms / 1000) : Number.NaN);

interface Measured {
  label: string;
  intensity: number;
  flopsPerSecond: number;
  how: string;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const config = model.config;

  const settings = element('div', 'mw-controls');
  const largest = numberSelect('Largest matmul n', LARGEST.length, LARGEST.indexOf(ctx.state.largest), (i) => LARGEST[i]);
  settings.append(largest.label);
  const controls = runControls('Measure this device', 'Roofline measurement progress');
  const readout = element('p', 'mw-readout', 'Press Measure this device: it times two matrix-vector products, the square matmuls and our model, one at a time.');
  const chart = element('div', 'mw-chart');
  const table = element('table', 'mw-table');
  const tableWrap = tableScroller(table, 'Roofline points');
  tableWrap.hidden = true;
  el.append(settings, controls.row, backendLine(model.backend.name), readout, chart, tableWrap);

  let ceiling: { peak: number; bandwidth: number } | null = null;
  let points: Measured[] = [];
  const draw = () => {
    if (!ceiling || points.length === 0) return;
    const matmuls = points.filter((p) => p.label.startsWith('matmul'));
    const matvecs = points.filter((p) => p.label.startsWith('matvec'));
    const markers: LogMarker[] = points
      .filter((p) => p.label === 'decode' || p.label.startsWith('prefill'))
      .map((p) => ({ x: p.intensity, y: p.flopsPerSecond, label: p.label, className: p.label === 'decode' ? 'fw-marker--decode' : undefined }));
    chart.replaceChildren(
      logLogChart(
        [
          { name: 'square matmuls', className: 'fw-series--1', points: matmuls.map((p) => ({ x: p.intensity, y: p.flopsPerSecond })) },
          { name: 'matrix-vector products', className: 'fw-series--2', points: matvecs.map((p) => ({ x: p.intensity, y: p.flopsPerSecond })) },
        ],
        {
        width: Math.max(280, chart.clientWidth),
        height: 300,
        xLabel: 'FLOPs per byte',
        yLabel: 'FLOP/s',
        xFormat: (x) => (x >= 1 ? String(x) : x.toPrecision(1)),
        yFormat: (y) => siPrefix(y, 2).trim(),
        ceiling: { ...ceiling, peakLabel: `measured roof ${formatRate(ceiling.peak)}`, bandwidthLabel: `measured ${siPrefix(ceiling.bandwidth, 2)}B/s` },
        markers,
        label: `Measured roofline on the ${model.backend.name} backend: compute ceiling ${formatRate(ceiling.peak)}, bandwidth ${siPrefix(ceiling.bandwidth, 3)}B/s; ${points.map((p) => `${p.label} at ${p.intensity.toPrecision(3)} FLOP/byte, ${formatRate(p.flopsPerSecond)}`).join('; ')}`,
      }),
    );
    fillTable(
      table,
      `Measured on the ${model.backend.name} backend`,
      ['point', 'FLOP/byte', 'achieved', 'of roof', 'timed as'],
      points.map((p) => {
        const roof = Math.min(ceiling!.peak, ceiling!.bandwidth * p.intensity);
        return [p.label, p.intensity.toPrecision(3), formatRate(p.flopsPerSecond), Number.isFinite(p.flopsPerSecond) ? `${Math.round((100 * p.flopsPerSecond) / roof)}%` : '—', p.how];
      }),
    );
    tableWrap.hidden = false;
    const decode = points.find((p) => p.label === 'decode');
    readout.textContent =
      `Measured ceilings: ${formatRate(ceiling.peak)} (the fastest square matmul) and ${siPrefix(ceiling.bandwidth, 3)}B/s (the fastest matrix-vector product, bytes it must read over its time); they meet at ${ridgePoint(ceiling).toPrecision(3)} FLOPs per byte.` +
      (decode ? ` Decode sits at ${decode.intensity.toPrecision(2)} FLOPs per byte, left of that ridge: memory-bound, or, for a model this small, overhead-bound.` : '');
  };

  let controller: AbortController | null = null;
  const measure = async () => {
    controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, ctx.signal]);
    const sizes = [64, 128, 256, 512, 1024, 2048].filter((n) => n <= Number(ctx.state.largest));
    const total = BANDWIDTH_SHAPES.length + sizes.length + 1;
    let done = 0;
    const step = (message: string) => {
      ctx.status('loading', `${message} (${done + 1} of ${total})…`);
    };
    const finish = () => controls.setProgress(++done, total);
    points = [];
    ceiling = null;
    chart.replaceChildren();
    tableWrap.hidden = true;
    controls.setRunning(true);
    controls.setProgress(0, total);
    try {
      let bandwidth = 0;
      for (const [k, n] of BANDWIDTH_SHAPES) {
        step(`Timing a [1, ${k}] × [${k}, ${n}] matrix-vector product`);
        const timing = await runtime.call('timeMatmulChain', { m: 1, k, n, reps: 3 }, { signal });
        if (timing.ms > 0) bandwidth = Math.max(bandwidth, matmulBytes(1, k, n) / (timing.ms / 1000));
        points.push({ label: `matvec ${k}×${n}`, intensity: matmulIntensity(1, k, n), flopsPerSecond: rate(matmulFlops(1, k, n), timing.ms), how: `chains of ${timing.chain}, median of 3` });
        finish();
      }
      const matmulPoints: Measured[] = [];
      for (const n of sizes) {
        step(`Timing a ${n} × ${n} × ${n} matmul`);
        const timing = await runtime.call('timeMatmulChain', { m: n, k: n, n, reps: 3 }, { signal });
        matmulPoints.push({ label: `matmul ${n}`, intensity: matmulIntensity(n, n, n), flopsPerSecond: rate(matmulFlops(n, n, n), timing.ms), how: `chains of ${timing.chain}, median of 3` });
        finish();
      }
      step('Timing our model: a prompt, then greedy tokens');
      const ids = (await runtime.forward({ text: PROMPT }, { signal })).inputIds[0];
      const arrivals: number[] = [];
      let started = 0;
      for (let round = 0; round < 2; round++) {
        // the first round warms up (shaders, caches); the second is the one measured
        arrivals.length = 0;
        started = performance.now();
        const stream = runtime.generate({ ids, maxNewTokens: NEW_TOKENS, temperature: 0, ignoreEos: true });
        const stop = () => stream.cancel();
        signal.addEventListener('abort', stop);
        for await (const _token of stream) arrivals.push(performance.now());
        await stream.result;
        signal.removeEventListener('abort', stop);
        if (signal.aborted) throw new DOMException('cancelled', 'AbortError');
      }
      finish();
      const prefillMs = arrivals[0] - started;
      const decodePerSecond = ((arrivals.length - 1) / (arrivals[arrivals.length - 1] - arrivals[0])) * 1000;
      const keys = ids.length + NEW_TOKENS / 2;
      const peak = Math.max(0, ...matmulPoints.map((p) => p.flopsPerSecond).filter(Number.isFinite));
      if (peak === 0 || bandwidth === 0) throw new Error('the products finished faster than the clock can resolve; choose a larger n');
      ceiling = { peak, bandwidth };
      points = [
        ...points,
        ...matmulPoints,
        { label: 'decode', intensity: decodeIntensity(config, keys), flopsPerSecond: tokenFlops(config, keys).total * decodePerSecond, how: `${NEW_TOKENS} greedy tokens, timed in the page` },
        { label: `prefill ${ids.length}`, intensity: prefillIntensity(config, ids.length), flopsPerSecond: forwardFlops(config, ids.length, { lmHeadRows: 1 }).total / (prefillMs / 1000), how: 'to the first new token, timed in the page' },
      ];
      draw();
      ctx.status('ready');
    } catch (error) {
      if (ctx.signal.aborted) return;
      if (controller?.signal.aborted) {
        ctx.status('note', `Cancelled after ${done} of ${total} measurements; the roofline needs all of them.`);
        readout.textContent = 'Cancelled. Press Measure this device to start again.';
      } else reportFailure(ctx, error, 'The measurement could not run');
    } finally {
      controls.setRunning(false);
      controls.setProgress(null);
      controller = null;
    }
  };

  controls.run.addEventListener('click', () => void measure(), { signal: ctx.signal });
  controls.cancel.addEventListener('click', () => controller?.abort(), { signal: ctx.signal });
  largest.select.addEventListener('change', () => ctx.setState({ largest: LARGEST[Number(largest.select.value)] }), { signal: ctx.signal });
  ctx.signal.addEventListener('abort', () => controller?.abort());
  onWidthChange(chart, ctx.signal, draw);
}
