// Prefill against decode on the reader's device: for prompts of several lengths (the first n
// tokens of one text), the time to the first token (the prompt in one forward) and the time of
// each later token (one forward of one token against the KV cache), measured live.
import decodingWidgetsCss from './decodingWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import kvWidgetsCss from './kvWidgets.css?url';
import { lineCurves } from '../src/charts/lineCurves';
import { integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { median } from './kvWidgetParts';
import { element, fillTable, formatNumber, loadModel, onWidthChange, reportFailure, slider, tableScroller } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(decodingWidgetsCss);
loadStylesheet(modelWidgetPartsCss);
loadStylesheet(kvWidgetsCss);

const STORY =
  'Once upon a time, there was a little girl named Lily. She loved to play in the park with her friends. One day, she saw a big red ball under a tree. ' +
  'She ran to the ball and kicked it very high. The ball flew over the fence and into the garden of an old man. Lily was scared, but she went to the door and knocked. ' +
  'The old man opened the door and smiled. He gave her the ball and a cookie. Lily said thank you and ran back to her friends. They played with the ball all day, ' +
  'and when the sun went down, they all went home happy. The next day, Lily brought the old man a flower from her garden. He was very happy and they became good friends.';

export const schema = {
  prompt: text(2000, STORY),
  /** How many prompt lengths to measure, evenly spaced up to the whole prompt. */
  points: integer(2, 8, 5),
  /** Decode steps timed after each prefill (their median is reported). */
  steps: integer(2, 32, 8),
};

type State = StateOf<typeof schema>;

/** Prompt lengths measured: `points` lengths evenly spaced from total / points up to total. */
export function promptLengths(total: number, points: number): number[] {
  const lengths = Array.from({ length: points }, (_, i) => Math.max(2, Math.round(((i + 1) * total) / points)));
  return [...new Set(lengths)];
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const context = model.config.max_position_embeddings;

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run());
  const grid = element('div', 'dw-grid');
  const points = slider('Prompt lengths', { min: 2, max: 8, step: 1, value: ctx.state.points });
  const steps = slider('Decode steps timed', { min: 2, max: 32, step: 1, value: ctx.state.steps });
  grid.append(points.label, steps.label);
  const readout = element('p', 'mw-readout');
  const chart = element('div', 'mw-chart');
  const legend = element('ul', 'dw-legend');
  const table = element('table', 'mw-table');
  el.append(form, grid, readout, chart, legend, tableScroller(table, 'Time to first token and per later token, by prompt length'));

  let rows: { length: number; prefillMs: number; decodeMs: number }[] = [];
  const draw = () => {
    if (rows.length === 0) return;
    const top = Math.max(...rows.map((r) => Math.max(r.prefillMs, r.decodeMs)), 0.1) * 1.1;
    chart.replaceChildren(
      lineCurves(
        [
          { name: 'time to first token (prefill)', className: 'chart-line--1', points: rows.map((r) => ({ x: r.length, y: r.prefillMs })) },
          { name: 'time per later token (decode)', className: 'chart-line--3', points: rows.map((r) => ({ x: r.length, y: r.decodeMs })) },
        ],
        { width: Math.max(260, chart.clientWidth), yDomain: [0, top], xLabel: 'prompt tokens', yLabel: 'ms' },
      ),
    );
    legend.replaceChildren(element('li', 'dw-key--1', 'time to first token (the prefill)'), element('li', 'dw-key--3', 'time per later token (median of the decode steps)'));
    fillTable(
      table,
      'Measured on this device',
      ['prompt tokens', 'first token (ms)', 'later tokens (ms each)', 'prefill ms per prompt token'],
      rows.map((r) => [r.length, formatNumber(r.prefillMs, 2), formatNumber(r.decodeMs, 2), formatNumber(r.prefillMs / r.length, 3)]),
    );
    const first = rows[0];
    const last = rows[rows.length - 1];
    readout.textContent =
      `From ${first.length} to ${last.length} prompt tokens the first token took ${formatNumber(first.prefillMs, 1)} → ${formatNumber(last.prefillMs, 1)} ms, ` +
      `each later token ${formatNumber(first.decodeMs, 2)} → ${formatNumber(last.decodeMs, 2)} ms.`;
  };

  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    const prepared = await promptIds(runtime, model, ctx.state.prompt, ctx.state.steps);
    if (prepared.problem !== null) {
      ctx.status('error', prepared.problem);
      return;
    }
    if (prepared.ids.length < 4) {
      ctx.status('error', `The prompt has ${prepared.ids.length} tokens (with <s>); give it at least 4 so that there are lengths to compare.`);
      return;
    }
    const total = Math.min(prepared.ids.length, context - ctx.state.steps);
    const measured: typeof rows = [];
    try {
      for (const length of promptLengths(total, ctx.state.points)) {
        ctx.status('loading', `Timing a ${length}-token prompt…`);
        const result = await runtime.call('decodeTimeline', { input: { ids: prepared.ids.slice(0, length) }, steps: ctx.state.steps, warmup: true });
        if (runId !== runs || ctx.signal.aborted) return;
        measured.push({ length, prefillMs: result.prefillMs, decodeMs: median(result.steps.map((s) => s.cacheMs)) });
        rows = [...measured];
        draw();
      }
      ctx.status('ready');
    } catch (error) {
      if (runId === runs && !ctx.signal.aborted) reportFailure(ctx, error);
    }
  }

  for (const [control, name] of [[points, 'points'], [steps, 'steps']] as const) {
    control.output.value = String(ctx.state[name]);
    control.input.addEventListener('input', () => (control.output.value = control.input.value), { signal: ctx.signal });
    control.input.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.input.value) });
      void run();
    }, { signal: ctx.signal });
  }
  onWidthChange(chart, ctx.signal, draw);
  await run();
}
