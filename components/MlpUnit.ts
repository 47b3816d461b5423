// What one hidden unit of the live model's SwiGLU MLP responds to: its gated product
// silu(g_u) · up_u (the coefficient W_down's column u is added with) at every position of the
// sixteen validation stories, the contexts where it is largest or most negative, and its values on
// the reader's own prompt. Choosing another unit needs no new model run.
import activationWidgetsCss from './activationWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import { gatedProduct, topTokenShare, unitTopContexts, type UnitContext } from '../src/chapters/activations';
import { displayPiece } from '../src/chapters/decoding';
import { SPACE_MARK } from '../src/widgets/pieces';
import { layerTap } from '../src/llama/taps';
import { choice, integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, numberSelect, reportFailure, slider, tableScroller } from './modelWidgetParts';
import { pageTokenizer, promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(activationWidgetsCss);
loadStylesheet(modelWidgetPartsCss);

/** Written by scripts/make-validation-sample.ts: stories from the validation split. */
const SAMPLE_URL = `${import.meta.env.BASE_URL}data/validation-sample.json`;

/** Contexts listed. */
export const TOP_CONTEXTS = 12;
/** Tokens of context shown before and after the position. */
const CONTEXT_BEFORE = 6;
const CONTEXT_AFTER = 2;

export const schema = {
  prompt: text(600, 'One day, Max and Ruby went to the park with their friend Pedro.'),
  layer: integer(0, 63, 2),
  unit: integer(0, 16383, 291),
  /** Largest values or most negative. */
  sort: choice(['largest', 'negative'], 'largest'),
};

type State = StateOf<typeof schema>;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const tokenizer = await pageTokenizer(runtime);
  const layers = model.config.num_hidden_layers;
  const width = model.config.intermediate_size;
  const notes: string[] = [];
  if (ctx.state.layer >= layers) notes.push(`The link asks for layer ${ctx.state.layer}, but the model has layers 0 to ${layers - 1}; showing layer ${layers - 1}.`);
  if (ctx.state.unit >= width) notes.push(`The link asks for unit ${ctx.state.unit}, but each MLP has units 0 to ${width - 1}; showing unit ${width - 1}.`);
  const layerIndex = () => Math.min(ctx.state.layer, layers - 1);
  const unitIndex = () => Math.min(ctx.state.unit, width - 1);

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void runPrompt());
  const controls = element('div', 'mw-controls');
  const layer = numberSelect('Layer', layers, layerIndex());
  const unit = slider('Unit', { min: 0, max: width - 1, step: 1, value: unitIndex() });
  const sortLabel = element('label', 'mw-select');
  const sort = element('select');
  sort.append(new Option('largest values', 'largest'), new Option('most negative values', 'negative'));
  sort.value = ctx.state.sort;
  sortLabel.append('Show', sort);
  controls.append(layer.label, unit.label, sortLabel);
  const summary = element('p', 'mw-readout');
  summary.setAttribute('aria-live', 'polite');
  const table = element('table', 'mw-table aw-unit-table');
  const mine = element('p', 'aw-unit-prompt');
  const mineTitle = element('h3', undefined, 'On your prompt');
  el.append(form, controls, summary, tableScroller(table, `The unit's top contexts in the validation stories`), mineTitle, mine);

  let stories: number[][] | null = null;
  /** Per story, the layer's gated products [seq * width]; by layer. */
  const products = new Map<number, Float32Array[]>();
  let promptValues: { ids: number[]; values: Float32Array } | null = null;
  const pieces = new Map<number, string>();
  const label = (id: number) => pieces.get(id) ?? String(id);

  async function labelIds(ids: number[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !pieces.has(id));
    if (missing.length === 0) return;
    const found = (await runtime.pieces(missing)).pieces;
    missing.forEach((id, i) => pieces.set(id, displayPiece(found[i])));
  }

  /** The layer's gated products for a batch of one row: [seq * width]. */
  async function productsOf(ids: number[], index: number): Promise<Float32Array> {
    const taps = [layerTap(index, 'mlp.act'), layerTap(index, 'mlp.up')];
    const result = await runtime.forward({ ids: [ids], taps });
    return gatedProduct(result.taps[taps[0]].data, result.taps[taps[1]].data);
  }

  function contextText(row: number, position: number): [string, string, string] {
    const ids = stories![row];
    // the context reads as text; only the token itself keeps its piece label (␣ for its space)
    const text = (part: number[]) => part.map(label).join('').replaceAll(SPACE_MARK, ' ');
    const before = text(ids.slice(Math.max(0, position - CONTEXT_BEFORE), position));
    const after = text(ids.slice(position + 1, position + 1 + CONTEXT_AFTER));
    return [before, label(ids[position]), after];
  }

  function draw(): void {
    const rows = products.get(layerIndex());
    if (!rows || !stories) return;
    const u = unitIndex();
    unit.output.value = String(u);
    const sign = ctx.state.sort === 'negative' ? -1 : 1;
    const top: UnitContext[] = unitTopContexts(rows, width, u, TOP_CONTEXTS, sign);
    const tokens = top.map((c) => label(stories![c.row][c.position]));
    const { token, share } = topTokenShare(tokens);
    const distinct = new Set(tokens).size;
    summary.textContent =
      `Layer ${layerIndex()}, unit ${u}: its ${TOP_CONTEXTS} ${sign === 1 ? 'largest' : 'most negative'} values over the ${stories.length} validation stories ` +
      `fall on ${distinct === 1 ? `one token, "${token}"` : `${distinct} different tokens (the most common, "${token}", ${Math.round(share * TOP_CONTEXTS)} times)`}.`;
    fillTable(
      table,
      `Layer ${layerIndex()}, unit ${u}: silu(gate) · up, ${sign === 1 ? 'largest' : 'most negative'} first`,
      ['story', 'context (the token in brackets)', 'value'],
      top.map((c) => {
        const [before, at, after] = contextText(c.row, c.position);
        return [c.row + 1, `${before}[${at}]${after}`, formatNumber(c.value, 3)];
      }),
    );
    drawPrompt();
  }

  function drawPrompt(): void {
    if (!promptValues) return;
    const u = unitIndex();
    const values = promptValues.ids.map((_, p) => promptValues!.values[p * width + u]);
    const scale = Math.max(...values.map(Math.abs), 1e-6);
    mine.replaceChildren(
      ...promptValues.ids.map((id, p) => {
        const chip = element('span', `aw-unit-chip ${values[p] >= 0 ? 'aw-unit-chip--pos' : 'aw-unit-chip--neg'}`, label(id));
        // five steps of intensity, as classes (the CSP allows no inline styles)
        chip.classList.add(`aw-unit-chip--${Math.min(4, Math.floor((Math.abs(values[p]) / scale) * 5))}`);
        chip.title = formatNumber(values[p], 3);
        chip.setAttribute('aria-label', `${label(id)}: ${formatNumber(values[p], 3)}`);
        return chip;
      }),
    );
  }

  let runs = 0;
  async function runStories(): Promise<void> {
    const runId = ++runs;
    const index = layerIndex();
    try {
      if (!stories) {
        ctx.status('loading', 'Loading the validation stories…');
        const response = await fetch(SAMPLE_URL);
        if (!response.ok) throw new Error(`Could not load ${SAMPLE_URL}: HTTP ${response.status}`);
        const { texts } = (await response.json()) as { texts: string[] };
        stories = texts.map((t) => tokenizer.encode(t, { bos: true }).slice(0, model.config.max_position_embeddings));
        await labelIds(stories.flat());
      }
      if (!products.has(index)) {
        const rows: Float32Array[] = [];
        for (const [i, ids] of stories.entries()) {
          ctx.status('loading', `Running the model on story ${i + 1} of ${stories.length}…`);
          rows.push(await productsOf(ids, index));
          if (runId !== runs || ctx.signal.aborted) return;
        }
        products.set(index, rows);
      }
      draw();
      await runPrompt(runId);
    } catch (error) {
      if (runId === runs && !ctx.signal.aborted) reportFailure(ctx, error);
    }
  }

  async function runPrompt(runId = ++runs): Promise<void> {
    const prepared = await promptIds(runtime, model, ctx.state.prompt);
    if (prepared.problem !== null) {
      promptValues = null;
      mine.replaceChildren();
      ctx.status('error', prepared.problem);
      return;
    }
    try {
      ctx.status('loading', 'Running the model on your prompt…');
      const values = await productsOf(prepared.ids, layerIndex());
      await labelIds(prepared.ids);
      if (runId !== runs || ctx.signal.aborted) return;
      promptValues = { ids: prepared.ids, values };
      drawPrompt();
      ctx.status(notes.length ? 'note' : 'ready', notes.join(' '));
    } catch (error) {
      if (runId === runs && !ctx.signal.aborted) reportFailure(ctx, error);
    }
  }

  layer.select.addEventListener('change', () => {
    notes.length = 0;
    ctx.setState({ layer: Number(layer.select.value) });
    void runStories();
  }, { signal: ctx.signal });
  // another unit or order: no model run, a redraw
  unit.input.addEventListener('input', () => {
    notes.length = 0;
    ctx.setState({ unit: Number(unit.input.value) });
    draw();
  }, { signal: ctx.signal });
  sort.addEventListener('change', () => {
    ctx.setState({ sort: sort.value as State['sort'] });
    draw();
  }, { signal: ctx.signal });
  await runStories();
}
