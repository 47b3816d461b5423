// swish_β(x) = x σ(βx) against ReLU and GELU, with its derivative, its minimum and a read-out
// line; a β slider reshapes it from x/2 (β = 0) through SiLU (β = 1) towards ReLU (large β).
// Pure maths from src/chapters/activations.ts: no model.
import activationWidgetsCss from './activationWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { curvesXScale, functionCurves, redrawFunctionCurves, type Curve } from '../src/charts/functionCurves';
import { gelu, relu, swish, swishDerivative, swishMinimum } from '../src/chapters/activations';
import { number } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, onWidthChange, slider } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(activationWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

export const schema = {
  /** β in x σ(βx): 0 is the line x/2, 1 is SiLU, 10 is close to ReLU. */
  beta: number(0, 10, 1),
  /** Where the read-out line stands. */
  x: number(-5, 5, -1.28),
};

type State = StateOf<typeof schema>;

const X_DOMAIN = [-5, 5] as const;
const Y_DOMAIN = [-1, 3] as const;
const SAMPLES = 401;

/** The four curves at this β, sampled on X_DOMAIN. */
export function explorerCurves(beta: number): Curve[] {
  const xs = Array.from({ length: SAMPLES }, (_, i) => X_DOMAIN[0] + ((X_DOMAIN[1] - X_DOMAIN[0]) * i) / (SAMPLES - 1));
  const sample = (f: (x: number) => number) => xs.map((x) => [x, f(x)] as const);
  return [
    { name: `swish β=${beta.toFixed(2)}`, className: 'chart-curve--1', points: sample((x) => swish(x, beta)) },
    { name: `derivative of swish β=${beta.toFixed(2)}`, className: 'chart-curve--1', dashed: true, points: sample((x) => swishDerivative(x, beta)) },
    { name: 'ReLU', className: 'chart-curve--3', points: sample(relu) },
    { name: 'GELU', className: 'chart-curve--4', points: sample(gelu) },
  ];
}

export function mount(el: HTMLElement, ctx: WidgetContext<State>): void {
  const controls = element('div', 'mw-controls aw-controls');
  const betaControl = slider('β', { min: 0, max: 10, step: 0.05, value: ctx.state.beta });
  const xControl = slider('Read at x', { min: X_DOMAIN[0], max: X_DOMAIN[1], step: 0.01, value: ctx.state.x });
  controls.append(betaControl.label, xControl.label);
  const chart = element('div', 'mw-chart');
  const legend = element('ul', 'aw-legend');
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const summary = element('div');
  const table = element('table', 'mw-hidden');
  summary.append(table);
  const legendItems = (
    [
      ['', 'chart-curve--1', false],
      ['its derivative', 'chart-curve--1', true],
      ['ReLU', 'chart-curve--3', false],
      ['GELU', 'chart-curve--4', false],
    ] as const
  ).map(([text, className, dashed]) => {
    const item = element('li', `${className}${dashed ? ' aw-dashed' : ''}`);
    item.append(element('span', undefined, text));
    return item;
  });
  legend.append(...legendItems);
  const setLegend = (beta: number) => {
    const name = `swish, β = ${beta.toFixed(2)}`;
    const span = legendItems[0].firstElementChild!;
    if (span.textContent !== name) span.textContent = name;
  };
  el.append(controls, chart, legend, readout, summary);

  const draw = () => {
    // layout is read before anything is written, so reading it costs no extra layout pass
    const width = Math.max(260, chart.clientWidth);
    const { beta, x } = ctx.state;
    betaControl.output.value = beta.toFixed(2);
    xControl.output.value = x.toFixed(2);
    betaControl.input.setAttribute('aria-valuetext', `beta ${beta.toFixed(2)}`);
    const curves = explorerCurves(beta);
    const minimum = swishMinimum(beta);
    const inView = minimum && minimum.x >= X_DOMAIN[0];
    const options = {
      width,
      xDomain: X_DOMAIN,
      yDomain: Y_DOMAIN,
      readoutX: x,
      marker: inView ? { x: minimum.x, y: minimum.value, label: `min ${formatNumber(minimum.value, 4)} at x = ${formatNumber(minimum.x, 4)}` } : undefined,
    };
    // a slider redraws the curves into the chart it has (same width), keeping the axes
    const drawn = chart.querySelector('svg');
    if (!drawn || !redrawFunctionCurves(drawn, curves, options)) chart.replaceChildren(functionCurves(curves, options));
    // the legend's first entry names β; the entries themselves stay
    setLegend(beta);
    const values = [swish(x, beta), swishDerivative(x, beta), relu(x), gelu(x)];
    readout.textContent =
      `x = ${formatNumber(x, 2)}: swish ${formatNumber(values[0], 4)}, derivative ${formatNumber(values[1], 4)}, ` +
      `ReLU ${formatNumber(values[2], 4)}, GELU ${formatNumber(values[3], 4)}.` +
      (minimum ? ` Minimum ${formatNumber(minimum.value, 4)} at x = ${formatNumber(minimum.x, 4)}.` : ' With β = 0 swish is the line x/2: no minimum.');
    // the text alternative: refilled in place, so a slider step changes only the texts that differ
    fillTable(
      table,
      `Values at x = ${x.toFixed(2)} for beta = ${beta.toFixed(2)}`,
      ['function', 'value'],
      [
        ['swish', formatNumber(values[0], 4)],
        ['derivative of swish', formatNumber(values[1], 4)],
        ['ReLU', formatNumber(values[2], 4)],
        ['GELU', formatNumber(values[3], 4)],
      ],
      { inPlace: true },
    );
  };

  betaControl.input.addEventListener('input', () => {
    ctx.setState({ beta: Number(betaControl.input.value) });
    draw();
  }, { signal: ctx.signal });
  xControl.input.addEventListener('input', () => {
    ctx.setState({ x: Number(xControl.input.value) });
    draw();
  }, { signal: ctx.signal });
  // Hovering (or touching) the chart moves the read-out line; the x slider does it from the keyboard.
  chart.addEventListener('pointermove', (event) => {
    const svg = chart.querySelector('svg');
    if (!svg) return;
    const box = svg.getBoundingClientRect();
    const scale = curvesXScale(Math.max(260, chart.clientWidth), X_DOMAIN);
    const atX = scale.invert(((event.clientX - box.left) / box.width) * Number(svg.getAttribute('width')));
    const clamped = Math.round(Math.min(X_DOMAIN[1], Math.max(X_DOMAIN[0], atX)) * 100) / 100;
    if (clamped === ctx.state.x) return;
    xControl.input.value = String(clamped);
    ctx.setState({ x: clamped });
    draw();
  }, { signal: ctx.signal });
  onWidthChange(chart, ctx.signal, draw);
  draw();
}
