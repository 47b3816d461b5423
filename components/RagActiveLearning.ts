// Active learning, live: which texts should the model be fine-tuned on? From a pool of 24 (12
// stories, its own domain; 12 notes, which it never saw), pick `picks` by uncertainty (the highest
// loss per token under the model now) or at random, fine-tune a copy of the model on each choice
// for the same steps, and compare the loss on 16 held-out texts.
import decodingWidgetsCss from './decodingWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import ragWidgetsCss from './ragWidgets.css?url';
import { lineCurves } from '../src/charts/lineCurves';
import { ACTIVE_LEARNING_RUN, meanByKind, mostUncertain, randomChoice, type TextKind } from '../src/chapters/retrieval';
import { createRandom } from '../src/llama/rng';
import type { RuntimeClient } from '../src/runtime/client';
import { integer } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, onWidthChange, reportFailure, slider, tableScroller } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { loadActiveLearningPool } from './ragParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(decodingWidgetsCss);
loadStylesheet(modelWidgetPartsCss);
loadStylesheet(ragWidgetsCss);

export const needsShippedModel = 'it fine-tunes our model on our stories and notes';

export const schema = {
  /** How many pool texts each strategy fine-tunes on. */
  picks: integer(2, 8, ACTIVE_LEARNING_RUN.picks),
  /** Optimizer steps for each copy. */
  steps: integer(1, 40, ACTIVE_LEARNING_RUN.steps),
  /** Seeds the random choice (and nothing else: both copies train on the same batches' seed). */
  seed: integer(1, 30, 1),
};

type State = StateOf<typeof schema>;

const STRATEGIES = ['uncertainty', 'random'] as const;
type Strategy = (typeof STRATEGIES)[number];

