// Inside inverted dropout: a small activation vector, one random keep mask, the 1/(1-p) scaling,
// and the mean over many draws settling on the original vector (the expected value is kept).
// Plain arithmetic with a seeded generator; no model.
import dropoutRunsCss from './DropoutRuns.css?url';
import { runningMeanLines } from '../src/charts/runningMeanLines';
import { MAX_DROPOUT_RATE, describeBadRate, dropoutDraw, runningMeans } from '../src/chapters/dropout';
import { createRandom } from '../src/llama/rng';
import { integer, number } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, slider } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(dropoutRunsCss);

/** An illustrative activation vector (one position's hidden values, eight of them). */
export const EXAMPLE_ACTIVATIONS: readonly number[] = [0.8, -1.3, 0.4, 2.1, -0.6, 1.0, -0.2, 1.5];

export const schema = {
  p: number(0, MAX_DROPOUT_RATE, 0.5),
  /** Which draw the table shows (the seed of its mask). */
  draw: integer(1, 100_000, 1),
  /** How many draws the running mean averages. */
  draws: integer(10, 2000, 200),
};

type State = StateOf<typeof schema>;

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
  scroller.setAttribute('aria-label', 'One dropout draw');
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

    const kept = one.keep.filter(Boolean).length;
    const keptClass = (i: number) => (one.keep[i] ? 'di-kept' : 'di-dropped');
    const lines: [string, string[], ((i: number) => string)?][] = [
      ['input x', x.map(format)],
      ['mask', one.keep.map((k) => (k ? 'keep' : 'drop')), keptClass],
      ['output', one.output.map(format), keptClass],
      [`mean of ${drawCount}`, finalMeans.map(format)],
    ];
    const header = (text: string, scope: 'col' | 'row') => {
      const th = document.createElement('th');
      th.scope = scope;
      th.textContent = text;
      return th;
    };
    // Wide: one column per value. Tall (when the wide one does not fit): one row per value, so a
    // phone shows all eight without scrolling.
    const buildTable = (wide: boolean) => {
      const table = document.createElement('table');
      table.className = wide ? 'di-table' : 'di-table di-table--tall';
      const caption = document.createElement('caption');
      caption.textContent = `Draw ${drawNumber}: ${kept} of ${x.length} values kept, each scaled by 1/(1 − ${p.toFixed(2)}) = ${(1 / (1 - p)).toFixed(2)}`;
      table.append(caption);
      const head = document.createElement('tr');
      head.append(document.createElement('td'));
      if (wide) x.forEach((_, i) => head.append(header(`x${i + 1}`, 'col')));
      else for (const [name] of lines) head.append(header(name, 'col'));
      table.append(head);
      const rows = wide ? lines.length : x.length;
      for (let r = 0; r < rows; r++) {
        const tr = document.createElement('tr');
        tr.append(header(wide ? lines[r][0] : `x${r + 1}`, 'row'));
        const cells = wide ? lines[r][1].map((text, i) => ({ text, className: lines[r][2]?.(i) })) : lines.map(([, values, classOf]) => ({ text: values[r], className: classOf?.(r) }));
        for (const cell of cells) {
          const td = document.createElement('td');
          td.textContent = cell.text;
          if (cell.className) td.className = cell.className;
          tr.append(td);
        }
        table.append(tr);
      }
      return table;
    };
    scroller.replaceChildren(buildTable(true));
    const wideTable = scroller.firstElementChild as HTMLTableElement;
    if (scroller.clientWidth > 0 && wideTable.offsetWidth > scroller.clientWidth) scroller.replaceChildren(buildTable(false));

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
