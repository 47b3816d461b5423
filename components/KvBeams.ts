// Beam search step by step, as the runtime runs it: after every step, the live beams (best first),
// the row of the previous step's KV cache each one extends (the cache's rows are reordered to these
// parents before the next step), the hypotheses that ended at end-of-text, and what the beams'
// caches take: one contiguous copy each, or blocks shared copy-on-write (src/chapters/kvcache.ts).
import decodingWidgetsCss from './decodingWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import kvWidgetsCss from './kvWidgets.css?url';
import { pathTreeChart } from '../src/charts/pathTreeChart';
import { displayPiece, pathTree } from '../src/chapters/decoding';
import { beamMemory, beamPaths, formatBytes, kvBytesPerToken, kvShapeOf } from '../src/chapters/kvcache';
import type { BeamSearchResult } from '../src/runtime/messages';
import { choice, integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, onWidthChange, radioGroup, reportFailure, slider, tableScroller } from './modelWidgetParts';
import { pageTokenizer, promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(decodingWidgetsCss);
loadStylesheet(modelWidgetPartsCss);
loadStylesheet(kvWidgetsCss);

export const BEAMS_PROMPT = 'Once upon a time, there was a little girl named Lily. One day, she';

export const schema = {
  prompt: text(600, BEAMS_PROMPT),
  beams: integer(2, 8, 4),
  /** max_new_tokens of the search. */
  tokens: integer(2, 24, 12),
  /** The step shown; 0 = the last one. */
  step: integer(0, 24, 0),
  blockSize: choice(['4', '8', '16'], '16'),
};

type State = StateOf<typeof schema>;

/** The step a state shows among `count` steps: 0 (and anything past the end) is the last. */
export function shownStep(step: number, count: number): number {
  return step === 0 || step > count ? count : step;
}

/** " (row 1 serves 2 beams, so it is copied)" when parent rows serve several beams; the others are dropped. */
export function copiedNote(parents: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const parent of parents) counts.set(parent, (counts.get(parent) ?? 0) + 1);
  const copied = [...counts].filter(([, n]) => n > 1).map(([row, n]) => `row ${row + 1} serves ${n} beams`);
  if (copied.length === 0) return '';
  return ` (${copied.join(' and ')}, so ${copied.length === 1 ? 'it is' : 'they are'} copied)`;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const tokenizer = await pageTokenizer(runtime);
  const perToken = kvBytesPerToken(kvShapeOf(model.config), 4);

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run(), { step: 0 });
  const grid = element('div', 'dw-grid');
  const beams = slider('Beams', { min: 2, max: 8, step: 1, value: ctx.state.beams });
  const tokens = slider('New tokens', { min: 2, max: 24, step: 1, value: ctx.state.tokens });
  const step = slider('Step shown', { min: 1, max: ctx.state.tokens, step: 1, value: ctx.state.step || ctx.state.tokens });
  grid.append(beams.label, tokens.label, step.label);
  const blockSize = radioGroup('Block size', `${ctx.id}-block`, schema.blockSize.choices.map((c) => [c, c] as const), ctx.state.blockSize, {
    signal: ctx.signal,
    onChange: (value) => {
      ctx.setState({ blockSize: value });
      draw();
    },
  });
  const readout = element('p', 'mw-readout');
  const memory = element('p', 'mw-readout');
  const chart = element('div', 'mw-chart dw-tree');
  const note = element('p', 'dw-scroll-note', 'The tree is wider than this column: scroll it sideways to follow the beams to their last token.');
  note.hidden = true;
  const legend = element('ul', 'dw-legend');
  const table = element('table', 'mw-table kv-beams-table');
  el.append(form, grid, blockSize.fieldset, readout, memory, chart, note, legend, tableScroller(table, 'The live beams at this step'));

  let result: BeamSearchResult | null = null;
  let labels = new Map<number, string>();

  function draw(): void {
    if (!result || result.steps.length === 0) return;
    const count = result.steps.length;
    const shown = shownStep(ctx.state.step, count);
    step.input.max = String(count);
    step.input.value = String(shown);
    step.output.value = String(shown);
    const { beams: live, finished } = result.steps[shown - 1];
    const paths = beamPaths(result.steps, shown);
    const names = Object.fromEntries(paths.map((path) => [path.name, path.name.startsWith('beam') ? 'beam' : 'greedy']));
    chart.replaceChildren(
      pathTreeChart(pathTree(paths), { width: Math.max(200, chart.clientWidth), label: (id) => labels.get(id) ?? String(id), highlight: names, rootLabel: 'prompt' }),
    );
    const scrolls = chart.scrollWidth > chart.clientWidth + 1;
    note.hidden = !scrolls;
    if (scrolls) {
      chart.tabIndex = 0;
      chart.setAttribute('role', 'region');
      chart.setAttribute('aria-label', 'Tree of the live beams (scrolls sideways)');
    } else {
      chart.removeAttribute('tabindex');
      chart.removeAttribute('role');
      chart.removeAttribute('aria-label');
    }
    legend.replaceChildren(element('li', 'dw-key--3', 'live beams'), element('li', 'dw-key--1', 'finished at end-of-text'));

    const sequences = live.map((beam) => [...result!.promptIds, ...beam.tokens]);
    const size = Number(ctx.state.blockSize);
    const mem = beamMemory(sequences, size);
    const ended = shown === count && live.length === 0;
    readout.textContent = ended
      ? `Step ${shown} of ${count}: the search stopped, no live beam can beat the ${finished.length} finished hypotheses. ` +
        `Answer: “${tokenizer.decode(result.newIds).trim()}” (score ${formatNumber(result.score, 3)}, the mean log-probability per token).`
      : `Step ${shown} of ${count}: ${live.length} live beams, ${finished.length} finished. ` +
        (shown === 1
          ? 'All extend the prompt\'s one cache row, which is copied for each.'
          : `They extend rows ${live.map((beam) => beam.parent + 1).join(', ')} of step ${shown - 1}: the cache's rows are reordered to these${copiedNote(live.map((beam) => beam.parent))}.`);
    memory.textContent = live.length === 0
      ? ''
      : `Their caches: one contiguous copy per beam is ${live.length} × ${sequences[0].length} = ${mem.contiguousSlots} token slots (${formatBytes(mem.contiguousSlots * perToken)}); ` +
        `in ${size}-token blocks shared copy-on-write, ${mem.blocks} blocks = ${mem.pagedSlots} slots (${formatBytes(mem.pagedSlots * perToken)}), ` +
        `${mem.sharedBlocks} of them shared by several beams.`;
    fillTable(
      table,
      `Live beams after step ${shown}, best first`,
      ['beam', 'from row', 'continuation', 'sum of log p'],
      live.length
        ? live.map((beam, row) => [row + 1, beam.parent + 1, tokenizer.decode(beam.tokens), formatNumber(beam.logProb, 3)])
        : finished.map((hypothesis, i) => [`finished ${i + 1}`, '–', tokenizer.decode(hypothesis.tokens), formatNumber(hypothesis.score * hypothesis.tokens.length, 3)]),
    );
  }

  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    const prepared = await promptIds(runtime, model, ctx.state.prompt, ctx.state.tokens);
    if (prepared.problem !== null) {
      ctx.status('error', prepared.problem);
      return;
    }
    try {
      ctx.status('loading', 'Searching…');
      const found = await runtime.call('beamSearch', { input: { ids: prepared.ids }, numBeams: ctx.state.beams, maxNewTokens: ctx.state.tokens }, {
        signal: ctx.signal,
        onProgress: ({ step: done }) => runId === runs && ctx.status('loading', `Searching: step ${done} of at most ${ctx.state.tokens}…`),
      });
      if (runId !== runs || ctx.signal.aborted) return;
      const ids = [...new Set(found.steps.flatMap((s) => [...s.beams.flatMap((b) => b.tokens), ...s.finished.flatMap((f) => f.tokens)]))];
      const pieces = (await runtime.pieces(ids)).pieces;
      if (runId !== runs || ctx.signal.aborted) return;
      labels = new Map(ids.map((id, i) => [id, displayPiece(pieces[i])]));
      result = found;
      draw();
      ctx.status('ready');
    } catch (error) {
      if (runId === runs && !ctx.signal.aborted) reportFailure(ctx, error);
    }
  }

  for (const [control, name] of [[beams, 'beams'], [tokens, 'tokens']] as const) {
    control.output.value = String(ctx.state[name]);
    control.input.addEventListener('input', () => (control.output.value = control.input.value), { signal: ctx.signal });
    control.input.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.input.value), step: 0 });
      void run();
    }, { signal: ctx.signal });
  }
  // moving through the steps needs no model run: redraw on every input
  step.input.addEventListener('input', () => {
    const count = result?.steps.length ?? ctx.state.tokens;
    const value = Number(step.input.value);
    ctx.setState({ step: value >= count ? 0 : value });
    draw();
  }, { signal: ctx.signal });
  onWidthChange(chart, ctx.signal, draw);
  await run();
}
