// The initialisation experiment: add N Chinese pieces to a copy of the model (new rows in its
// embedding and output layer: random, the mean of all rows, or the mean of the piece's own byte
// rows), fine-tune each copy on a small Chinese set, and plot the three training losses side by
// side. The run shipped with the site (public/data/tokens-init-run.json, npm run tokens-init-run)
// is shown first; "Train here" repeats it in the reader's browser.
import tokensNeighboursCss from './TokensNeighbours.css?url';
import { INIT_EXPERIMENT, initExperimentData, type InitExperimentData, type InitRun, type TokensInitRunFile } from '../src/chapters/tokens';
import { lineChart } from '../src/charts/lineChart';
import type { RuntimeClient } from '../src/runtime/client';
import { integer, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, onWidthChange, reportFailure, tableScroller } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(tokensNeighboursCss);

export const schema = {
  /** How many new Chinese pieces the copies get. */
  pieces: integer(1, INIT_EXPERIMENT.maxPieces, INIT_EXPERIMENT.defaultPieces),
};

type State = StateOf<typeof schema>;

export const SHIPPED_RUN_URL = `${import.meta.env?.BASE_URL ?? '/'}data/tokens-init-run.json`;

const INIT_NAMES: Record<InitRun['init'], string> = {
  random: 'random N(0, 0.02²)',
  mean: 'mean of all rows',
  bytes: 'mean of its byte rows',
};
/** The three starts, in the order the figure trains and draws them. */
const INITS = Object.keys(INIT_NAMES) as InitRun['init'][];
const LINE_CLASS: Record<InitRun['init'], string> = { random: 'chart-line--a', mean: 'chart-line--b', bytes: 'chart-line--c' };

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const controls = element('div', 'mw-controls');
  const countLabel = element('label', 'mw-select', 'New pieces ');
  const count = element('input');
  count.type = 'number';
  count.min = '1';
  count.max = String(INIT_EXPERIMENT.maxPieces);
  count.value = String(ctx.state.pieces);
  count.className = 'tok-count';
  countLabel.append(count);
  const train = element('button', 'mw-button', 'Train here');
  train.type = 'button';
  controls.append(countLabel, train);
  const piecesLine = element('p', 'mw-readout');
  const source = element('p', 'tok-source');
  const chart = element('div', 'widget-chart');
  const legend = element('ul', 'tok-legend');
  for (const init of INITS) {
    const item = element('li');
    const swatch = element('span', `tok-line-swatch ${LINE_CLASS[init]}`);
    item.append(swatch, INIT_NAMES[init]);
    legend.append(item);
  }
  const table = element('table', 'mw-table');
  el.append(controls, piecesLine, source, chart, legend, tableScroller(table, 'Loss by initialisation (scrolls sideways)'));

  let runs: InitRun[] = [];
  const draw = () => {
    if (runs.length === 0) {
      chart.replaceChildren();
      table.replaceChildren();
      return;
    }
    chart.replaceChildren(
      lineChart(
        runs.map((run) => ({ name: INIT_NAMES[run.init], values: run.losses, className: LINE_CLASS[run.init] })),
        { width: Math.max(260, chart.clientWidth), xLabel: 'training step', yLabel: 'training loss (nats per token)' },
      ),
    );
    fillTable(
      table,
      'Loss by initialisation of the new rows (nats per token)',
      ['new rows', 'first step', 'last step', 'held-out before', 'held-out after'],
      runs.map((run) => [
        INIT_NAMES[run.init],
        formatNumber(run.losses[0] ?? NaN, 2),
        formatNumber(run.losses.at(-1) ?? NaN, 2),
        formatNumber(run.heldOutBefore, 2),
        Number.isNaN(run.heldOutAfter) ? '…' : formatNumber(run.heldOutAfter, 2),
      ]),
    );
  };
  onWidthChange(chart, ctx.signal, draw);

  let runtime: RuntimeClient;
  let data: InitExperimentData;
  let shipped: TokensInitRunFile | null = null;
  try {
    ({ runtime } = await loadModel(ctx));
    const tokenizer = await pageTokenizer(runtime);
    const showPieces = () => {
      data = initExperimentData(tokenizer, ctx.state.pieces);
      piecesLine.textContent = `The ${data.pieces.length} new pieces: ${data.pieces.join(' ')}`;
    };
    showPieces();
    const response = await fetch(SHIPPED_RUN_URL, { signal: ctx.signal });
    if (!response.ok) throw new Error(`${SHIPPED_RUN_URL} answered ${response.status}`);
    shipped = (await response.json()) as TokensInitRunFile;
    const showShipped = () => {
      if (shipped && shipped.pieceCount === ctx.state.pieces) {
        runs = shipped.runs;
        source.textContent = `You see the run shipped with this page (${shipped.source}), not one trained on your device. Train here to repeat it.`;
      } else {
        runs = [];
        source.textContent = `The shipped run has ${shipped?.pieceCount} new pieces; for ${ctx.state.pieces}, press Train here (three copies, ${INIT_EXPERIMENT.steps} steps each).`;
      }
      draw();
    };
    showShipped();
    ctx.status('ready');

    count.addEventListener(
      'change',
      () => {
        const value = Number(count.value);
        if (!Number.isInteger(value) || value < 1 || value > INIT_EXPERIMENT.maxPieces) {
          ctx.status('error', `New pieces must be a whole number from 1 to ${INIT_EXPERIMENT.maxPieces} (the training sentences have ${INIT_EXPERIMENT.maxPieces} characters our vocabulary spells in bytes).`);
          return;
        }
        ctx.setState({ pieces: value });
        showPieces();
        showShipped();
        ctx.status('ready');
      },
      { signal: ctx.signal },
    );
  } catch (error) {
    reportFailure(ctx, error, 'The experiment could not start');
    return;
  }

  let running: AbortController | null = null;
  train.addEventListener(
    'click',
    () => {
      if (running) {
        running.abort();
        return;
      }
      running = new AbortController();
      void trainHere(running.signal).finally(() => {
        running = null;
        train.textContent = 'Train here';
        count.disabled = false;
      });
      train.textContent = 'Stop';
      count.disabled = true;
    },
    { signal: ctx.signal },
  );
  ctx.signal.addEventListener('abort', () => running?.abort());

  async function trainHere(signal: AbortSignal): Promise<void> {
    const { batchSize, seqLength, seed, steps, schedule, maxGradNorm, initSeed, heldOutSeqLength } = INIT_EXPERIMENT;
    const heldOut = (session: string) =>
      runtime.call('evaluate', { session, examples: data.heldOut, batchSize: data.heldOut.length, seqLength: heldOutSeqLength, rows: data.heldOut.length }, { signal });
    runs = [];
    source.textContent = `You see a run trained in your browser (${runtime.backendInfo?.name ?? 'unknown'} backend), not the shipped one.`;
    for (const init of INITS) {
      const session = `tokens-init-${init}`;
      let forked = false;
      try {
        ctx.status('loading', `Training the copy with ${INIT_NAMES[init]} rows…`);
        await runtime.call('extendVocabulary', { name: session, byteIds: data.byteIds, init, seed: initSeed }, { signal });
        forked = true;
        const run: InitRun = { init, losses: [], heldOutBefore: (await heldOut(session)).loss, heldOutAfter: NaN };
        runs.push(run);
        const result = await runtime.call(
          'trainSteps',
          { session, examples: data.train, batchSize, seqLength, seed, steps, schedule: { ...schedule }, maxGradNorm },
          {
            signal,
            onProgress: (progress) => {
              run.losses.push(progress.loss);
              draw();
            },
          },
        );
        if (result.stopReason === 'cancelled') {
          ctx.status('note', `Stopped after ${run.losses.length} steps of the ${INIT_NAMES[init]} copy.`);
          return;
        }
        run.heldOutAfter = (await heldOut(session)).loss;
        draw();
      } catch (error) {
        if (signal.aborted) ctx.status('note', 'Stopped.');
        else reportFailure(ctx, error, 'Training failed');
        return;
      } finally {
        if (forked) await runtime.call('dropSession', { name: session }).catch(() => undefined);
      }
    }
    ctx.status('ready');
  }
}
