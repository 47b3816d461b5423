// A story longer than the context, its hero named only at the start, continued three ways on the
// real model: truncation (the last tokens), position interpolation (everything, positions
// squeezed) and NBCE (chunks read with the question, pooled). Shows each continuation, whether the
// name comes back, and for NBCE every chunk's entropy and the chunk that won each step.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import nbceWidgetsCss from './nbceWidgets.css?url';
import { nbceEntropyGrid } from '../src/charts/nbceEntropyGrid';
import { LONG_STORY_MAX_SEED, longStory, namesHero, type LongStory } from '../src/chapters/nbce';
import type { OpProgress, OpResult } from '../src/runtime/messages';
import { pieceLabel } from '../src/widgets/pieces';
import { choice, integer, number, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, formatNumber, hiddenTable, loadModel, onWidthChange, radioGroup, reportFailure, slider } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(nbceWidgetsCss);

export const schema = {
  seed: integer(0, LONG_STORY_MAX_SEED, 0),
  /** Context tokens per NBCE chunk. */
  chunk: integer(8, 192, 32),
  pooling: choice(['lowestEntropy', 'average'] as const, 'lowestEntropy'),
  beta: number(0, 4, 0.25),
  /** New tokens per continuation. */
  tokens: integer(1, 24, 8),
};
type State = StateOf<typeof schema>;
type Result = OpResult<'nbceGenerate'>;
type Step = OpProgress<'nbceGenerate'>;

export const needsShippedModel = 'its long stories are written in the words of our corpus, for a 256-token context';

