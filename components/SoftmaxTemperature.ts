// How temperature reshapes the next-token distribution: p_i = softmax(z / T)_i.
// The logits are a fixed, illustrative example (not from the model), so this widget needs no
// runtime and shows the widget convention in its simplest form.
import { probabilityBars } from '../src/charts/probabilityBars';
import { applyTemperature, softmax } from '../src/llama/sampling';
import { number } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';

export const schema = {
  /** T in p = softmax(z / T); 1 leaves the logits as they are. */
  temperature: number(0.1, 3, 1),
};

type State = StateOf<typeof schema>;

/** Illustrative logits z for the word after "The cat sat on the". */
export const EXAMPLE_LOGITS: ReadonlyArray<{ label: string; logit: number }> = [
  { label: 'mat', logit: 3.2 },
  { label: 'floor', logit: 2.6 },
  { label: 'sofa', logit: 2.1 },
  { label: 'roof', logit: 1.4 },
  { label: 'table', logit: 1.0 },
  { label: 'moon', logit: -0.5 },
];

/** The distribution softmax(z / T) over the example tokens. */
export function exampleDistribution(temperature: number): { label: string; probability: number }[] {
  const logits = Float32Array.from(EXAMPLE_LOGITS, (token) => token.logit); // [tokens]
  const probabilities = softmax(applyTemperature(logits, temperature)); // [tokens], sums to 1
  return EXAMPLE_LOGITS.map((token, i) => ({ label: token.label, probability: probabilities[i] }));
}

export function mount(el: HTMLElement, ctx: WidgetContext<State>): void {
  const controls = document.createElement('label');
  controls.className = 'widget-control';
  const slider = document.createElement('input');
  slider.type = 'range';
  slider.min = String(schema.temperature.min);
  slider.max = String(schema.temperature.max);
  slider.step = '0.05';
  slider.value = String(ctx.state.temperature);
  const readout = document.createElement('output');
  controls.append('Temperature T', slider, readout);

  const chart = document.createElement('div');
  chart.className = 'widget-chart';
  el.append(controls, chart);

  let drawnWidth = 0;
  const draw = () => {
    const { temperature } = ctx.state;
    readout.value = temperature.toFixed(2);
    slider.setAttribute('aria-valuetext', `T = ${temperature.toFixed(2)}`);
    drawnWidth = chart.clientWidth;
    chart.replaceChildren(probabilityBars(exampleDistribution(temperature), { width: Math.max(240, drawnWidth) }));
  };

  slider.addEventListener(
    'input',
    () => {
      ctx.setState({ temperature: Number(slider.value) });
      draw();
    },
    { signal: ctx.signal },
  );
  // Redraw when the width changes (phone rotation, sidebar); a height change is our own redraw.
  const resize = new ResizeObserver(() => {
    if (chart.clientWidth !== drawnWidth) draw();
  });
  resize.observe(chart);
  ctx.signal.addEventListener('abort', () => resize.disconnect());
  draw();
}
