/**
 * The slider-redraw benchmark of `npm run bench`: a slider change that needs no new model run
 * must redraw within one frame (16 ms at p95, 1280 px wide).
 *
 * For each widget below, headless Chromium (playwright-core) opens its embed page on the built
 * site, waits until it has drawn, focuses the slider, presses Home, then ArrowRight `presses`
 * times, one press at a time: real key input, so the browser changes the value and fires `input`
 * as it does for a reader. In the page, per press:
 *   t0       keydown's timeStamp (when the browser received the key),
 *   handled  after the widget's own input listeners (a listener on window, bubble phase, runs last),
 *   frame    the start of the next frame (requestAnimationFrame, registered then),
 *   painted  after that frame's style, layout and paint (a message posted from the rAF callback
 *            runs once the rendering step is over).
 * Reported, p50 and p95 over the presses (the first `warmup` left out):
 *   work     (handled - t0) + (painted - frame): the main thread's time for the change, input
 *            queueing, listeners, style, layout and paint; over 16 ms, a frame is dropped.
 *   latency  painted - t0: the same plus the wait for the frame to start (up to one frame interval).
 * Timings are for reading, never asserted.
 */
import type { Page } from 'playwright-core';

export const SLIDER_SETUP = { presses: 50, warmup: 5, viewport: { width: 1280, height: 900 }, budgetMs: 16 } as const;

/** Widgets whose slider redraws from what the widget already holds (no model run). */
export const SLIDER_WIDGETS = [
  // softmax(z / T) of fixed logits: no model at all
  { widget: 'softmax-temperature', slider: 'Temperature T' },
  // silu / swish curves: no model at all
  { widget: 'activation-explorer', slider: 'β' },
  // the model runs once for q; moving the position only re-rotates it
  { widget: 'rope-rotation', slider: 'Position m' },
] as const;

export interface SliderResult {
  widget: string;
  slider: string;
  samples: number;
  work: { p50: number; p95: number };
  /** the two parts of work: to the end of the listeners, and the frame's style, layout and paint */
  listeners: { p50: number; p95: number };
  render: { p50: number; p95: number };
  latency: { p50: number; p95: number };
}

interface Sample {
  t0: number;
  handled: number;
  frame: number;
  painted: number;
}

/** Installed in the page before any press: records one Sample per keydown that led to an input event. */
const RECORDER = `(() => {
  const state = { samples: [], pending: null };
  window.__sliderBench = state;
  document.addEventListener('keydown', (event) => { state.pending = { t0: event.timeStamp }; }, true);
  window.addEventListener('input', () => {
    const sample = state.pending;
    if (!sample) return;
    state.pending = null;
    sample.handled = performance.now();
    requestAnimationFrame(() => {
      sample.frame = performance.now();
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        sample.painted = performance.now();
        state.samples.push(sample);
      };
      channel.port2.postMessage(0);
    });
  });
})()`;

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Drives one widget's slider on an opened embed page (already drawn); returns its figures. */
export async function measureSlider(page: Page, widget: string, sliderLabel: string): Promise<SliderResult> {
  const slider = page.getByRole('slider', { name: sliderLabel }).first();
  await slider.focus();
  await page.evaluate(RECORDER);
  const count = () => page.evaluate('window.__sliderBench.samples.length') as Promise<number>;
  // polled from here: the site's CSP forbids the string evaluation page.waitForFunction would need
  const waitForSamples = async (n: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while ((await count()) < n) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return true;
  };
  await page.keyboard.press('Home'); // from the slider's minimum, so every press below changes the value
  await waitForSamples(1, 2_000);
  const start = await count();
  for (let press = 1; press <= SLIDER_SETUP.presses; press++) {
    await page.keyboard.press('ArrowRight');
    if (!(await waitForSamples(start + press, 10_000))) throw new Error(`slider bench: ${widget}: press ${press} of ArrowRight on "${sliderLabel}" drew nothing`);
  }
  const samples = ((await page.evaluate('window.__sliderBench.samples')) as Sample[]).slice(start + SLIDER_SETUP.warmup);
  const figures = (values: number[]) => ({ p50: quantile(values, 0.5), p95: quantile(values, 0.95) });
  return {
    widget,
    slider: sliderLabel,
    samples: samples.length,
    work: figures(samples.map((s) => s.handled - s.t0 + (s.painted - s.frame))),
    listeners: figures(samples.map((s) => s.handled - s.t0)),
    render: figures(samples.map((s) => s.painted - s.frame)),
    latency: figures(samples.map((s) => s.painted - s.t0)),
  };
}

export function formatSliderResults(results: readonly SliderResult[]): string {
  const lines = [
    `slider redraw (headless Chromium, ${SLIDER_SETUP.viewport.width} px, ${SLIDER_SETUP.presses - SLIDER_SETUP.warmup} key presses each; ` +
      `work = input to painted without the wait for the frame, budget ${SLIDER_SETUP.budgetMs} ms at p95)`,
  ];
  for (const r of results) {
    const verdict = r.work.p95 <= SLIDER_SETUP.budgetMs ? 'within one frame' : 'MISSES the frame budget';
    lines.push(
      `  ${`${r.widget} (${r.slider})`.padEnd(38)} work p50 ${r.work.p50.toFixed(1)} ms, p95 ${r.work.p95.toFixed(1)} ms: ${verdict}\n` +
        `  ${''.padEnd(38)} (listeners p50 ${r.listeners.p50.toFixed(1)}, p95 ${r.listeners.p95.toFixed(1)}; style/layout/paint p50 ${r.render.p50.toFixed(1)}, ` +
        `p95 ${r.render.p95.toFixed(1)}); input to next frame p50 ${r.latency.p50.toFixed(1)} ms, p95 ${r.latency.p95.toFixed(1)} ms`,
    );
  }
  return lines.join('\n');
}
