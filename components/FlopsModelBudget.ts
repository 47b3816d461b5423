// Our model's budget: FLOPs per token at the reader's context length (counted from the config),
// measured prefill and decode speed on this device (a greedy generation timed token by token in the
// page, after a warm-up run), the FLOP/s they amount to against a matmul timed just now, and one
// decode step split by kernel (profileDecodeStep): many small launches for little arithmetic.
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { forwardFlops, matmulFlops, siPrefix, tokenFlops } from '../src/chapters/flops';
import type { DecodeProfileResult } from '../src/runtime/messages';
import { integer, text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { backendLine, formatMs, formatRate } from './flopsParts';
import flopsWidgetsCss from './flopsWidgets.css?url';
import { element, fillTable, loadModel, reportFailure, slider, tableScroller } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(flopsWidgetsCss);

export const schema = {
  prompt: text(600, 'Once upon a time, there was a little girl named Lily. She loved to play in the park with her dog.'),
  /** Keys each new token attends to, for the FLOPs count (the context length). */
  context: integer(1, 256, 256),
  /** Tokens generated in the timed run. */
  newTokens: integer(8, 64, 32),
};

type State = StateOf<typeof schema>;

/** The side of the square matmul timed as this device's reference rate. */
export const REFERENCE_SIZE = 512;

export interface SpeedRun {
  promptTokens: number;
  /** from sending the request to the first new token: the prefill (and one sampling step) */
  prefillMs: number;
  /** new tokens after the first, over the time between the first and the last */
  decodeTokensPerSecond: number;
}

/** Times one greedy generation token by token as the page receives them. */
async function timeGeneration(runtime: Awaited<ReturnType<typeof loadModel>>['runtime'], ids: number[], newTokens: number): Promise<SpeedRun> {
  const started = performance.now();
  const arrivals: number[] = [];
  const stream = runtime.generate({ ids, maxNewTokens: newTokens, temperature: 0, ignoreEos: true });
  for await (const _token of stream) arrivals.push(performance.now());
  await stream.result;
  const decodeMs = arrivals[arrivals.length - 1] - arrivals[0];
  return { promptTokens: ids.length, prefillMs: arrivals[0] - started, decodeTokensPerSecond: ((arrivals.length - 1) / decodeMs) * 1000 };
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const config = model.config;

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void measure());
  const context = slider('Context (keys per token)', { min: 1, max: config.max_position_embeddings, step: 1, value: Math.min(ctx.state.context, config.max_position_embeddings) });
  const perToken = element('div', 'fw-result');
  const measured = element('div', 'fw-result');
  measured.setAttribute('aria-live', 'polite');
  const again = element('button', 'mw-button', 'Measure again');
  again.type = 'button';
  const kernels = element('table', 'mw-table');
  const kernelWrap = tableScroller(kernels, 'Kernels of one decode step');
  kernelWrap.hidden = true;
  el.append(form, context.label, perToken, again, backendLine(model.backend.name), measured, kernelWrap);

  const drawFlops = () => {
    const keys = ctx.state.context;
    const flops = tokenFlops(config, keys);
    const share = (part: number) => `${((100 * part) / flops.total).toFixed(1)}%`;
    perToken.replaceChildren(
      element('p', undefined, `One token attending to ${keys} key${keys === 1 ? '' : 's'}: ${flops.total.toLocaleString('en-US')} FLOPs`),
      element('p', undefined, `projections ${flops.projections.toLocaleString('en-US')} (${share(flops.projections)}) · attention ${flops.attention.toLocaleString('en-US')} (${share(flops.attention)}) · classifier ${flops.lmHead.toLocaleString('en-US')} (${share(flops.lmHead)})`),
    );
  };

  let runs = 0;
  async function measure(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Measuring…');
    const prepared = await promptIds(runtime, model, ctx.state.prompt, ctx.state.newTokens);
    if (prepared.problem !== null) {
      ctx.status('error', prepared.problem);
      return;
    }
    again.disabled = true;
    try {
      await timeGeneration(runtime, prepared.ids, ctx.state.newTokens); // warm-up: shaders, caches
      const speed = await timeGeneration(runtime, prepared.ids, ctx.state.newTokens);
      const profile: DecodeProfileResult = await runtime.call('profileDecodeStep', { input: { ids: prepared.ids } });
      const reference = await runtime.call('timeMatmulChain', { m: REFERENCE_SIZE, k: REFERENCE_SIZE, n: REFERENCE_SIZE, reps: 3 });
      if (runId !== runs || ctx.signal.aborted) return;
      const referenceRate = matmulFlops(REFERENCE_SIZE, REFERENCE_SIZE, REFERENCE_SIZE) / (reference.ms / 1000);
      const prefillFlops = forwardFlops(config, speed.promptTokens, { lmHeadRows: 1 }).total;
      const prefillRate = prefillFlops / (speed.prefillMs / 1000);
      // the decode steps attend to promptTokens + 1 ... promptTokens + newTokens - 1 keys; count their middle
      const decodeFlops = tokenFlops(config, speed.promptTokens + Math.round(ctx.state.newTokens / 2)).total;
      const decodeRate = decodeFlops * speed.decodeTokensPerSecond;
      const percent = (rate: number) => `${((100 * rate) / referenceRate).toPrecision(2)}%`;
      const stepMs = 1000 / speed.decodeTokensPerSecond;
      measured.replaceChildren(
        element('p', undefined, `Prefill: ${speed.promptTokens} tokens in ${formatMs(speed.prefillMs)} = ${Math.round((speed.promptTokens / speed.prefillMs) * 1000).toLocaleString('en-US')} tokens/s, ${formatRate(prefillRate)}: ${percent(prefillRate)} of the matmul rate.`),
        element('p', undefined, `Decode: ${speed.decodeTokensPerSecond.toFixed(0)} tokens/s (${formatMs(stepMs)} a token), ${formatRate(decodeRate)}: ${percent(decodeRate)} of the matmul rate.`),
        element('p', undefined, `Reference: a ${REFERENCE_SIZE} × ${REFERENCE_SIZE} × ${REFERENCE_SIZE} matmul ran at ${formatRate(referenceRate)} just now.`),
        element('p', undefined, `One decode step launched ${profile.kernelCount} kernels for ${siPrefix(profile.flops.total)}FLOPs: ${siPrefix(profile.flops.total / profile.kernelCount)}FLOPs a launch.`),
      );
      fillTable(
        kernels,
        `One decode step after ${profile.cachedTokens} cached tokens, by kernel (${profile.backend})`,
        ['kernel', 'launches', 'time', 'share of kernel time'],
        profile.kernels.map((k) => [k.name, k.count, formatMs(k.ms), profile.kernelMs > 0 ? `${((100 * k.ms) / profile.kernelMs).toFixed(0)}%` : '—']),
      );
      kernelWrap.hidden = false;
      ctx.status('ready');
    } catch (error) {
      if (runId === runs) reportFailure(ctx, error, 'The measurement could not run');
    } finally {
      again.disabled = false;
    }
  }

  context.output.value = String(ctx.state.context);
  context.input.addEventListener(
    'input',
    () => {
      context.output.value = context.input.value;
      ctx.setState({ context: Number(context.input.value) });
      drawFlops();
    },
    { signal: ctx.signal },
  );
  again.addEventListener('click', () => void measure(), { signal: ctx.signal });
  drawFlops();
  await measure();
}