const METHODS = [
  ['truncate', 'Truncation'],
  ['interpolate', 'Position interpolation'],
  ['nbce', 'NBCE'],
] as const;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime } = await loadModel(ctx);
  const tokenizer = await pageTokenizer(runtime);

  const controls = element('div', 'mw-controls');
  const seedLabel = element('label', 'mw-select');
  const seedInput = element('input');
  seedInput.type = 'number';
  seedInput.min = '0';
  seedInput.max = String(LONG_STORY_MAX_SEED);
  seedInput.step = '1';
  seedInput.value = String(ctx.state.seed);
  seedInput.className = 'nbce-seed';
  seedLabel.append('Story', seedInput);
  const another = element('button', 'mw-button', 'Another story');
  another.type = 'button';
  const chunk = slider('Chunk size', { min: 8, max: 192, step: 8, value: ctx.state.chunk });
  const beta = slider('β', { min: 0, max: 4, step: 0.05, value: ctx.state.beta });
  const tokens = slider('New tokens', { min: 1, max: 24, step: 1, value: ctx.state.tokens });
  const pooling = radioGroup('Pooling', `${el.id || 'nbce'}-pooling`, [['lowestEntropy', 'lowest entropy'], ['average', 'average']], ctx.state.pooling, {
    signal: ctx.signal,
    onChange: (value) => (ctx.setState({ pooling: value }), void run()),
  });
  controls.append(seedLabel, another, chunk.label, beta.label, tokens.label, pooling.fieldset);
  const buttons = element('div', 'mw-controls');
  const runButton = element('button', 'mw-button', 'Continue the story');
  runButton.type = 'button';
  const stopButton = element('button', 'mw-button', 'Stop');
  stopButton.type = 'button';
  stopButton.disabled = true;
  buttons.append(runButton, stopButton);
  // a scrolling box: focusable, so the keyboard can scroll it (axe: scrollable-region-focusable)
  const storyView = element('p', 'nbce-story');
  storyView.tabIndex = 0;
  storyView.setAttribute('role', 'region');
  storyView.setAttribute('aria-label', 'The story, as the chunks cut it');
  const storyNote = element('p', 'mw-readout');
  const results = element('ul', 'nbce-results');
  const gridTitle = element('p', 'mw-readout');
  const grid = element('div', 'mw-chart');
  const alternative = element('div');
  el.append(controls, buttons, storyNote, storyView, results, gridTitle, grid, alternative);

  let story: LongStory = longStory(ctx.state.seed);
  let nbceResult: Result | null = null;
  let liveSteps: Step[] = [];
  let runs = 0;
  let controller: AbortController | null = null;

  /** The story as the model's chunks see it: the hero's name marked, the chunks told apart, the question last. */
  function drawStory(result: Result | null): void {
    storyView.replaceChildren();
    if (!result?.chunks) {
      storyView.append(...markName(story.context, story.hero), ' ', element('mark', 'nbce-question', story.question));
      return;
    }
    result.chunks.forEach(([start, end], k) => {
      const span = element('span', `nbce-chunk nbce-chunk--${k % 2}`);
      span.dataset.chunk = String(k + 1);
      const text = tokenizer.decode(result.contextIds.slice(start, end));
      span.append(element('sup', 'nbce-chunk-number', String(k + 1)), ...markName(start === 0 ? text : ` ${text}`, story.hero));
      storyView.append(span);
    });
    storyView.append(' ', element('mark', 'nbce-question', story.question));
  }

  function markName(text: string, hero: string): (string | HTMLElement)[] {
    return text.split(hero).flatMap((part, i) => (i === 0 ? [part] : [element('strong', 'nbce-name', hero), part]));
  }

  function drawGrid(): void {
    const steps = nbceResult?.steps ?? liveSteps;
    if (steps.length === 0 || !steps[0].chunkEntropies) {
      grid.replaceChildren();
      gridTitle.textContent = '';
      return;
    }
    gridTitle.textContent = `NBCE step by step: columns are the ${steps[0].chunkEntropies.length} chunks, rows the tokens it wrote; darker = surer (lower entropy)${ctx.state.pooling === 'lowestEntropy' ? ', outlined = the chunk whose distribution was used' : '; averaging uses every chunk'}.`;
    grid.replaceChildren(
      nbceEntropyGrid(
        steps.map((s) => ({ label: pieceLabel(tokenizer.idToPiece(s.tokenId)), entropies: s.chunkEntropies!, winner: s.winner ?? null })),
        { width: Math.max(240, grid.clientWidth) },
      ),
    );
    alternative.replaceChildren(
      hiddenTable(
        'NBCE entropies per chunk (nats) at each step, and the winning chunk',
        ['step', 'token', 'winning chunk', ...steps[0].chunkEntropies.map((_, k) => `chunk ${k + 1}`)],
        steps.map((s) => [s.index + 1, tokenizer.idToPiece(s.tokenId), s.winner === null || s.winner === undefined ? 'averaged' : s.winner + 1, ...s.chunkEntropies!.map((h) => formatNumber(h, 2))]),
      ),
    );
  }

  function resultLine(name: string, text: string, done: boolean, result?: Result): HTMLLIElement {
    const item = element('li');
    item.dataset.method = name;
    const recalled = namesHero(text, story.hero);
    item.append(element('span', 'nbce-method', METHODS.find(([m]) => m === name)![1]), element('q', 'nbce-continuation', text.trim() || '…'));
    if (done) item.append(element('span', recalled ? 'nbce-verdict nbce-verdict--yes' : 'nbce-verdict nbce-verdict--no', recalled ? `✓ ${story.hero} comes back` : `✗ no ${story.hero}`));
    if (result) {
      const read = name === 'truncate' ? `read the last ${result.rowLengths[0] - 1} tokens` : name === 'interpolate' ? `read all ${result.rowLengths[0]} tokens, positions ÷ ${formatNumber(result.factor ?? 1, 2)}` : `${result.chunks?.length ?? 0} chunks of ≤ ${ctx.state.chunk} tokens + the question`;
      item.append(element('span', 'nbce-detail', read));
    }
    return item;
  }

  async function run(): Promise<void> {
    const runId = ++runs;
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    ctx.signal.addEventListener('abort', () => controller?.abort(), { once: true });
    story = longStory(ctx.state.seed);
    nbceResult = null;
    liveSteps = [];
    results.replaceChildren();
    drawGrid();
    drawStory(null);
    const total = tokenizer.encode(story.text).length;
    storyNote.textContent = `Story ${story.seed}: ${total} tokens with BOS, the model's context holds 256. The hero, ${story.hero}, is named only in the first two sentences; the question (marked) is the end every NBCE chunk is read with.`;
    stopButton.disabled = false;
    runButton.disabled = true;
    try {
      for (const [method] of METHODS) {
        ctx.status('loading', `Continuing the story with ${METHODS.find(([m]) => m === method)![1].toLowerCase()}…`);
        let text = '';
        let line = resultLine(method, text, false);
        results.append(line);
        const result = await runtime.call(
          'nbceGenerate',
          { context: story.context, question: story.question, method, maxNewTokens: ctx.state.tokens, chunkSize: ctx.state.chunk, pooling: ctx.state.pooling, beta: ctx.state.beta },
          {
            signal,
            onProgress: (step) => {
              if (runId !== runs) return;
              text += step.text;
              const next = resultLine(method, text, false);
              line.replaceWith(next);
              line = next;
              if (method === 'nbce') {
                liveSteps.push(step);
                drawGrid();
              }
            },
          },
        );
        if (runId !== runs || ctx.signal.aborted) return;
        if (signal.aborted) {
          ctx.status('note', 'Stopped.');
          return;
        }
        line.replaceWith(resultLine(method, result.text, true, result));
        if (method === 'nbce') {
          nbceResult = result;
          drawStory(result);
          drawGrid();
        }
      }
      ctx.status('ready');
    } catch (error) {
      if (runId !== runs || ctx.signal.aborted) return;
      if (signal.aborted) ctx.status('note', 'Stopped.');
      else reportFailure(ctx, error);
    } finally {
      if (runId === runs) {
        stopButton.disabled = true;
        runButton.disabled = false;
      }
    }
  }

  const setSeed = (seed: number) => {
    if (!Number.isInteger(seed) || seed < 0 || seed > LONG_STORY_MAX_SEED) {
      ctx.status('error', `The story number must be a whole number from 0 to ${LONG_STORY_MAX_SEED}.`);
      return;
    }
    seedInput.value = String(seed);
    ctx.setState({ seed });
    void run();
  };
  seedInput.addEventListener('change', () => setSeed(Number(seedInput.value)), { signal: ctx.signal });
  another.addEventListener('click', () => setSeed((ctx.state.seed + 1) % (LONG_STORY_MAX_SEED + 1)), { signal: ctx.signal });
  for (const [control, name, digits] of [[chunk, 'chunk', 0], [beta, 'beta', 2], [tokens, 'tokens', 0]] as const) {
    control.output.value = formatNumber(ctx.state[name], digits);
    control.input.addEventListener('input', () => (control.output.value = formatNumber(Number(control.input.value), digits)), { signal: ctx.signal });
    control.input.addEventListener('change', () => (ctx.setState({ [name]: Number(control.input.value) }), void run()), { signal: ctx.signal });
  }
  runButton.addEventListener('click', () => void run(), { signal: ctx.signal });
  stopButton.addEventListener('click', () => controller?.abort(), { signal: ctx.signal });
  onWidthChange(grid, ctx.signal, drawGrid);
  await run();
}
