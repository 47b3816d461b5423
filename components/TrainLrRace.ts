// The learning-rate race: three copies of the shipped model fine-tuned (every weight) on the same
// batches of weather and cooking notes, one learning rate each, with their loss curves, the loss
// on held-out notes and a greedy sample after. The race shipped with the page (public/models/glass-llama/runs/lr-race.json,
// scripts/lr-race.ts) is shown until the reader runs it here ("Race here").
import trainWidgetsCss from './trainWidgets.css?url';
// the line swatches of the tokens chapter's experiment (the same lineChart classes)
import tokensNeighboursCss from './TokensNeighbours.css?url';
import {
  formatRate,
  heldOutSeqLength,
  LR_RACE,
  LR_RACE_URL_PATH,
  lrRaceSchedule,
  noteExamples,
  raceVerdict,
  type LrRaceFile,
  type TokenizedExample,
} from '../src/chapters/training';
import { lineChart } from '../src/charts/lineChart';
import type { RuntimeClient } from '../src/runtime/client';
import { choice, integer, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, onWidthChange, reportFailure, tableScroller } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { fetchJson } from './trainParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(trainWidgetsCss);
loadStylesheet(tokensNeighboursCss);

export const needsShippedModel = 'it fine-tunes the shipped model on notes from its own corpus';

export const RATE_CHOICES = LR_RACE.learningRates.map(formatRate);
const [A, B, C] = LR_RACE.defaultRates.map(formatRate);

export const schema = {
  a: choice(RATE_CHOICES, A),
  b: choice(RATE_CHOICES, B),
  c: choice(RATE_CHOICES, C),
  /** Steps each copy trains. */
  steps: integer(1, LR_RACE.steps, LR_RACE.steps),
};

type State = StateOf<typeof schema>;
const SLOTS = ['a', 'b', 'c'] as const;
const LINE_CLASS = { a: 'chart-line--a', b: 'chart-line--b', c: 'chart-line--c' } as const;

export interface RaceRun {
  learningRate: number;
  losses: number[];
  heldOutAfter: number;
  sample: string;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const picks = element('div', 'train-race-picks');
  const selects = SLOTS.map((slot, i) => {
    const wrapper = element('label', 'mw-select', `Copy ${i + 1}: learning rate `);
    const select = element('select');
    for (const rate of RATE_CHOICES) select.append(new Option(rate, rate));
    select.value = ctx.state[slot];
    wrapper.prepend(element('span', `tok-line-swatch ${LINE_CLASS[slot]}`));
    wrapper.append(select);
    picks.append(wrapper);
    return select;
  });
  const stepsLabel = element('label', 'mw-select', 'Steps ');
  const stepsInput = element('input');
  stepsInput.type = 'number';
  stepsInput.min = '1';
  stepsInput.max = String(LR_RACE.steps);
  stepsInput.value = String(ctx.state.steps);
  stepsLabel.append(stepsInput);
  const race = element('button', 'mw-button', 'Race here');
  race.type = 'button';
  picks.append(stepsLabel, race);
  const source = element('p', 'mw-readout');
  const chart = element('div', 'widget-chart');
  const table = element('table', 'mw-table');
  el.append(picks, source, chart, tableScroller(table, 'The three copies after the race (scrolls sideways)'));

  let runs: RaceRun[] = [];
  let heldOutBefore = NaN;
  let sampleBefore = '';
  const draw = () => {
    if (runs.length === 0) {
      chart.replaceChildren();
      table.replaceChildren();
      return;
    }
    chart.replaceChildren(
      lineChart(
        runs.map((run, i) => ({ name: `lr ${formatRate(run.learningRate)}`, values: run.losses.map((l) => (Number.isFinite(l) ? l : NaN)), className: LINE_CLASS[SLOTS[i]] })),
        { width: Math.max(260, chart.clientWidth), xLabel: 'training step', yLabel: 'training loss (nats per token)' },
      ),
    );
    fillTable(
      table,
      `After ${ctx.state.steps} steps (held-out loss before any step: ${formatNumber(heldOutBefore, 2)})`,
      ['learning rate', 'first step', 'last step', 'held-out after', 'verdict', `greedy sample after “${LR_RACE.samplePrompt}”`],
      runs.map((run) => [
        formatRate(run.learningRate),
        formatNumber(run.losses[0] ?? NaN, 2),
        formatNumber(run.losses.at(-1) ?? NaN, 2),
        Number.isNaN(run.heldOutAfter) ? '…' : formatNumber(run.heldOutAfter, 2),
        run.losses.length > 1 ? raceVerdict(run.losses) : '…',
        run.sample || '…',
      ]),
    );
  };
  onWidthChange(chart, ctx.signal, draw);

