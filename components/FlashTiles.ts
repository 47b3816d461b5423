// Step through FlashAttention on one real head: the model's queries, keys and values for the
// reader's prompt (taps), cut into B_r × B_c tiles and run tile by tile with the online softmax
// (src/llama/flashAttention.ts). The map shows which tiles have been computed, which one is on
// chip now and which the causal mask skips; the table, the current tile's rows: their running max
// and sum and how far each output row still is from its final value; the readout, the largest
// difference between the finished tiled output and standard attention (the engine's P · V).
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import decodingWidgetsCss from './decodingWidgets.css?url';
import flashWidgetsCss from './flashWidgets.css?url';
import { FLASH_PROMPT, flashTaps, headInputs, probsTimesValues } from '../src/chapters/flash';
import { maxAbsDifference, tiledAttention, type LoopOrder, type TiledAttention, type TileStep } from '../src/llama/flashAttention';
import { chartSvg } from '../src/charts/chartSvg';
import { choice, integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import {
  checkLinkedLayerHead,
  element,
  fillTable,
  formatNumber,
  loadModel,
  numberSelect,
  onWidthChange,
  radioGroup,
  reportFailure,
  slider,
  tableScroller,
  tokenLabels,
} from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(modelWidgetPartsCss);
loadStylesheet(decodingWidgetsCss);
loadStylesheet(flashWidgetsCss);

export const schema = {
  prompt: text(600, FLASH_PROMPT),
  layer: integer(0, 63, 0),
  /** A query head. */
  head: integer(0, 63, 0),
  /** B_r, query rows per tile. */
  rows: integer(1, 64, 8),
  /** B_c, key columns per tile. */
  cols: integer(1, 64, 8),
  order: choice(['kv-outer', 'q-outer'], 'kv-outer'),
  /** The tile shown (1 = the first); 0 = after the last. */
  tile: integer(0, 65_536, 1),
};

type State = StateOf<typeof schema>;

const ORDERS: readonly (readonly [LoopOrder, string])[] = [
  ['kv-outer', 'FlashAttention: key blocks outside'],
  ['q-outer', 'FlashAttention-2: query blocks outside'],
];

/** Below this, a row's output counts as at its final value (float32 rounding is about 1e-7). */
const CONVERGED = 1e-6;

/** Each row's output as it stands after `step` tiles (null: not touched yet). */
export function rowOutputsAfter(steps: readonly TileStep[], step: number, rows: number): (number[] | null)[] {
  const current: (number[] | null)[] = new Array(rows).fill(null);
  for (let t = 0; t < step; t++) {
    const s = steps[t];
    if (s.skipped) continue;
    s.output.forEach((row, r) => {
      if (s.rowSum[r] > 0) current[s.rowStart + r] = row;
    });
  }
  return current;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const config = model.config;
  const notes = checkLinkedLayerHead(ctx, config.num_hidden_layers, config.num_attention_heads);

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run(), { tile: 1 });
  const controls = element('div', 'dw-grid');
  const layer = numberSelect('Layer', config.num_hidden_layers, ctx.state.layer);
  const head = numberSelect('Head', config.num_attention_heads, ctx.state.head);
  const rows = slider('Query rows per tile (B_r)', { min: 1, max: 64, step: 1, value: ctx.state.rows });
  const cols = slider('Keys per tile (B_c)', { min: 1, max: 64, step: 1, value: ctx.state.cols });
  controls.append(layer.label, head.label, rows.label, cols.label);
  const order = radioGroup('Loop order', `${ctx.id}-order`, ORDERS, ctx.state.order, {
    signal: ctx.signal,
    onChange: (value) => {
      ctx.setState({ order: value, tile: 1 });
      compute();
    },
  });
  const stepper = element('div', 'flash-stepper');
  const previous = element('button', 'mw-button', '← Previous tile');
  const next = element('button', 'mw-button', 'Next tile →');
  const last = element('button', 'mw-button', 'Run to the end');
  for (const button of [previous, next, last]) button.type = 'button';
  const scrub = slider('Tile shown', { min: 1, max: 1, step: 1, value: 1 });
  stepper.append(previous, next, last, scrub.label);
  const where = element('p', 'mw-readout');
  const map = element('div', 'mw-chart flash-map');
  const legend = element('ul', 'dw-legend');
  legend.append(
    element('li', 'flash-key--done', 'computed'),
    element('li', 'flash-key--now', 'on chip now'),
    element('li', 'flash-key--skip', 'masked (tiles wholly inside are skipped)'),
    element('li', 'flash-key--final', 'output row final'),
  );
  const table = element('table', 'mw-table');
  const final = element('p', 'mw-readout flash-final');
  el.append(form, controls, order.fieldset, stepper, where, map, legend, tableScroller(table, 'The rows of the tile on chip'), final);

  let labels: string[] = [];
  let inputs: ReturnType<typeof headInputs> | null = null;
  let engineOutput: number[][] = [];
  let tiled: TiledAttention | null = null;

  /** The tile shown, from 1; the state's 0 means after the last. */
  const shownTile = () => {
    const count = tiled?.steps.length ?? 1;
    return ctx.state.tile === 0 ? count : Math.min(ctx.state.tile, count);
  };

  function draw(): void {
    if (!tiled || !inputs) return;
    const steps = tiled.steps;
    const t = shownTile();
    const step = steps[t - 1];
    const n = inputs.q.length;
    scrub.input.max = String(steps.length);
    scrub.input.value = String(t);
    scrub.output.value = `${t} / ${steps.length}`;
    previous.disabled = t <= 1;
    next.disabled = last.disabled = t >= steps.length;

    const rowBlocks = Math.ceil(n / ctx.state.rows);
    const colBlocks = Math.ceil(n / ctx.state.cols);
    const loaded = step.skipped
      ? `skipped: the causal mask hides all of it, so nothing is loaded`
      : ctx.state.order === 'kv-outer'
        ? `loads Q${sub(step.rowBlock)} and O${sub(step.rowBlock)}, ℓ, m of its rows; K${sub(step.colBlock)}, V${sub(step.colBlock)} stay on chip for the whole column of tiles`
        : `loads K${sub(step.colBlock)}, V${sub(step.colBlock)}; Q${sub(step.rowBlock)} and its O, ℓ, m stay on chip for the whole row of tiles`;
    where.textContent =
      `Tile ${t} of ${steps.length} (${rowBlocks} × ${colBlocks} blocks): queries ${step.rowStart}–${step.rowEnd - 1} against keys ${step.colStart}–${step.colEnd - 1}; ${loaded}.`;

    // the current output of every row, and how far it is from the finished one
    const current = rowOutputsAfter(steps, t, n);
    const distance = current.map((row, r) => (row ? maxAbsDifference([row], [tiled!.output[r]]) : Infinity));
    map.replaceChildren(tileMap(n, steps, t, distance, inputs.probs, Math.max(240, map.clientWidth)));

    const headers = ['query', 'tile max m̃', 'running max m', 'rescale e^(m_old − m)', 'running sum ℓ', 'output: distance to final'];
    const body = step.skipped
      ? []
      : step.rowMax.map((m, r) => {
          const row = step.rowStart + r;
          const seen = step.tileMax[r] !== -Infinity;
          return [
            `${row} ${labels[row] ?? ''}`,
            seen ? formatNumber(step.tileMax[r]) : '— (masked)',
            formatNumber(m),
            // e^(−∞ − m) = 0 on a row's first keys: there is no earlier sum to shrink
            !seen ? '—' : step.rescale[r] === 0 ? '— (first keys)' : formatNumber(step.rescale[r], 4),
            formatNumber(step.rowSum[r], 4),
            distance[row] < CONVERGED ? 'final' : distance[row].toExponential(2),
          ];
        });
    fillTable(table, step.skipped ? `Tile ${t} is skipped: no row of it sees any of its keys` : `Tile ${t}: the rows on chip after it`, headers, body);
    const done = distance.filter((x) => x < CONVERGED).length;
    final.textContent =
      `${done} of ${n} output rows are final after tile ${t}. ` +
      `After the last tile, the largest difference between the tiled float32 output and standard attention (the engine’s softmax · V) is ${maxAbsDifference(tiled.output, engineOutput).toExponential(2)}; ` +
      `${tiled.skippedTiles} of ${tiled.tiles} tiles were skipped by the causal mask.`;
  }

  function compute(): void {
    if (!inputs) return;
    tiled = tiledAttention(inputs.q, inputs.k, inputs.v, { rowBlock: ctx.state.rows, colBlock: ctx.state.cols, order: ctx.state.order, trace: true });
    if (ctx.state.tile > tiled.steps.length) {
      notes.push(`The link asks for tile ${ctx.state.tile}, but there are ${tiled.steps.length}; showing the last.`);
      ctx.setState({ tile: 0 });
    }
    draw();
    if (notes.length) ctx.status('note', notes.splice(0).join(' '));
    else ctx.status('ready');
  }

  let runs = 0;
  let forward: Awaited<ReturnType<typeof runtime.forward>> | null = null;
  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    try {
      const prepared = await promptIds(runtime, model, ctx.state.prompt);
      if (runId !== runs || ctx.signal.aborted) return;
      if (prepared.problem !== null) {
        ctx.status('error', prepared.problem);
        return;
      }
      const taps = [...new Set(Array.from({ length: config.num_hidden_layers }, (_, l) => flashTaps(l)).flat())];
      forward = await runtime.forward({ ids: [prepared.ids], taps });
      if (runId !== runs || ctx.signal.aborted) return;
      labels = tokenLabels(forward);
      selectHead();
    } catch (error) {
      if (runId === runs && !ctx.signal.aborted) reportFailure(ctx, error);
    }
  }

  function selectHead(): void {
    if (!forward) return;
    inputs = headInputs(forward.taps, ctx.state.layer, ctx.state.head, config.num_attention_heads, config.num_key_value_heads);
    engineOutput = probsTimesValues(inputs.probs, inputs.v);
    compute();
  }

  for (const [control, name] of [[layer, 'layer'], [head, 'head']] as const) {
    control.select.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.select.value), tile: 1 });
      selectHead();
    }, { signal: ctx.signal });
  }
  for (const [control, name] of [[rows, 'rows'], [cols, 'cols']] as const) {
    control.output.value = String(ctx.state[name]);
    control.input.addEventListener('input', () => (control.output.value = control.input.value), { signal: ctx.signal });
    control.input.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.input.value), tile: 1 });
      compute();
    }, { signal: ctx.signal });
  }
  const goTo = (tile: number) => {
    const count = tiled?.steps.length ?? 1;
    const clamped = Math.max(1, Math.min(count, tile));
    ctx.setState({ tile: clamped === count ? 0 : clamped });
    draw();
  };
  previous.addEventListener('click', () => goTo(shownTile() - 1), { signal: ctx.signal });
  next.addEventListener('click', () => goTo(shownTile() + 1), { signal: ctx.signal });
  last.addEventListener('click', () => goTo(tiled?.steps.length ?? 1), { signal: ctx.signal });
  scrub.input.addEventListener('input', () => goTo(Number(scrub.input.value)), { signal: ctx.signal });
  onWidthChange(map, ctx.signal, draw);
  await run();
}

