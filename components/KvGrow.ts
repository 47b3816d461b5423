// Watch the KV cache grow: greedy decoding one token at a time on the real model; after each step
// the cache holds one more key and one more value per layer and KV head. Each step is timed twice:
// against the cache, and recomputing the whole prefix without one (both measured here, live), and
// the chosen layer and head's cached keys and values are drawn as rows.
import decodingWidgetsCss from './decodingWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import kvWidgetsCss from './kvWidgets.css?url';
import { lineCurves } from '../src/charts/lineCurves';
import { formatBytes, kvBytesPerToken, kvShapeOf } from '../src/chapters/kvcache';
import type { OpProgress, OpResult } from '../src/runtime/messages';
import { integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { median, vectorGrid } from './kvWidgetParts';
import { checkLinkedLayerHead, element, formatNumber, hiddenTable, loadModel, numberSelect, onWidthChange, reportFailure, slider } from './modelWidgetParts';
import { pageTokenizer, promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(decodingWidgetsCss);
loadStylesheet(modelWidgetPartsCss);
loadStylesheet(kvWidgetsCss);

export const schema = {
  prompt: text(600, 'Once upon a time'),
  /** Decode steps after the prefill. */
  steps: integer(2, 120, 40),
  layer: integer(0, 63, 0),
  /** A KV head (the model has fewer KV heads than query heads). */
  head: integer(0, 63, 0),
  /** Show the cache after this step (0: after the last). */
  at: integer(0, 120, 0),
};

type State = StateOf<typeof schema>;
type DecodeTimeline = OpResult<'decodeTimeline'>;
type DecodeTimelineStep = OpProgress<'decodeTimeline'>;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const config = model.config;
  const notes = checkLinkedLayerHead(ctx, config.num_hidden_layers, config.num_key_value_heads);
  const perToken = kvBytesPerToken(kvShapeOf(config), 4);

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run());
  const grid = element('div', 'dw-grid');
  const steps = slider('Steps', { min: 2, max: 120, step: 1, value: ctx.state.steps });
  const layer = numberSelect('Layer', config.num_hidden_layers, ctx.state.layer);
  const head = numberSelect('KV head', config.num_key_value_heads, ctx.state.head);
  grid.append(steps.label, layer.label, head.label);
  const readout = element('p', 'mw-readout');
  const generated = element('p', 'dw-text');
  generated.hidden = true;
  const chart = element('div', 'mw-chart');
  const legend = element('ul', 'dw-legend');
  const scrub = slider('Cache after step', { min: 1, max: ctx.state.steps, step: 1, value: ctx.state.steps });
  scrub.label.classList.add('kv-scrub');
  const cacheNote = element('p', 'mw-readout');
  const grids = element('div', 'kv-grids');
  const alternative = element('div');
  el.append(form, grid, readout, generated, chart, legend, scrub.label, cacheNote, grids, alternative);
  scrub.label.hidden = true;

  let live: DecodeTimelineStep[] = [];
  let timeline: DecodeTimeline | null = null;
  let labels: string[] = [];

  const drawChart = () => {
    if (live.length === 0) return;
    const cached = live.map((step) => ({ x: step.cachedTokens, y: step.cacheMs }));
    const recomputed = live.filter((step) => step.recomputeMs !== undefined).map((step) => ({ x: step.cachedTokens, y: step.recomputeMs! }));
    const top = Math.max(...cached.map((p) => p.y), ...recomputed.map((p) => p.y), 0.1) * 1.1;
    chart.replaceChildren(
      lineCurves(
        [
          { name: 'recomputing the prefix', className: 'chart-line--1', points: recomputed },
          { name: 'with the KV cache', className: 'chart-line--3', points: cached },
        ],
        { width: Math.max(260, chart.clientWidth), yDomain: [0, top], xLabel: 'tokens in the sequence', yLabel: 'ms per token' },
      ),
    );
    const last = live[live.length - 1];
    readout.textContent =
      `Step ${last.index}: the cache holds ${last.cachedTokens} tokens, ${formatBytes(last.cacheBytes)} (${formatBytes(perToken)} × ${last.cachedTokens}). ` +
      `Median per token: ${formatNumber(median(cached.map((p) => p.y)), 2)} ms with the cache, ${formatNumber(median(recomputed.map((p) => p.y)), 2)} ms recomputing; ` +
      `largest logit difference between the two: ${(Math.max(...live.map((s) => s.maxLogitDifference ?? 0))).toExponential(1)}.`;
    legend.replaceChildren(element('li', 'dw-key--1', 'recomputing the whole prefix (no cache)'), element('li', 'dw-key--3', 'with the KV cache'));
  };

  const drawCache = () => {
    if (!timeline) return;
    const at = ctx.state.at === 0 || ctx.state.at > timeline.steps.length ? timeline.steps.length : ctx.state.at;
    scrub.input.max = String(timeline.steps.length);
    scrub.input.value = String(at);
    scrub.output.value = String(at);
    const rows = timeline.promptIds.length + at;
    const { keys, values, layer: l, head: h } = timeline.contents;
    const width = Math.max(180, Math.min(420, grids.clientWidth / (grids.clientWidth > 500 ? 2 : 1) - 8));
    const panel = (name: string, data: number[][]) => {
      const wrap = element('div');
      wrap.append(element('h4', undefined, `${name}, layer ${l}, KV head ${h}: [${rows} × ${data[0].length}]`));
      wrap.append(vectorGrid(data.slice(0, rows), labels, { width, label: `${name} of layer ${l}, KV head ${h}: ${rows} rows of ${data[0].length} numbers; the last row is the token added at step ${at}` }));
      return wrap;
    };
    grids.replaceChildren(panel('Keys (after RoPE)', keys), panel('Values', values));
    cacheNote.textContent = `After step ${at}: ${rows} rows in every layer's keys and values; the outlined row (${labels[rows - 1]}) is the one this step added. Rows above it never change.`;
    alternative.replaceChildren(
      hiddenTable(
        'Time per token, with the cache and recomputing the prefix',
        ['step', 'tokens', 'cache bytes', 'ms with cache', 'ms recomputing'],
        timeline.steps.map((s) => [s.index, s.cachedTokens, s.cacheBytes, formatNumber(s.cacheMs, 2), formatNumber(s.recomputeMs ?? NaN, 2)]),
      ),
    );
  };

  let runs = 0;
  let controller: AbortController | null = null;
  async function run(): Promise<void> {
    const runId = ++runs;
    controller?.abort();
    ctx.status('loading', 'Running the model…');
    const prepared = await promptIds(runtime, model, ctx.state.prompt, ctx.state.steps);
    if (prepared.problem !== null) {
      ctx.status('error', prepared.problem);
      return;
    }
    live = [];
    timeline = null;
    generated.hidden = true;
    scrub.label.hidden = true;
    grids.replaceChildren();
    cacheNote.textContent = '';
    controller = new AbortController();
    ctx.signal.addEventListener('abort', () => controller?.abort(), { once: true });
    ctx.status('loading', `Decoding ${ctx.state.steps} tokens, each twice: with the cache and without…`);
    try {
      const result = await runtime.call(
        'decodeTimeline',
        { input: { ids: prepared.ids }, steps: ctx.state.steps, recompute: true, layer: ctx.state.layer, head: ctx.state.head, warmup: true },
        {
          signal: controller.signal,
          onProgress: (step) => {
            if (runId !== runs) return;
            live.push(step);
            drawChart();
          },
        },
      );
      if (runId !== runs || ctx.signal.aborted) return;
      const tokenizer = await pageTokenizer(runtime);
      const all = [...result.promptIds, ...result.steps.map((s) => s.tokenId)];
      generated.textContent = tokenizer.decode(all);
      generated.hidden = false;
      labels = all.map((id, i) => `${i} ${tokenizer.idToPiece(id).replace(/▁/g, '␣').slice(0, 6)}`);
      timeline = result;
      live = result.steps;
      drawChart();
      scrub.label.hidden = false;
      drawCache();
      if (notes.length) ctx.status('note', notes.splice(0).join(' '));
      else ctx.status('ready');
    } catch (error) {
      if (runId === runs && !ctx.signal.aborted) reportFailure(ctx, error);
    }
  }

  steps.output.value = String(ctx.state.steps);
  steps.input.addEventListener('input', () => (steps.output.value = steps.input.value), { signal: ctx.signal });
  steps.input.addEventListener('change', () => {
    ctx.setState({ steps: Number(steps.input.value), at: 0 });
    void run();
  }, { signal: ctx.signal });
  for (const [control, name] of [[layer, 'layer'], [head, 'head']] as const) {
    control.select.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.select.value) });
      void run();
    }, { signal: ctx.signal });
  }
  scrub.input.addEventListener('input', () => {
    const value = Number(scrub.input.value);
    ctx.setState({ at: timeline && value === timeline.steps.length ? 0 : value });
    drawCache();
  }, { signal: ctx.signal });
  onWidthChange(chart, ctx.signal, () => {
    drawChart();
    drawCache();
  });
  await run();
}
