// The NBCE formula on one step: the next-token distribution after each chunk + the question and
// after the question alone (one batched forward of the real model), pooled in the page with
// score(T) = (β + 1) · pool_k log p(T | S_k) − β · log p(T). Moving β or switching the pooling
// recomputes the pooled distribution at once, without running the model again.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import nbceWidgetsCss from './nbceWidgets.css?url';
import { probabilityBars } from '../src/charts/probabilityBars';
import { LONG_STORY_MAX_SEED, longStory } from '../src/chapters/nbce';
import { softmax } from '../src/llama/math';
import { nbcePool, type NbcePooling } from '../src/llama/nbce';
import type { OpResult } from '../src/runtime/messages';
import { pieceLabel } from '../src/widgets/pieces';
import { choice, integer, number, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, onWidthChange, radioGroup, reportFailure, slider, tableScroller } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(nbceWidgetsCss);

export const schema = {
  seed: integer(0, LONG_STORY_MAX_SEED, 0),
  chunk: integer(8, 224, 32),
  pooling: choice(['lowestEntropy', 'average'] as const, 'lowestEntropy'),
  beta: number(0, 4, 0.25),
};
type State = StateOf<typeof schema>;

export const needsShippedModel = 'its long stories are written in the words of our corpus, for a 256-token context';

/** Tokens shown in the bar chart of the pooled distribution. */
const TOP = 6;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime } = await loadModel(ctx);
  const tokenizer = await pageTokenizer(runtime);

  const controls = element('div', 'mw-controls');
  const seedLabel = element('label', 'mw-select');
  const seedInput = element('input');
  seedInput.type = 'number';
  seedInput.min = '0';
  seedInput.max = String(LONG_STORY_MAX_SEED);
  seedInput.value = String(ctx.state.seed);
  seedInput.className = 'nbce-seed';
  seedLabel.append('Story', seedInput);
  const chunk = slider('Chunk size', { min: 8, max: 224, step: 8, value: ctx.state.chunk });
  const beta = slider('β', { min: 0, max: 4, step: 0.05, value: ctx.state.beta });
  const pooling = radioGroup('Pooling', `${el.id || 'nbce-formula'}-pooling`, [['lowestEntropy', 'lowest entropy'], ['average', 'average']], ctx.state.pooling, {
    signal: ctx.signal,
    onChange: (value: NbcePooling) => (ctx.setState({ pooling: value }), draw()),
  });
  controls.append(seedLabel, chunk.label, beta.label, pooling.fieldset);
  const formula = element('p', 'mw-readout');
  const chart = element('div', 'mw-chart');
  const table = element('table', 'mw-table');
  const tableWrap = tableScroller(table, 'Each chunk’s next-token distribution');
  el.append(controls, formula, chart, tableWrap);

  let data: OpResult<'nbceDistributions'> | null = null;
  let hero = '';
  let runs = 0;

  const label = (id: number) => pieceLabel(tokenizer.idToPiece(id));

  function draw(): void {
    if (!data) return;
    const { pooling: how, beta: b } = ctx.state;
    const chunks = data.logits.slice(1);
    const step = nbcePool(chunks, data.logits[0], { pooling: how, beta: b });
    const pooled = Array.from(step.logProbs, Math.exp);
    const top = pooled.map((p, id) => ({ id, p })).sort((x, y) => y.p - x.p).slice(0, TOP);
    const heroId = tokenizer.encode(hero, { bos: false })[0];
    formula.textContent =
      `score(T) = (${formatNumber(b + 1, 2)}) · ${how === 'average' ? `mean of ${chunks.length} chunks’ log p(T | Sₖ)` : `log p(T | S${subscript((step.winner ?? 0) + 1)}) (lowest entropy: chunk ${(step.winner ?? 0) + 1})`} − ${formatNumber(b, 2)} · log p(T), normalised. ` +
      `Top token: ${label(top[0].id)} (${formatNumber(100 * top[0].p, 1)}%); the hero’s first piece ${label(heroId)}: ${formatNumber(100 * pooled[heroId], 1)}%.`;
    chart.replaceChildren(probabilityBars(top.map(({ id, p }) => ({ label: label(id), probability: p })), { width: Math.max(240, chart.clientWidth) }));
    const topId = top[0].id;
    const rows = data.logits.map((logits, row) => {
      const probs = softmax(logits);
      let best = 0;
      for (let t = 1; t < probs.length; t++) if (probs[t] > probs[best]) best = t;
      const [start, end] = row === 0 ? [0, 0] : data!.chunks[row - 1];
      return [
        row === 0 ? 'question alone' : `chunk ${row}${row - 1 === step.winner ? ' ◀' : ''}`,
        row === 0 ? '–' : `${start}–${end}`,
        row === 0 ? '–' : formatNumber(step.entropies[row - 1], 2),
        `${label(best)} ${formatNumber(100 * probs[best], 1)}%`,
        `${formatNumber(100 * probs[heroId], 1)}%`,
        ...(topId === heroId ? [] : [`${formatNumber(100 * probs[topId], 1)}%`]),
      ];
    });
    fillTable(table, `Each row’s next-token distribution after “${data.questionIds.length ? tokenizer.decode(data.questionIds) : ''}” (story ${ctx.state.seed}, hero ${hero})`,
      ['row', 'tokens', 'entropy (nats)', 'top guess', `p(${label(heroId)})`, ...(topId === heroId ? [] : [`p(${label(topId)}), the pooled top`])], rows, { rowHeaders: true });
  }

  async function load(): Promise<void> {
    const runId = ++runs;
    const story = longStory(ctx.state.seed);
    hero = story.hero;
    ctx.status('loading', 'Reading every chunk with the question…');
    try {
      const result = await runtime.call('nbceDistributions', { context: story.context, question: story.question, chunkSize: ctx.state.chunk });
      if (runId !== runs || ctx.signal.aborted) return;
      data = result;
      draw();
      ctx.status('ready');
    } catch (error) {
      if (runId === runs && !ctx.signal.aborted) reportFailure(ctx, error);
    }
  }

  seedInput.addEventListener('change', () => {
    const seed = Number(seedInput.value);
    if (!Number.isInteger(seed) || seed < 0 || seed > LONG_STORY_MAX_SEED) {
      ctx.status('error', `The story number must be a whole number from 0 to ${LONG_STORY_MAX_SEED}.`);
      return;
    }
    ctx.setState({ seed });
    void load();
  }, { signal: ctx.signal });
  chunk.output.value = String(ctx.state.chunk);
  chunk.input.addEventListener('input', () => (chunk.output.value = chunk.input.value), { signal: ctx.signal });
  chunk.input.addEventListener('change', () => (ctx.setState({ chunk: Number(chunk.input.value) }), void load()), { signal: ctx.signal });
  beta.output.value = formatNumber(ctx.state.beta, 2);
  beta.input.addEventListener('input', () => {
    beta.output.value = formatNumber(Number(beta.input.value), 2);
    ctx.setState({ beta: Number(beta.input.value) });
    draw();
  }, { signal: ctx.signal });
  onWidthChange(chart, ctx.signal, draw);
  await load();
}

function subscript(n: number): string {
  return String(n).replace(/[0-9]/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]);
}
