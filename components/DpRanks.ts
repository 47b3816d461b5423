// Data parallel in your browser: 1, 2 or 4 Web Workers are the ranks, each with a full copy of the
// model and its own shard of every batch; this page averages their gradients (the all-reduce) and
// sends the average back, so every copy takes the same step. Shown per step: each rank's local
// loss, the all-reduced loss every rank would log, the rows each rank trained on, whether the
// copies are still bit-for-bit equal, and the tokens per second measured here. The speedup is
// this page's measurement against its own 1-rank run. The "same data" bug hands every rank rank
// 0's rows: the losses then agree, for the wrong reason.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import dpWidgetsCss from './dpWidgets.css?url';
import { DP_TRAINING, median } from '../src/chapters/dataParallel';
import { lineChart } from '../src/charts/lineChart';
import type { DataParallelGroup, DataParallelStep } from '../src/runtime/dataParallel';
import { choice, flag, integer, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, onWidthChange, radioGroup, reportFailure, tableScroller } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(dpWidgetsCss);

/** Written by scripts/make-validation-sample.ts: stories from the validation split. */
const SAMPLE_URL = `${import.meta.env.BASE_URL}data/validation-sample.json`;
const MODEL_URL = `${import.meta.env.BASE_URL}models/glass-llama/`;

export const RANK_CHOICES = ['1', '2', '4'] as const;
export const MAX_STEPS = 30;

export const schema = {
  ranks: choice(RANK_CHOICES, '2'),
  /** The bug: every rank gets rank 0's rows. */
  sameData: flag(false),
  steps: integer(1, MAX_STEPS, 6),
};

type State = StateOf<typeof schema>;

export const needsShippedModel = 'its ranks load and train copies of the shipped model on the shipped stories';


