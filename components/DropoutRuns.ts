// Train mode against eval mode: the same prompt through the model RUNS times. In train mode each
// run draws new dropout masks (seed, seed + 1, ...), so the next-token distribution jitters; in
// eval mode dropout is off and every run gives the same numbers, bit for bit.
import dropoutRunsCss from './DropoutRuns.css?url';
import { runSpread } from '../src/charts/runSpread';
import {
  DEFAULT_PROMPT,
  MAX_DROPOUT_RATE,
  RUNS,
  allRunsIdentical,
  describeBadPrompt,
  describeBadRate,
  softmaxRow,
  tokenSpreads,
} from '../src/chapters/dropout';
import type { RuntimeClient } from '../src/runtime/client';
import { choice, integer, number, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { debounced, element, fillTable, loadModel, radioGroup, slider } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(dropoutRunsCss);

const MODES = ['train', 'eval'] as const;
const TOP_TOKENS = 6;

export const schema = {
  prompt: text(200, DEFAULT_PROMPT),
  /** Dropout rate on the attention probabilities and both residual branches. */
  p: number(0, MAX_DROPOUT_RATE, 0.1),
  mode: choice(MODES, 'train'),
  /** Seed of the first run's masks; "New masks" moves it on. */
  seed: integer(1, 100_000, 1),
};

type State = StateOf<typeof schema>;

interface Measured {
  /** [RUNS][vocab] next-token probabilities. */
  runs: Float64Array[];
  identical: boolean;
  tokens: number;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const controls = element('div', 'widget-controls dr-controls');

  const promptLabel = element('label', 'dr-prompt');
  const promptInput = element('input');
  promptInput.type = 'text';
  promptInput.maxLength = schema.prompt.maxLength;
  promptInput.value = ctx.state.prompt;
  promptLabel.append('Prompt', promptInput);

  const rate = slider('Dropout p', { min: 0, max: MAX_DROPOUT_RATE, step: 0.05, value: ctx.state.p });
  const { fieldset: modes } = radioGroup('Mode', `${ctx.id}-mode`, [['train', 'model.train()'], ['eval', 'model.eval()']] as const, ctx.state.mode, {
    signal: ctx.signal,
    className: 'dr-modes',
    onChange: (mode) => {
      ctx.setState({ mode });
      schedule(0);
    },
  });

  const reroll = element('button', undefined, 'New masks');
  reroll.type = 'button';
  controls.append(promptLabel, rate.label, modes, reroll);

  const summary = element('p', 'widget-summary');
  const chart = element('div', 'widget-chart');
  const table = element('table', 'visually-hidden dr-hidden');
  el.append(controls, summary, chart, table);

  let runtime: RuntimeClient | null = null;
  const schedule = debounced(() => void run(), ctx.signal);
  let measured: Measured | null = null;
  let labels = new Map<number, string>();
  let runNumber = 0;
  let drawnWidth = 0;

  const readout = () => {
    rate.output.value = ctx.state.p.toFixed(2);
    rate.input.setAttribute('aria-valuetext', `p = ${ctx.state.p.toFixed(2)}`);
    reroll.disabled = ctx.state.mode === 'eval';
  };

  async function run(): Promise<void> {
    const state = ctx.state;
    const thisRun = ++runNumber;
    readout();
    const problem = describeBadPrompt(state.prompt) ?? describeBadRate(state.p);
    if (problem) {
      ctx.status('note', problem);
      el.dataset.state = 'invalid';
      return;
    }
    el.dataset.state = 'running';
    try {
      runtime ??= (await loadModel(ctx)).runtime;
      const context = runtime.model!.config.max_position_embeddings;
      ctx.status('loading', `Running the prompt ${RUNS} times in ${state.mode} mode…`);
      const runs: Float64Array[] = [];
      const lastLogits: Float32Array[] = [];
      let tokens = 0;
      for (let r = 0; r < RUNS; r++) {
        const { logits, inputIds } = await runtime.forward({
          text: state.prompt,
          training: state.mode === 'train',
          dropoutRate: state.p,
          seed: state.seed + r,
        });
        tokens = inputIds[0].length;
        if (tokens > context) {
          throw new Error(`The prompt is ${tokens} tokens long; the model reads at most ${context}. Shorten it.`);
        }
        const vocab = logits.shape[2];
        const last = logits.data.subarray((tokens - 1) * vocab, tokens * vocab);
        lastLogits.push(last);
        runs.push(softmaxRow(last));
        if (thisRun !== runNumber || ctx.signal.aborted) return;
      }
      const top = tokenSpreads(runs, TOP_TOKENS).map((spread) => spread.tokenId);
      const missing = top.filter((id) => !labels.has(id));
      if (missing.length > 0) {
        const { pieces, texts } = await runtime.pieces(missing);
        labels = new Map([...labels, ...missing.map((id, i): [number, string] => [id, texts[i] || pieces[i]])]);
      }
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      measured = { runs, identical: allRunsIdentical(lastLogits), tokens };
      draw();
      el.dataset.state = 'done';
      ctx.status('ready');
    } catch (error) {
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      el.dataset.state = 'invalid';
      const message = error instanceof Error ? error.message : String(error);
      ctx.status(runtime?.model ? 'note' : 'error', runtime?.model ? message : `The model could not load: ${message}`);
    }
  }

  function draw(): void {
    if (!measured) return;
    const { mode, p } = ctx.state;
    const spreads = tokenSpreads(measured.runs, TOP_TOKENS);
    const data = spreads.map((spread) => ({
      label: JSON.stringify(labels.get(spread.tokenId) ?? String(spread.tokenId)),
      values: measured!.runs.map((run) => run[spread.tokenId]),
    }));
    drawnWidth = chart.clientWidth;
    chart.replaceChildren(runSpread(data, { width: Math.max(280, drawnWidth) }));

    const widest = spreads.reduce((best, s) => (s.max - s.min > best.max - best.min ? s : best), spreads[0]);
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    if (mode === 'eval') {
      summary.textContent = measured.identical
        ? `model.eval(): all ${RUNS} runs gave the same logits, bit for bit; p = ${p.toFixed(2)} is ignored.`
        : `model.eval(): the runs differ, which they should not.`;
    } else if (p === 0) {
      summary.textContent = `model.train() with p = 0: no value is dropped, so all ${RUNS} runs agree${measured.identical ? ', bit for bit' : ''}.`;
    } else {
      summary.textContent = `model.train(), p = ${p.toFixed(2)}: across ${RUNS} runs, the probability of ${data[spreads.indexOf(widest)].label} moved between ${pct(widest.min)} and ${pct(widest.max)}.`;
    }
    el.dataset.identical = String(measured.identical);

    fillTable(
      table,
      `Next-token probabilities over ${RUNS} runs in ${mode} mode`,
      ['token', 'mean', 'min', 'max', 'standard deviation'],
      spreads.map((spread, i) => [data[i].label, pct(spread.mean), pct(spread.min), pct(spread.max), pct(spread.std)]),
    );
  }

  promptInput.addEventListener(
    'input',
    () => {
      ctx.setState({ prompt: promptInput.value });
      schedule(500);
    },
    { signal: ctx.signal },
  );
  rate.input.addEventListener(
    'input',
    () => {
      ctx.setState({ p: Number(rate.input.value) });
      readout();
      schedule(250);
    },
    { signal: ctx.signal },
  );
  reroll.addEventListener(
    'click',
    () => {
      ctx.setState({ seed: (ctx.state.seed + RUNS - 1) % schema.seed.max + 1 });
      schedule(0);
    },
    { signal: ctx.signal },
  );
  const resize = new ResizeObserver(() => {
    if (chart.clientWidth !== drawnWidth) draw();
  });
  resize.observe(chart);
  ctx.signal.addEventListener('abort', () => resize.disconnect());
  // The first run is awaited, so a note about a bad link (shown after mount) is not overwritten.
  await run();
}