/** Block index as a subscript: 3 → ₃. */
function sub(index: number): string {
  return String(index).replace(/\d/g, (digit) => '₀₁₂₃₄₅₆₇₈₉'[Number(digit)]);
}

/**
 * The N × N score matrix as cells: a cell the tiles have computed is filled (opacity = the
 * engine's probability), the masked triangle is hatched (tiles wholly inside it are skipped), lines
 * mark the blocks, the tile on chip is outlined; the strip on the right is each output row (filled
 * once it is final, half-filled while partial).
 */
function tileMap(n: number, steps: readonly TileStep[], shown: number, distance: readonly number[], probs: readonly (readonly number[])[], width: number): SVGSVGElement {
  const strip = 14;
  const cell = Math.max(2, Math.min(16, Math.floor((width - strip - 6) / n)));
  const size = n * cell;
  const svg = chartSvg(size + strip + 6, size + 1, `The ${n} × ${n} score matrix in tiles: ${shown} of ${steps.length} tiles done; ${distance.filter((x) => x < CONVERGED).length} of ${n} output rows final.`);
  let masked = `M${cell},0H${size}V${(n - 1) * cell}`;
  for (let r = n - 2; r >= 0; r--) masked += `H${(r + 1) * cell}V${r * cell}`;
  svg.append('path').attr('class', 'flash-masked').attr('d', `${masked}Z`);
  const done = svg.append('g');
  for (let t = 0; t < shown; t++) {
    const s = steps[t];
    if (s.skipped) continue;
    for (let r = s.rowStart; r < s.rowEnd; r++) {
      for (let c = s.colStart; c < Math.min(s.colEnd, r + 1); c++) {
        done.append('rect').attr('class', 'flash-cell').attr('x', c * cell).attr('y', r * cell).attr('width', cell).attr('height', cell).attr('fill-opacity', 0.12 + 0.88 * probs[r][c]);
      }
    }
  }
  const grid = svg.append('g').attr('class', 'flash-grid');
  const starts = (key: 'rowStart' | 'colStart') => [...new Set(steps.map((s) => s[key])), n];
  for (const y of starts('rowStart')) grid.append('line').attr('x1', 0).attr('x2', size).attr('y1', y * cell + 0.5).attr('y2', y * cell + 0.5);
  for (const x of starts('colStart')) grid.append('line').attr('y1', 0).attr('y2', size).attr('x1', x * cell + 0.5).attr('x2', x * cell + 0.5);
  const now = steps[shown - 1];
  svg
    .append('rect')
    .attr('class', now.skipped ? 'flash-tile flash-tile--skipped' : 'flash-tile')
    .attr('x', now.colStart * cell + 1)
    .attr('y', now.rowStart * cell + 1)
    .attr('width', Math.max(1, (now.colEnd - now.colStart) * cell - 1))
    .attr('height', Math.max(1, (now.rowEnd - now.rowStart) * cell - 1));
  distance.forEach((x, r) => {
    svg
      .append('rect')
      .attr('class', x < CONVERGED ? 'flash-row flash-row--final' : Number.isFinite(x) ? 'flash-row flash-row--partial' : 'flash-row')
      .attr('x', size + 6)
      .attr('y', r * cell)
      .attr('width', strip)
      .attr('height', Math.max(1, cell - 1));
  });
  return svg.node()!;
}
