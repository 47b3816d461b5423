// Name recall over many long stories: each story (hero named only at the start, longer than the
// context) is continued by truncation, position interpolation and NBCE with both poolings, and the
// table counts the continuations that name the hero. Runs on a button, with progress and Stop.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import nbceWidgetsCss from './nbceWidgets.css?url';
import { longStory, namesHero, RECALL_NEW_TOKENS, recallMethods, recallText } from '../src/chapters/nbce';
import { integer, number, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, reportFailure, slider, tableScroller } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(nbceWidgetsCss);

export const schema = {
  /** Stories 0 .. stories - 1. */
  stories: integer(1, 100, 10),
  chunk: integer(8, 192, 32),
  beta: number(0, 4, 0.25),
};
type State = StateOf<typeof schema>;

export const needsShippedModel = 'its long stories are written in the words of our corpus, for a 256-token context';

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime } = await loadModel(ctx);

  const controls = element('div', 'mw-controls');
  const stories = slider('Stories', { min: 1, max: 100, step: 1, value: ctx.state.stories });
  const chunk = slider('Chunk size', { min: 8, max: 192, step: 8, value: ctx.state.chunk });
  const beta = slider('β', { min: 0, max: 4, step: 0.05, value: ctx.state.beta });
  controls.append(stories.label, chunk.label, beta.label);
  const buttons = element('div', 'mw-controls');
  const runButton = element('button', 'mw-button');
  runButton.type = 'button';
  const stopButton = element('button', 'mw-button', 'Stop');
  stopButton.type = 'button';
  stopButton.disabled = true;
  buttons.append(runButton);
  buttons.append(stopButton);
  const progress = element('progress', 'nbce-progress');
  progress.hidden = true;
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const table = element('table', 'mw-table');
  const tableWrap = tableScroller(table, 'Name recall by method');
  const settings = element('p', 'mw-legend');
  el.append(controls, buttons, progress, readout, tableWrap, settings);
  /** The settings of the counts in the table (the sliders may have moved since). */
  let ranWith = { chunk: ctx.state.chunk, beta: ctx.state.beta };

  const methods = () => recallMethods(ctx.state.chunk, ctx.state.beta);
  let hits: number[] = [];
  let done = 0;
  let controller: AbortController | null = null;

  function drawTable(): void {
    const rows = methods().map((m, i) => [m.label, done === 0 ? '–' : recallText(hits[i] ?? 0, done)]);
    fillTable(table, `Hero named, of ${done} ${done === 1 ? 'story' : 'stories'}`, ['method', 'recalled'], rows, { rowHeaders: true });
    settings.textContent = `Chunks of ${ranWith.chunk} tokens, β = ${formatNumber(ranWith.beta, 2)}; ${RECALL_NEW_TOKENS} new tokens per continuation, greedy.`;
  }

  function labelButton(): void {
    runButton.textContent = `Run on ${ctx.state.stories} ${ctx.state.stories === 1 ? 'story' : 'stories'}`;
  }

  async function run(): Promise<void> {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    ctx.signal.addEventListener('abort', () => controller?.abort(), { once: true });
    const list = methods();
    ranWith = { chunk: ctx.state.chunk, beta: ctx.state.beta };
    hits = list.map(() => 0);
    done = 0;
    drawTable();
    const total = ctx.state.stories;
    progress.max = total * list.length;
    progress.value = 0;
    progress.hidden = false;
    runButton.disabled = true;
    stopButton.disabled = false;
    try {
      for (let seed = 0; seed < total; seed++) {
        const story = longStory(seed);
        for (const [i, method] of list.entries()) {
          readout.textContent = `Story ${seed + 1} of ${total} (hero: ${story.hero}): ${method.label.toLowerCase()}…`;
          ctx.status('loading', readout.textContent);
          const result = await runtime.call(
            'nbceGenerate',
            { context: story.context, question: story.question, maxNewTokens: RECALL_NEW_TOKENS, ...method },
            { signal },
          );
          if (signal.aborted || ctx.signal.aborted) throw new DOMException('Stopped', 'AbortError');
          if (namesHero(result.text, story.hero)) hits[i]++;
          progress.value++;
        }
        done = seed + 1;
        drawTable();
      }
      readout.textContent = `Done: ${total} ${total === 1 ? 'story' : 'stories'}, chunks of ${ctx.state.chunk} tokens, β = ${formatNumber(ctx.state.beta, 2)}.`;
      ctx.status('ready');
    } catch (error) {
      if (ctx.signal.aborted) return;
      if (signal.aborted) {
        readout.textContent = `Stopped after ${done} ${done === 1 ? 'story' : 'stories'}; the table counts those.`;
        ctx.status('note', 'Stopped.');
      } else reportFailure(ctx, error);
    } finally {
      if (!ctx.signal.aborted) {
        progress.hidden = true;
        runButton.disabled = false;
        stopButton.disabled = true;
      }
    }
  }

  for (const [control, name, digits] of [[stories, 'stories', 0], [chunk, 'chunk', 0], [beta, 'beta', 2]] as const) {
    control.output.value = formatNumber(ctx.state[name], digits);
    control.input.addEventListener('input', () => (control.output.value = formatNumber(Number(control.input.value), digits)), { signal: ctx.signal });
    control.input.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.input.value) });
      labelButton();
      if (done === 0) {
        ranWith = { chunk: ctx.state.chunk, beta: ctx.state.beta };
        drawTable();
      }
    }, { signal: ctx.signal });
  }
  runButton.addEventListener('click', () => void run(), { signal: ctx.signal });
  stopButton.addEventListener('click', () => controller?.abort(), { signal: ctx.signal });
  labelButton();
  drawTable();
  readout.textContent = `Press the button: each story is continued ${methods().length} ways; about a second each on WebAssembly.`;
  ctx.status('ready');
}
