// Inside inverted dropout: a small activation vector, one random keep mask, the 1/(1-p) scaling,
// and the mean over many draws settling on the original vector (the expected value is kept).
// Plain arithmetic with a seeded generator; no model.
import './DropoutRuns.css';
import { runningMeanLines } from '../src/charts/runningMeanLines';
import { MAX_DROPOUT_RATE, describeBadRate, dropoutDraw, runningMeans } from '../src/chapters/dropout';
import { createRandom } from '../src/llama/rng';
import { integer, number } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, slider } from './modelWidgetParts';

/** An illustrative activation vector (one position's hidden values, eight of them). */
export const EXAMPLE_ACTIVATIONS: readonly number[] = [0.8, -1.3, 0.4, 2.1, -0.6, 1.0, -0.2, 1.5];

export const schema = {
  p: number(0, MAX_DROPOUT_RATE, 0.5),
  /** Which draw the table shows (the seed of its mask). */
  draw: integer(1, 100_000, 1),
  /** How many draws the running mean averages. */
  draws: integer(10, 2000, 200),
};

type State = { p: number; draw: number; draws: number };

const format = (value: number) => (value === 0 ? '0' : value.toFixed(2));

export function mount(el: HTMLElement, ctx: WidgetContext<State>): void {
  const controls = element('div', 'widget-controls dr-controls');
  const rate = slider('Dropout p', { min: 0, max: MAX_DROPOUT_RATE, step: 0.05, value: ctx.state.p });
  const draws = slider('Draws averaged', { min: 10, max: 2000, step: 10, value: ctx.state.draws });
  const again = document.createElement('button');
  again.type = 'button';
  again.textContent = 'Draw a new mask';
  controls.append(rate.label, again, draws.label);

  const scroller = document.createElement('div');
  scroller.className = 'di-scroller';
  scroller.tabIndex = 0;
  scroller.setAttribute('role', 'region');
  scroller.setAttribute('aria-label', 'One dropout draw (scrolls sideways)');
  const summary = element('p', 'widget-summary');
  const chart = document.createElement('div');
  chart.className = 'widget-chart';
  el.append(controls, scroller, summary, chart);

  let drawnWidth = 0;
  const draw = () => {
    const { p, draw: drawNumber, draws: drawCount } = ctx.state;
    rate.output.value = p.toFixed(2);
    rate.input.setAttribute('aria-valuetext', `p = ${p.toFixed(2)}`);
    draws.output.value = String(drawCount);
    const problem = describeBadRate(p);
    if (problem) {
      ctx.status('note', problem);
      return;
    }
    const x = EXAMPLE_ACTIVATIONS;
    const one = dropoutDraw(x, p, createRandom(drawNumber));
    const means = runningMeans(x, p, drawCount, drawNumber);
    const finalMeans = means[drawCount - 1];

    const table = document.createElement('table');
    table.className = 'di-table';
    const caption = document.createElement('caption');
    const kept = one.keep.filter(Boolean).length;
    caption.textContent = `Draw ${drawNumber}: ${kept} of ${x.length} values kept, each scaled by 1/(1 − ${p.toFixed(2)}) = ${(1 / (1 - p)).toFixed(2)}`;
    table.append(caption);
    const head = document.createElement('tr');
    head.append(document.createElement('td'));
    x.forEach((_, i) => {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = `x${i + 1}`;
      head.append(th);
    });
    table.append(head);
    const line = (name: string, cells: string[], classOf?: (i: number) => string) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = name;
      tr.append(th);
      cells.forEach((cell, i) => {
        const td = document.createElement('td');
        td.textContent = cell;
        if (classOf) td.className = classOf(i);
        tr.append(td);
      });
      table.append(tr);
    };
    const keptClass = (i: number) => (one.keep[i] ? 'di-kept' : 'di-dropped');
    line('input x', x.map(format));
    line('mask', one.keep.map((k) => (k ? 'keep' : 'drop')), keptClass);
    line('output', one.output.map(format), keptClass);
    line(`mean of ${drawCount}`, finalMeans.map(format));
    scroller.replaceChildren(table);

    const worst = Math.max(...finalMeans.map((m, i) => Math.abs(m / x[i] - 1)));
    summary.textContent =
      p === 0
        ? 'p = 0: nothing is dropped and nothing is scaled; the output is the input.'
        : `One draw keeps about ${Math.round((1 - p) * 100)}% of the values and multiplies them by ${(1 / (1 - p)).toFixed(2)}. After ${drawCount} draws every mean is within ${(worst * 100).toFixed(1)}% of its input.`;
    drawnWidth = chart.clientWidth;
    chart.replaceChildren(
      runningMeanLines(
        means.map((row) => row.map((m, i) => m / x[i])),
        { width: Math.max(260, drawnWidth), p },
      ),
    );
  };

  rate.input.addEventListener(
    'input',
    () => {
      ctx.setState({ p: Number(rate.input.value) });
      draw();
    },
    { signal: ctx.signal },
  );
  draws.input.addEventListener(
    'input',
    () => {
      ctx.setState({ draws: Number(draws.input.value) });
      draw();
    },
    { signal: ctx.signal },
  );
  again.addEventListener(
    'click',
    () => {
      ctx.setState({ draw: (ctx.state.draw % schema.draw.max) + 1 });
      draw();
    },
    { signal: ctx.signal },
  );
  const resize = new ResizeObserver(() => {
    if (chart.clientWidth !== drawnWidth) draw();
  });
  resize.observe(chart);
  ctx.signal.addEventListener('abort', () => resize.disconnect());
  draw();
}