  let runtime: RuntimeClient;
  let shipped: LrRaceFile;
  let train: TokenizedExample[];
  let heldOut: TokenizedExample[];
  const rates = () => SLOTS.map((slot) => Number(ctx.state[slot]));
  const showShipped = () => {
    runs = rates().map((rate) => {
      const run = shipped.runs.find((r) => r.learningRate === rate) ?? { learningRate: rate, losses: [], heldOutAfter: NaN, sample: '' };
      return { ...run, losses: run.losses.slice(0, ctx.state.steps), heldOutAfter: ctx.state.steps === LR_RACE.steps ? run.heldOutAfter : NaN, sample: ctx.state.steps === LR_RACE.steps ? run.sample : '' };
    });
    heldOutBefore = shipped.heldOutBefore;
    sampleBefore = shipped.sampleBefore;
    source.textContent = `You see the race run with this page (${shipped.source}), not one on your device. Race here to run it in your browser. Before training, the model continues “${LR_RACE.samplePrompt}” with “${sampleBefore}”.`;
    draw();
  };
  try {
    ({ runtime } = await loadModel(ctx));
    shipped = await fetchJson<LrRaceFile>(LR_RACE_URL_PATH, ctx.signal);
    const tokenizer = await pageTokenizer(runtime);
    train = noteExamples(tokenizer, shipped.trainTexts);
    heldOut = noteExamples(tokenizer, shipped.heldOutTexts);
    showShipped();
    ctx.status('ready');
  } catch (error) {
    reportFailure(ctx, error, 'The race could not start');
    return;
  }

  selects.forEach((select, i) =>
    select.addEventListener(
      'change',
      () => {
        ctx.setState({ [SLOTS[i]]: select.value } as Partial<State>);
        if (!running) showShipped();
      },
      { signal: ctx.signal },
    ),
  );
  stepsInput.addEventListener(
    'change',
    () => {
      const value = Number(stepsInput.value);
      if (!Number.isInteger(value) || value < 1 || value > LR_RACE.steps) {
        ctx.status('error', `Steps must be a whole number from 1 to ${LR_RACE.steps}.`);
        return;
      }
      ctx.setState({ steps: value });
      if (!running) showShipped();
      ctx.status('ready');
    },
    { signal: ctx.signal },
  );

  let running: AbortController | null = null;
  race.addEventListener(
    'click',
    () => {
      if (running) {
        running.abort();
        return;
      }
      running = new AbortController();
      race.textContent = 'Stop';
      for (const control of [...selects, stepsInput]) control.disabled = true;
      void raceHere(running.signal).finally(() => {
        running = null;
        race.textContent = 'Race here';
        for (const control of [...selects, stepsInput]) control.disabled = false;
      });
    },
    { signal: ctx.signal },
  );
  ctx.signal.addEventListener('abort', () => running?.abort());

  async function raceHere(signal: AbortSignal): Promise<void> {
    const { batchSize, seqLength, seed, maxGradNorm, samplePrompt, sampleTokens } = LR_RACE;
    const steps = ctx.state.steps;
    const evaluate = (session?: string) =>
      runtime.call('evaluate', { ...(session ? { session } : {}), examples: heldOut, batchSize: heldOut.length, seqLength: heldOutSeqLength(heldOut), rows: heldOut.length }, { signal });
    const sample = async (session?: string) => {
      const stream = runtime.generate({ text: samplePrompt, maxNewTokens: sampleTokens, temperature: 0, ...(session ? { session } : {}) });
      const onAbort = () => stream.cancel();
      signal.addEventListener('abort', onAbort);
      try {
        return (await stream.result).text;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    };
    runs = [];
    source.textContent = `You see a race run in your browser (${runtime.backendInfo?.name ?? 'unknown'} backend), not the shipped one.`;
    try {
      heldOutBefore = (await evaluate()).loss;
      sampleBefore = await sample();
      source.textContent += ` Before training, the model continues “${samplePrompt}” with “${sampleBefore}”.`;
    } catch (error) {
      if (signal.aborted) ctx.status('note', 'Stopped.');
      else reportFailure(ctx, error, 'The race failed');
      return;
    }
    for (const [i, learningRate] of rates().entries()) {
      const session = `train-race-${i}`;
      let forked = false;
      try {
        ctx.status('loading', `Training copy ${i + 1} of 3 (learning rate ${formatRate(learningRate)})…`);
        await runtime.call('fork', { name: session }, { signal });
        forked = true;
        const run: RaceRun = { learningRate, losses: [], heldOutAfter: NaN, sample: '' };
        runs.push(run);
        const result = await runtime.call(
          'trainSteps',
          { session, examples: train, batchSize, seqLength, seed, steps, schedule: lrRaceSchedule(learningRate), maxGradNorm },
          {
            signal,
            onProgress: (progress) => {
              run.losses.push(progress.loss);
              draw();
            },
          },
        );
        if (result.stopReason === 'cancelled') {
          ctx.status('note', `Stopped after ${run.losses.length} steps of copy ${i + 1}.`);
          return;
        }
        run.heldOutAfter = (await evaluate(session)).loss;
        run.sample = await sample(session);
        draw();
      } catch (error) {
        if (signal.aborted) ctx.status('note', 'Stopped.');
        else reportFailure(ctx, error, 'The race failed');
        return;
      } finally {
        if (forked) await runtime.call('dropSession', { name: session }).catch(() => undefined);
      }
    }
    ctx.status('ready');
  }
}
