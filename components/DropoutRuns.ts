// Train mode against eval mode: the same prompt through the model RUNS times. In train mode each
// run draws new dropout masks (seed, seed + 1, ...), so the next-token distribution jitters; in
// eval mode dropout is off and every run gives the same numbers, bit for bit.
import './DropoutRuns.css';
import { runSpread } from '../src/charts/runSpread';
import {
  DEFAULT_PROMPT,
  MAX_DROPOUT_RATE,
  MODEL_URL,
  RUNS,
  allRunsIdentical,
  describeBadPrompt,
  describeBadRate,
  softmaxRow,
  tokenSpreads,
} from '../src/chapters/dropout';
import type { RuntimeClient } from '../src/runtime/client';
import { choice, integer, number, text } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';

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

type State = { prompt: string; p: number; mode: (typeof MODES)[number]; seed: number };

interface Measured {
  /** [RUNS][vocab] next-token probabilities. */
  runs: Float64Array[];
  identical: boolean;
  tokens: number;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const controls = document.createElement('div');
  controls.className = 'dr-controls';

  const promptLabel = document.createElement('label');
  promptLabel.className = 'dr-prompt';
  const promptInput = document.createElement('input');
  promptInput.type = 'text';
  promptInput.maxLength = schema.prompt.maxLength;
  promptInput.value = ctx.state.prompt;
  promptLabel.append('Prompt', promptInput);

  const rateLabel = document.createElement('label');
  const rateSlider = document.createElement('input');
  rateSlider.type = 'range';
  rateSlider.min = '0';
  rateSlider.max = String(MAX_DROPOUT_RATE);
  rateSlider.step = '0.05';
  rateSlider.value = String(ctx.state.p);
  const rateOutput = document.createElement('output');
  rateLabel.append('Dropout p', rateSlider, rateOutput);

  const modes = document.createElement('fieldset');
  modes.className = 'dr-modes';
  const legend = document.createElement('legend');
  legend.textContent = 'Mode';
  modes.append(legend);
  const modeInputs = MODES.map((mode) => {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = `${ctx.id}-mode`;
    input.value = mode;
    input.checked = ctx.state.mode === mode;
    label.append(input, mode === 'train' ? 'model.train()' : 'model.eval()');
    modes.append(label);
    return input;
  });

  const reroll = document.createElement('button');
  reroll.type = 'button';
  reroll.textContent = 'New masks';
  controls.append(promptLabel, rateLabel, modes, reroll);

  const summary = document.createElement('p');
  summary.className = 'dr-summary';
  const chart = document.createElement('div');
  chart.className = 'widget-chart';
  const table = document.createElement('table');
  table.className = 'visually-hidden dr-hidden';
  el.append(controls, summary, chart, table);

  let runtime: RuntimeClient | null = null;
  let measured: Measured | null = null;
  let labels = new Map<number, string>();
  let runNumber = 0;
  let drawnWidth = 0;

  const readout = () => {
    rateOutput.value = ctx.state.p.toFixed(2);
    rateSlider.setAttribute('aria-valuetext', `p = ${ctx.state.p.toFixed(2)}`);
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
      if (!runtime) {
        ctx.status('loading', 'Loading the model…');
        runtime = await ctx.runtime();
        await runtime.load(MODEL_URL);
      }
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
      const backend = runtime.backendInfo;
      // Say so only when a faster backend failed, not when the link asked for this one.
      if (backend && backend.fallbacks.length > 0) ctx.status('note', backend.reason);
      else ctx.status('ready');
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

    const caption = document.createElement('caption');
    caption.textContent = `Next-token probabilities over ${RUNS} runs in ${mode} mode`;
    const head = document.createElement('tr');
    for (const name of ['token', 'mean', 'min', 'max', 'standard deviation']) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = name;
      head.append(th);
    }
    const rows = spreads.map((spread, i) => {
      const tr = document.createElement('tr');
      for (const value of [data[i].label, pct(spread.mean), pct(spread.min), pct(spread.max), pct(spread.std)]) {
        const td = document.createElement('td');
        td.textContent = value;
        tr.append(td);
      }
      return tr;
    });
    table.replaceChildren(caption, head, ...rows);
  }

  let typing: ReturnType<typeof setTimeout> | undefined;
  const schedule = (delay: number) => {
    clearTimeout(typing);
    typing = setTimeout(() => void run(), delay);
  };
  promptInput.addEventListener(
    'input',
    () => {
      ctx.setState({ prompt: promptInput.value });
      schedule(500);
    },
    { signal: ctx.signal },
  );
  rateSlider.addEventListener(
    'input',
    () => {
      ctx.setState({ p: Number(rateSlider.value) });
      readout();
      schedule(250);
    },
    { signal: ctx.signal },
  );
  for (const input of modeInputs) {
    input.addEventListener(
      'change',
      () => {
        ctx.setState({ mode: input.value === 'eval' ? 'eval' : 'train' });
        schedule(0);
      },
      { signal: ctx.signal },
    );
  }
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
  ctx.signal.addEventListener('abort', () => {
    resize.disconnect();
    clearTimeout(typing);
  });
  // The first run is awaited, so a note about a bad link (shown after mount) is not overwritten.
  await run();
}
