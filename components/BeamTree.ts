// Beam search, greedy decoding and a few seeded samples of the same prompt, drawn as one tree of
// tokens with cumulative log-probabilities, so you can see where they part ways and which path
// the model scores highest. Every path comes from the engine (src/llama/generate.ts); the
// log-probabilities come from one forward pass over all of them.
import decodingWidgetsCss from './decodingWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { pathTreeChart } from '../src/charts/pathTreeChart';
import { displayPiece, pathTree, tokenLogProbs, type DecodedPath } from '../src/chapters/decoding';
import type { GenerateOptions } from '../src/runtime/messages';
import { integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, formatNumber, hiddenTable, loadModel, onWidthChange, slider } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(decodingWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

export const schema = {
  prompt: text(600, 'Once upon a time, there was a'),
  beams: integer(1, 8, 3),
  /** Sampled paths (temperature 1), seeds seed, seed + 1, ... */
  samples: integer(0, 5, 2),
  /** New tokens per path. */
  length: integer(2, 10, 6),
  seed: integer(0, 99999, 1),
};

type State = StateOf<typeof schema>;

/** The decoders compared: beam search with the chosen width, greedy, and the seeded samples. */
export function decoders(state: State): { name: string; options: Omit<GenerateOptions, 'maxNewTokens'> }[] {
  return [
    { name: `beam search (${state.beams} beams)`, options: { numBeams: state.beams, temperature: 0 } },
    { name: 'greedy', options: { temperature: 0 } },
    ...Array.from({ length: state.samples }, (_, i) => ({ name: `sample, seed ${state.seed + i}`, options: { temperature: 1, seed: state.seed + i } })),
  ];
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const vocab = model.config.vocab_size;

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run());
  const grid = element('div', 'dw-grid');
  const beams = slider('Beams', { min: 1, max: 8, step: 1, value: ctx.state.beams });
  const samples = slider('Samples', { min: 0, max: 5, step: 1, value: ctx.state.samples });
  const length = slider('New tokens', { min: 2, max: 10, step: 1, value: ctx.state.length });
  grid.append(beams.label, samples.label, length.label);
  const legend = element('ul', 'dw-legend');
  // The tree keeps its 11 px labels at every width: a deep tree on a narrow screen scrolls
  // sideways (and says so) instead of shrinking.
  const chart = element('div', 'mw-chart dw-tree');
  const scrollNote = element('p', 'dw-scroll-note', 'The tree is wider than this screen: scroll it sideways to follow the paths to their last token.');
  scrollNote.hidden = true;
  const list = element('div');
  el.append(form, grid, legend, scrollNote, chart, list);

  let draw: (() => void) | null = null;
  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    const prepared = await promptIds(runtime, model, ctx.state.prompt, ctx.state.length);
    if (prepared.problem !== null) {
      ctx.status('error', prepared.problem);
      return;
    }
    const prompt = prepared.ids;
    ctx.status('loading', 'Decoding…');
    try {
      const paths: { name: string; ids: number[]; text: string; score?: number }[] = [];
      for (const decoder of decoders(ctx.state)) {
        const result = await runtime.generate({ ids: prompt, maxNewTokens: ctx.state.length, ignoreEos: true, ...decoder.options }).result;
        paths.push({ name: decoder.name, ids: result.newIds, text: result.text });
      }
      // One forward over every path (same length: no end-of-text stop) gives each token's log p.
      const rows = paths.map((path) => [...prompt, ...path.ids]);
      const { logits } = await runtime.forward({ ids: rows });
      if (runId !== runs || ctx.signal.aborted) return;
      const [, seq] = logits.shape;
      const decoded: DecodedPath[] = paths.map((path, row) => ({
        name: path.name,
        ids: path.ids,
        logProbs: tokenLogProbs(logits.data.subarray(row * seq * vocab, (row + 1) * seq * vocab), vocab, rows[row], prompt.length),
      }));
      const uniqueIds = [...new Set(paths.flatMap((path) => path.ids))];
      const pieces = (await runtime.pieces(uniqueIds)).pieces;
      const labelOf = new Map(uniqueIds.map((id, i) => [id, displayPiece(pieces[i])]));
      const root = pathTree(decoded);
      const totals = decoded.map((path) => path.logProbs.reduce((sum, value) => sum + value, 0));
      const beamName = decoded[0].name;
      draw = () => {
        chart.replaceChildren(
          pathTreeChart(root, { width: Math.max(200, chart.clientWidth), label: (id) => labelOf.get(id) ?? String(id), highlight: { [beamName]: 'beam', greedy: 'greedy' } }),
        );
        const scrolls = chart.scrollWidth > chart.clientWidth + 1;
        scrollNote.hidden = !scrolls;
        if (scrolls) {
          chart.tabIndex = 0;
          chart.setAttribute('role', 'region');
          chart.setAttribute('aria-label', 'Tree of continuations (scrolls sideways)');
        } else {
          chart.removeAttribute('tabindex');
          chart.removeAttribute('role');
          chart.removeAttribute('aria-label');
        }
      };
      draw();
      legend.replaceChildren(element('li', 'dw-key--3', 'beam search'), element('li', 'dw-key--1', 'greedy'), element('li', 'dw-key--0', 'samples'));
      const best = totals.indexOf(Math.max(...totals));
      list.replaceChildren(
        ...decoded.map((path, i) => {
          const line = element('p', 'mw-readout');
          line.append(element('strong', undefined, `${path.name}: `), `${paths[i].text.trim()} `, element('span', undefined, `(Σ log p = ${formatNumber(totals[i], 2)}${i === best ? ', the most likely here' : ''})`));
          return line;
        }),
        hiddenTable('Each continuation with its total log-probability', ['decoder', 'text', 'sum of log p'], decoded.map((path, i) => [path.name, paths[i].text, formatNumber(totals[i], 3)])),
      );
      ctx.status('ready');
    } catch (error) {
      ctx.status('error', error instanceof Error ? error.message : String(error));
    }
  }

  for (const [control, name] of [[beams, 'beams'], [samples, 'samples'], [length, 'length']] as const) {
    control.output.value = String(ctx.state[name]);
    control.input.addEventListener('input', () => (control.output.value = control.input.value), { signal: ctx.signal });
    control.input.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.input.value) });
      void run();
    }, { signal: ctx.signal });
  }
  onWidthChange(chart, ctx.signal, () => draw?.());
  await run();
}