export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const controls = element('div', 'mw-controls dp-controls');
  const ranks = radioGroup(
    'Ranks (Web Workers)',
    `${ctx.id}-ranks`,
    RANK_CHOICES.map((k) => [k, k] as const),
    ctx.state.ranks,
    { signal: ctx.signal, onChange: (value) => ctx.setState({ ranks: value }) },
  );
  const bugLabel = element('label', 'dp-check');
  const bug = element('input');
  bug.type = 'checkbox';
  bug.checked = ctx.state.sameData;
  bugLabel.append(bug, 'Bug: every rank gets the same data');
  const stepsLabel = element('label', 'mw-select');
  const steps = element('input', 'dp-steps');
  steps.type = 'number';
  steps.min = '1';
  steps.max = String(MAX_STEPS);
  steps.step = '1';
  steps.value = String(ctx.state.steps);
  stepsLabel.append('Steps ', steps);
  const train = element('button', 'mw-button', 'Train');
  train.type = 'button';
  const stop = element('button', 'mw-button', 'Stop');
  stop.type = 'button';
  stop.disabled = true;
  controls.append(ranks.fieldset, bugLabel, stepsLabel, train, stop);

  const setup = element('p', 'mw-readout dp-setup');
  setup.textContent = `Global batch: ${DP_TRAINING.batchSize} rows × ${DP_TRAINING.seqLength} tokens of the validation stories, split over the ranks; AdamW at ${DP_TRAINING.learningRate}. This device reports ${navigator.hardwareConcurrency || 'an unknown number of'} logical cores.`;
  const rowsLine = element('p', 'mw-readout dp-rows', 'Press Train: the ranks start, load the model and train; nothing runs before.');
  const sameLine = element('p', 'mw-readout dp-same');
  const speedLine = element('p', 'mw-readout dp-speed');
  speedLine.setAttribute('aria-live', 'polite');
  const chart = element('div', 'mw-chart dp-chart');
  const legend = element('ul', 'dp-legend');
  const table = element('table', 'mw-table dp-table');
  el.append(controls, setup, rowsLine, sameLine, chart, legend, tableScroller(table, 'Losses and times per step (scrolls sideways)'), speedLine);

  bug.addEventListener('change', () => ctx.setState({ sameData: bug.checked }), { signal: ctx.signal });

  let texts: string[] | null = null;
  let running: AbortController | null = null;
  let history: DataParallelStep[] = [];
  let runRanks = 0;
  /** This page's measured tokens per second by rank count (median over a run's steps after the first). */
  const measured = new Map<number, number>();

  const draw = () => {
    if (history.length === 0) {
      chart.replaceChildren();
      legend.replaceChildren();
      table.replaceChildren();
      return;
    }
    const series = [
      { name: 'all-reduced', values: history.map((s) => s.loss), className: 'dp-line--reduced' },
      ...Array.from({ length: runRanks }, (_, k) => ({ name: `rank ${k} (local)`, values: history.map((s) => s.rankLosses[k]), className: `dp-line--${k}` })),
    ];
    legend.replaceChildren(
      ...series.map((line) => {
        const item = element('li');
        item.append(element('span', `dp-swatch ${line.className}`), line.name);
        return item;
      }),
    );
    chart.replaceChildren(lineChart(series, { width: Math.max(260, chart.clientWidth), height: 200, xLabel: 'step', yLabel: 'loss (nats per token)' }));
    fillTable(
      table,
      'Each rank\'s loss on its own rows, the all-reduced loss every rank logs, and the step\'s time',
      ['step', ...Array.from({ length: runRanks }, (_, k) => `rank ${k}`), 'all-reduced', 'step (s)', 'tokens/s'],
      history.map((s) => [s.step, ...s.rankLosses.map((l) => formatNumber(l, 4)), formatNumber(s.loss, 4), s.seconds.toFixed(2), Math.round(s.tokens / s.seconds).toLocaleString('en-US')]),
    );
  };
  onWidthChange(chart, ctx.signal, draw);

  const describeRows = (step: DataParallelStep) =>
    step.rankRows.map((rows, k) => `rank ${k}: rows ${rows.join(', ')}${k > 0 && ctx.state.sameData ? ' (rank 0\'s again)' : ''}`).join('; ');

  const describeSpeed = () => {
    const parts = [...measured.entries()].sort(([a], [b]) => a - b).map(([k, tps]) => `${k} rank${k > 1 ? 's' : ''}: ${Math.round(tps).toLocaleString('en-US')} tokens/s`);
    const one = measured.get(1);
    const current = measured.get(runRanks);
    let speedup = '';
    if (runRanks > 1 && one !== undefined && current !== undefined) {
      const s = current / one;
      speedup = ` Speedup of ${runRanks} ranks over 1: ${s.toFixed(2)}×, efficiency ${Math.round((100 * s) / runRanks)}%.`;
    } else if (runRanks > 1) speedup = ' Train with 1 rank too to measure the speedup on this device.';
    return `Measured here (median step after the first): ${parts.join(', ')}.${speedup}`;
  };

  const setRunning = (on: boolean) => {
    train.disabled = on;
    stop.disabled = !on;
    for (const input of [...ranks.inputs, bug, steps]) input.disabled = on;
  };

  const run = async () => {
    const raw = steps.value.trim();
    const count = Number(raw);
    if (raw === '' || !Number.isInteger(count) || count < 1 || count > MAX_STEPS) {
      ctx.status('error', `Steps must be a whole number from 1 to ${MAX_STEPS}; received "${raw.slice(0, 20)}".`);
      return;
    }
    ctx.setState({ steps: count });
    const controller = new AbortController();
    running = controller;
    setRunning(true);
    let group: DataParallelGroup | null = null;
    const k = Number(ctx.state.ranks);
    try {
      if (!texts) {
        ctx.status('loading', 'Loading the training stories…');
        const response = await fetch(SAMPLE_URL);
        if (!response.ok) throw new Error(`${SAMPLE_URL} answered HTTP ${response.status}`);
        texts = ((await response.json()) as { texts: string[] }).texts;
      }
      ctx.status('loading', `Starting ${k} rank${k > 1 ? 's' : ''}: each loads the model in its own worker…`);
      const runtime = await ctx.runtime();
      group = await runtime.startDataParallel({ ranks: k, sameData: ctx.state.sameData, modelUrl: MODEL_URL, texts, ...DP_TRAINING });
      history = [];
      runRanks = k;
      draw();
      setup.textContent = `${k} rank${k > 1 ? 's' : ''} on ${group.backend}, ${group.parameters.toLocaleString('en-US')} parameters each. Global batch: ${DP_TRAINING.batchSize} rows × ${DP_TRAINING.seqLength} tokens of the validation stories, ${DP_TRAINING.batchSize / k} rows per rank; AdamW at ${DP_TRAINING.learningRate}. This device reports ${navigator.hardwareConcurrency || 'an unknown number of'} logical cores.`;
      for (let i = 0; i < count && !controller.signal.aborted && !ctx.signal.aborted; i++) {
        ctx.status('loading', `Step ${i + 1} of ${count}…`);
        const step = await group.step();
        history.push(step);
        rowsLine.textContent = `Rows of step ${step.step}: ${describeRows(step)}.`;
        const same = step.fingerprints.every((f) => f === step.fingerprints[0]);
        sameLine.textContent = same
          ? `After step ${step.step} the ${k} copies of the weights are bit-for-bit equal (fingerprint ${step.fingerprints[0]}).`
          : `After step ${step.step} the copies differ: ${step.fingerprints.join(', ')}.`;
        sameLine.dataset.equal = String(same);
        draw();
      }
      const timed = history.slice(1).map((s) => s.tokens / s.seconds);
      if (timed.length > 0) measured.set(k, median(timed));
      speedLine.textContent = timed.length > 0 ? describeSpeed() : 'Train 2 steps or more to measure the speed (the first step warms up).';
      ctx.status(controller.signal.aborted ? 'note' : 'ready', controller.signal.aborted ? `Stopped after ${history.length} step${history.length === 1 ? '' : 's'}.` : undefined);
    } catch (error) {
      if (!ctx.signal.aborted) reportFailure(ctx, error, 'The ranks could not train');
    } finally {
      group?.dispose();
      running = null;
      if (!ctx.signal.aborted) setRunning(false);
    }
  };

  train.addEventListener('click', () => void run(), { signal: ctx.signal });
  stop.addEventListener('click', () => running?.abort(), { signal: ctx.signal });
  ctx.signal.addEventListener('abort', () => running?.abort());
  ctx.status('ready');
}