/** Mean loss per token of each row. */
function rowMeans(losses: number[][]): number[] {
  return losses.map((row) => row.reduce((a, b) => a + b, 0) / row.length);
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime } = await loadModel(ctx);
  const data = await loadActiveLearningPool();
  const tokenizer = await pageTokenizer(runtime);

  const grid = element('div', 'dw-grid');
  const picks = slider('Texts chosen', { min: 2, max: 8, step: 1, value: ctx.state.picks });
  const steps = slider('Steps', { min: 1, max: 40, step: 1, value: ctx.state.steps });
  const seed = slider('Random seed', { min: 1, max: 30, step: 1, value: ctx.state.seed });
  grid.append(picks.label, steps.label, seed.label);
  const button = element('button', 'mw-button', 'Fine-tune both copies');
  button.type = 'button';
  const poolTable = element('table', 'mw-table rag-pool');
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const chart = element('div', 'mw-chart');
  const legend = element('ul', 'dw-legend');
  legend.append(element('li', 'dw-key--1', 'fine-tuned on the texts chosen by uncertainty'), element('li', 'dw-key--3', 'fine-tuned on texts drawn at random'));
  legend.hidden = true;
  const resultTable = element('table', 'mw-table');
  el.append(grid, tableScroller(poolTable, 'The pool and the texts each strategy chooses'), button, readout, chart, legend, tableScroller(resultTable, 'Held-out loss before and after fine-tuning'));

  ctx.status('loading', `Measuring the model’s loss on the ${data.pool.length} pool texts…`);
  const poolLoss = rowMeans((await runtime.loss({ texts: data.pool, training: false, truncate: true })).losses);
  const heldOutBefore = rowMeans((await runtime.loss({ texts: data.heldOut, training: false, truncate: true })).losses);
  el.dataset.poolLoss = poolLoss.map((x) => x.toFixed(4)).join(',');

  const choices = (): Record<Strategy, number[]> => ({
    uncertainty: mostUncertain(poolLoss, ctx.state.picks),
    random: randomChoice(data.pool.length, ctx.state.picks, createRandom(ctx.state.seed)),
  });

  const drawPool = () => {
    const chosen = choices();
    const kindsOf = (indices: number[]) => `${indices.filter((i) => data.kinds[i] === 'note').length} notes, ${indices.filter((i) => data.kinds[i] === 'story').length} stories`;
    fillTable(
      poolTable,
      `The pool, by the model’s loss now (uncertainty picks ${kindsOf(chosen.uncertainty)}; random picks ${kindsOf(chosen.random)})`,
      ['text', 'kind', 'loss per token', 'uncertainty', 'random'],
      poolLoss
        .map((loss, i) => ({ loss, i }))
        .sort((a, b) => b.loss - a.loss)
        .map(({ loss, i }) => [
          `${data.pool[i].slice(0, 40)}…`,
          data.kinds[i],
          formatNumber(loss, 2),
          chosen.uncertainty.includes(i) ? 'chosen' : '',
          chosen.random.includes(i) ? 'chosen' : '',
        ]),
      { rowHeaders: true },
    );
    el.dataset.chosen = JSON.stringify(chosen);
  };
  drawPool();
  ctx.status('ready');

  let curves: Record<Strategy, { x: number; y: number }[]> = { uncertainty: [], random: [] };
  const drawChart = () => {
    if (!curves.uncertainty.length) return;
    legend.hidden = false;
    const top = Math.max(...[...curves.uncertainty, ...curves.random].map((p) => p.y)) * 1.1;
    chart.replaceChildren(
      lineCurves(
        [
          { name: 'chosen by uncertainty', className: 'chart-line--1', points: curves.uncertainty },
          { name: 'chosen at random', className: 'chart-line--3', points: curves.random },
        ],
        { width: Math.max(260, el.clientWidth), height: 200, yDomain: [0, top], xLabel: 'step', yLabel: 'training loss' },
      ),
    );
  };
  onWidthChange(el, ctx.signal, drawChart);

  const sessionName = (strategy: Strategy) => `${ctx.id}-${strategy}`;
  ctx.signal.addEventListener('abort', () => {
    for (const strategy of STRATEGIES) void runtime.dropSession(sessionName(strategy)).catch(() => {});
  });

  async function fineTune(client: RuntimeClient, strategy: Strategy, chosen: number[]): Promise<number[]> {
    const name = sessionName(strategy);
    await client.dropSession(name).catch(() => {});
    await client.fork(name);
    const total = ctx.state.steps;
    const result = await client.trainSteps(
      {
        session: name,
        examples: chosen.map((i) => ({ ids: tokenizer.encode(data.pool[i], { bos: true }) })),
        batchSize: ACTIVE_LEARNING_RUN.batchSize,
        seqLength: ACTIVE_LEARNING_RUN.seqLength,
        seed: ACTIVE_LEARNING_RUN.batchSeed,
        steps: total,
        schedule: { peakLearningRate: ACTIVE_LEARNING_RUN.learningRate, warmupSteps: Math.min(2, total), totalSteps: total, finalFraction: 0.1 },
        maxGradNorm: 1,
      },
      {
        signal: ctx.signal,
        onProgress: ({ step, loss }) => {
          curves[strategy].push({ x: step + 1, y: loss });
          ctx.status('loading', `Fine-tuning the copy chosen by ${strategy}: step ${step + 1} of ${total}…`);
          drawChart();
        },
      },
    );
    if (result.stopReason === 'cancelled') throw new Error('cancelled');
    return rowMeans((await client.loss({ texts: data.heldOut, training: false, truncate: true, session: name })).losses);
  }

  let running = false;
  async function run(): Promise<void> {
    if (running) return;
    running = true;
    button.disabled = true;
    el.dataset.state = 'running';
    curves = { uncertainty: [], random: [] };
    try {
      const chosen = choices();
      const after: Record<Strategy, number[]> = { uncertainty: [], random: [] };
      for (const strategy of STRATEGIES) after[strategy] = await fineTune(runtime, strategy, chosen[strategy]);
      if (ctx.signal.aborted) return;
      const kinds = data.heldOutKinds as TextKind[];
      const rows = [
        { name: 'the model now', losses: heldOutBefore },
        { name: `${ctx.state.picks} chosen by uncertainty`, losses: after.uncertainty },
        { name: `${ctx.state.picks} chosen at random (seed ${ctx.state.seed})`, losses: after.random },
      ].map(({ name, losses }) => ({ name, ...meanByKind(losses, kinds) }));
      fillTable(
        resultTable,
        `Loss per token on the ${data.heldOut.length} held-out texts, after ${ctx.state.steps} steps`,
        ['model', 'stories', 'notes', 'all'],
        rows.map((r) => [r.name, formatNumber(r.story, 2), formatNumber(r.note, 2), formatNumber(r.all, 2)]),
        { rowHeaders: true },
      );
      const [, uncertain, random] = rows;
      readout.textContent =
        `Held-out loss after ${ctx.state.steps} steps: ${formatNumber(uncertain.all, 2)} with the texts the model was least sure of, ` +
        `${formatNumber(random.all, 2)} with texts drawn at random (from ${formatNumber(rows[0].all, 2)}).`;
      el.dataset.state = 'done';
      el.dataset.heldOut = rows.map((r) => r.all.toFixed(4)).join(',');
      ctx.status('ready');
    } catch (error) {
      if (!ctx.signal.aborted) {
        el.dataset.state = 'invalid';
        reportFailure(ctx, error, 'The fine-tuning stopped');
      }
    } finally {
      running = false;
      button.disabled = false;
    }
  }

  const bind = (control: { input: HTMLInputElement; output: HTMLOutputElement }, key: keyof State) => {
    control.output.value = control.input.value;
    control.input.addEventListener(
      'input',
      () => {
        control.output.value = control.input.value;
        ctx.setState({ [key]: Number(control.input.value) } as Partial<State>);
        drawPool();
      },
      { signal: ctx.signal },
    );
  };
  bind(picks, 'picks');
  bind(steps, 'steps');
  bind(seed, 'seed');
  button.addEventListener('click', () => void run(), { signal: ctx.signal });
}
