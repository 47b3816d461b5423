// The LoRA lab: choose the rank r, alpha and the projections to adapt, see how many values that
// trains, then train an adapter in the page that teaches the model a new name (NAME_TASK in
// src/chapters/lora.ts), watch the loss, compare the base and adapted stories, and merge
// W + (alpha/r) B A into a copy of the weights to see that the merged model gives the adapter's
// logits. The worker holds two sessions: the adapted copy and, briefly, the merged one.
import loraWidgetsCss from './loraWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { moduleCheckboxes } from './loraModules';
import {
  loraParameterCount,
  maxAbsDifference,
  moduleListText,
  NAME_TASK,
  nameTaskExamples,
  nameTaskSchedule,
  NEW_NAME,
  parseModuleList,
  type LoraTargetModule,
} from '../src/chapters/lora';
import { formatCount } from '../src/chapters/anatomy';
import { lineChart } from '../src/charts/lineChart';
import type { RuntimeClient } from '../src/runtime/client';
import { integer, number, text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, loadModel, onWidthChange, reportFailure, slider } from './modelWidgetParts';
import { pageTokenizer } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(loraWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

export const needsShippedModel = 'it teaches the shipped model a name its training stories never used';

const DEFAULT_MODULES = moduleListText(NAME_TASK.modules);

export const schema = {
  r: integer(1, 32, NAME_TASK.r),
  alpha: number(0.5, 64, NAME_TASK.alpha),
  /** The adapted projections, comma-separated ("q_proj,v_proj"). */
  modules: text(80, DEFAULT_MODULES),
  steps: integer(1, NAME_TASK.maxSteps, NAME_TASK.defaultSteps),
};

type State = StateOf<typeof schema>;

const SESSION = 'lora-lab';
const MERGED = 'lora-lab-merged';
const SAMPLE_TOKENS = 24;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const notes: string[] = [];
  let modules: LoraTargetModule[];
  {
    const parsed = parseModuleList(ctx.state.modules);
    if (parsed.problem) {
      notes.push(`The link's modules: ${parsed.problem} Using ${DEFAULT_MODULES} instead.`);
      ctx.setState({ modules: DEFAULT_MODULES });
      modules = parseModuleList(DEFAULT_MODULES).modules;
    } else modules = parsed.modules;
  }

  const controls = element('div', 'lora-controls');
  const rank = slider('Rank r ', { min: 1, max: 32, step: 1, value: ctx.state.r });
  const alpha = slider('Alpha ', { min: 0.5, max: 64, step: 0.5, value: ctx.state.alpha });
  const stepsLabel = element('label', 'lora-steps', 'Steps ');
  const steps = element('input');
  steps.type = 'number';
  steps.min = '1';
  steps.max = String(NAME_TASK.maxSteps);
  steps.value = String(ctx.state.steps);
  stepsLabel.append(steps);
  controls.append(rank.label, alpha.label, stepsLabel);
  const { moduleBox, boxes } = moduleCheckboxes(modules);
  const count = element('p', 'mw-readout lora-count');
  count.setAttribute('aria-live', 'polite');
  const buttons = element('div', 'lora-buttons');
  const train = element('button', 'mw-button', 'Train');
  train.type = 'button';
  const merge = element('button', 'mw-button', 'Merge and compare');
  merge.type = 'button';
  merge.disabled = true;
  const reset = element('button', 'mw-button', 'Back to the base model');
  reset.type = 'button';
  reset.disabled = true;
  buttons.append(train, merge, reset);
  const chart = element('div', 'widget-chart lora-chart');
  const samples = element('dl', 'lora-samples');
  const baseSample = element('dd');
  const adaptedSample = element('dd');
  samples.append(element('dt', undefined, 'Base model'), baseSample, element('dt', undefined, 'With the adapter'), adaptedSample);
  const checks = element('div', 'lora-checks');
  const startLine = element('p', 'mw-readout');
  const mergeLine = element('p', 'mw-readout');
  checks.append(startLine, mergeLine);
  el.append(controls, moduleBox, count, buttons, chart, samples, checks);

  let losses: number[] = [];
  const draw = () => {
    if (losses.length === 0) {
      chart.replaceChildren();
      return;
    }
    chart.replaceChildren(
      lineChart([{ name: 'training loss', values: losses, className: 'chart-line--a' }], { width: Math.max(260, chart.clientWidth), xStart: 1, xLabel: 'step', yLabel: 'training loss (nats per token)' }),
    );
  };
  onWidthChange(chart, ctx.signal, draw);

  const showSettings = () => {
    rank.output.textContent = String(ctx.state.r);
    alpha.output.textContent = String(ctx.state.alpha);
    const counted = loraParameterCount(baseConfig, ctx.state.r, modules);
    el.dataset.trainable = String(counted.trainable);
    count.textContent = `Trains ${formatCount(counted.trainable)} values (${(counted.fraction * 100).toFixed(2)}% of ${formatCount(counted.base)}); scale alpha / r = ${formatScale(ctx.state.alpha / ctx.state.r)}.`;
  };

  let runtime: RuntimeClient;
  let baseConfig: Parameters<typeof loraParameterCount>[0];
  let examples: { ids: number[] }[];
  try {
    const loaded = await loadModel(ctx);
    runtime = loaded.runtime;
    baseConfig = { ...loaded.model.config, tie_word_embeddings: loaded.model.config.tie_word_embeddings ?? false };
    examples = nameTaskExamples(await pageTokenizer(runtime));
    showSettings();
    baseSample.textContent = await sample(undefined, ctx.signal);
    adaptedSample.textContent = 'Train to see.';
    ctx.status(notes.length ? 'note' : 'ready', notes.join(' '));
  } catch (error) {
    reportFailure(ctx, error, 'The lab could not start');
    return;
  }

  async function sample(session: string | undefined, signal: AbortSignal): Promise<string> {
    const result = await runtime.call('generate', { input: { text: NAME_TASK.prompt }, options: { maxNewTokens: SAMPLE_TOKENS, temperature: 0 }, ...(session ? { session } : {}) }, { signal });
    return `${NAME_TASK.prompt}${result.text}`;
  }

  let hasSession = false;
  async function dropSessions(): Promise<void> {
    if (!hasSession) return;
    hasSession = false;
    await runtime.call('dropSession', { name: SESSION }).catch(() => undefined);
  }
  ctx.signal.addEventListener('abort', () => void dropSessions());

  const settingsChanged = () => {
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value as LoraTargetModule);
    const stepValue = Number(steps.value);
    if (chosen.length === 0) {
      ctx.status('error', 'Choose at least one projection to adapt.');
      train.disabled = true;
      return;
    }
    if (!Number.isInteger(stepValue) || stepValue < 1 || stepValue > NAME_TASK.maxSteps) {
      ctx.status('error', `Steps must be a whole number from 1 to ${NAME_TASK.maxSteps}.`);
      train.disabled = true;
      return;
    }
    modules = chosen;
    ctx.setState({ r: Number(rank.input.value), alpha: Number(alpha.input.value), modules: moduleListText(chosen), steps: stepValue });
    train.disabled = false;
    showSettings();
    ctx.status('ready');
  };
  for (const input of [rank.input, alpha.input]) input.addEventListener('input', settingsChanged, { signal: ctx.signal });
  for (const input of [steps, ...boxes]) input.addEventListener('change', settingsChanged, { signal: ctx.signal });

  let running: AbortController | null = null;
  const setBusy = (busy: boolean) => {
    for (const input of [rank.input, alpha.input, steps, ...boxes]) input.disabled = busy;
    merge.disabled = busy || !hasSession;
    reset.disabled = busy || !hasSession;
    train.textContent = busy ? 'Stop' : 'Train';
  };

  train.addEventListener(
    'click',
    () => {
      if (running) {
        running.abort();
        return;
      }
      running = new AbortController();
      setBusy(true);
      void trainAdapter(running.signal).finally(() => {
        running = null;
        setBusy(false);
      });
    },
    { signal: ctx.signal },
  );

  async function trainAdapter(signal: AbortSignal): Promise<void> {
    const { r, alpha: loraAlpha, steps: stepCount } = ctx.state;
    el.dataset.state = 'training';
    // Nothing of the previous run stays readable as if it were this one's.
    delete el.dataset.mergedDifference;
    delete el.dataset.losses;
    delete el.dataset.stepsRun;
    losses = [];
    draw();
    startLine.textContent = '';
    mergeLine.textContent = '';
    adaptedSample.textContent = '…';
    try {
      await dropSessions();
      ctx.status('loading', 'Copying the model and attaching a fresh adapter…');
      await runtime.call('fork', { name: SESSION }, { signal });
      hasSession = true;
      const attached = await runtime.call('attachLora', { session: SESSION, config: { r, lora_alpha: loraAlpha, target_modules: modules }, seed: NAME_TASK.initSeed }, { signal });
      el.dataset.attached = String(attached.parameters);
      // B = 0: before the first step the adapted model computes exactly the base logits
      const [base, fresh] = await Promise.all([
        runtime.forward({ text: NAME_TASK.prompt }, { signal }),
        runtime.forward({ text: NAME_TASK.prompt, session: SESSION }, { signal }),
      ]);
      const startDifference = maxAbsDifference(base.logits.data, fresh.logits.data);
      el.dataset.startDifference = String(startDifference);
      startLine.textContent = `Before the first step (B = 0): the largest difference between the adapted and the base logits is ${startDifference}.`;
      ctx.status('loading', `Training ${formatCount(attached.parameters)} values for ${stepCount} steps…`);
      const { batchSize, seqLength, seed, maxGradNorm } = NAME_TASK;
      const result = await runtime.call(
        'trainSteps',
        { session: SESSION, examples, batchSize, seqLength, seed, steps: stepCount, schedule: nameTaskSchedule(stepCount), maxGradNorm },
        {
          signal,
          onProgress: (progress) => {
            losses.push(progress.loss);
            el.dataset.losses = losses.map((loss) => loss.toFixed(5)).join(',');
            ctx.status('loading', `Step ${progress.step + 1} of ${stepCount}: loss ${progress.loss.toFixed(2)}`);
            draw();
          },
        },
      );
      el.dataset.stepsRun = String(result.stepsRun);
      adaptedSample.textContent = await sample(SESSION, ctx.signal);
      el.dataset.sample = adaptedSample.textContent;
      if (result.stopReason === 'cancelled') {
        el.dataset.state = 'stopped';
        ctx.status('note', `Stopped after ${result.stepsRun} of ${stepCount} steps.`);
        return;
      }
      el.dataset.state = 'trained';
      const named = adaptedSample.textContent.slice(NAME_TASK.prompt.length).trimStart().startsWith(NEW_NAME);
      ctx.status('note', `Trained ${stepCount} steps: loss ${losses[0].toFixed(2)} → ${losses.at(-1)!.toFixed(2)}. ${named ? `The story now uses ${NEW_NAME}.` : `The story does not use ${NEW_NAME} yet: try more steps, a larger alpha or more modules.`}`);
    } catch (error) {
      if (signal.aborted) {
        el.dataset.state = 'stopped';
        ctx.status('note', 'Stopped.');
      } else {
        el.dataset.state = 'error';
        reportFailure(ctx, error, 'Training failed');
      }
    }
  }

  merge.addEventListener(
    'click',
    () => {
      setBusy(true);
      void mergeAndCompare().finally(() => setBusy(false));
    },
    { signal: ctx.signal },
  );

  async function mergeAndCompare(): Promise<void> {
    ctx.status('loading', 'Merging W + (alpha/r) B A into a copy of the weights…');
    let merged = false;
    try {
      await runtime.call('fork', { name: MERGED, from: SESSION }, { signal: ctx.signal });
      merged = true;
      const ids = { text: NAME_TASK.prompt };
      const [adapted, mergedResult] = await Promise.all([runtime.forward({ ...ids, session: SESSION }, { signal: ctx.signal }), runtime.forward({ ...ids, session: MERGED }, { signal: ctx.signal })]);
      const difference = maxAbsDifference(adapted.logits.data, mergedResult.logits.data);
      el.dataset.mergedDifference = String(difference);
      el.dataset.state = 'merged';
      const values = adapted.logits.data.length;
      mergeLine.textContent = `Merged: over all ${formatCount(values)} logits of the prompt, the largest difference between the merged model and the model with the adapter is ${difference.toExponential(1)} (float32 rounding). The merged model has no adapter and runs at the base model's cost.`;
      ctx.status('ready');
    } catch (error) {
      reportFailure(ctx, error, 'Merging failed');
    } finally {
      if (merged) await runtime.call('dropSession', { name: MERGED }).catch(() => undefined);
    }
  }

  reset.addEventListener(
    'click',
    () => {
      void dropSessions().then(() => {
        losses = [];
        draw();
        adaptedSample.textContent = 'Train to see.';
        startLine.textContent = '';
        mergeLine.textContent = '';
        el.dataset.state = 'reset';
        setBusy(false);
        ctx.status('ready');
      });
    },
    { signal: ctx.signal },
  );
}

function formatScale(scale: number): string {
  return Number.isInteger(scale) ? String(scale) : scale.toFixed(3).replace(/0+$/, '');
}
