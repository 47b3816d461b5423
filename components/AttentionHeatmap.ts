// Attention map: the reader types a prompt, picks a layer and a head, and sees the attention
// probabilities of every token over the tokens before it, straight from the model's
// layers.N.attn.probs taps; an all-heads overview finds the heads that do something.
import attentionHeatmapCss from './AttentionHeatmap.css?url';
import { attentionHeatmap } from '../src/charts/attentionHeatmap';
import { argmax, NAME_HEAD_PROMPT, previousTokenScore, tapHead } from '../src/chapters/attention';
import { promptProblem } from '../src/widgets/prompt';
import { layerTap } from '../src/llama/taps';
import { integer, text } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import type { StateOf } from '../src/widgets/state';
import { checkLinkedLayerHead, element, formatNumber, hiddenTable, loadModel, numberSelect, onWidthChange, promptForm, reportFailure, reportRun, tokenLabels } from './modelWidgetParts';
import { promptTokenCount } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(attentionHeatmapCss);

export const schema = {
  prompt: text(400, NAME_HEAD_PROMPT),
  layer: integer(0, 31, 0),
  head: integer(0, 31, 0),
  /** The query row shown in the readout; -1 is the last token. */
  row: integer(-1, 511, -1),
};
type State = StateOf<typeof schema>;

/** Longest prompt, in characters, sent to the model before its tokens are counted. */
const MAX_CHARACTERS = 2000;
/** The map's largest side in px (labels included): a long prompt gets smaller cells, not a taller figure. */
const MAX_MAP_SIDE = 440;
/** Room the chart keeps for token labels (src/charts/attentionHeatmap.ts). */
const LABEL_ROOM = 70;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const { num_hidden_layers: layers, num_attention_heads: heads, max_position_embeddings: context } = model.config;
  const notes = checkLinkedLayerHead(ctx, layers, heads);

  const { form, input } = promptForm(ctx, { maxLength: schema.prompt.maxLength }, (prompt) => {
    ctx.setState({ prompt, row: -1 });
    void run();
  });
  const layerSelect = numberSelect('Layer', layers, ctx.state.layer);
  const headSelect = numberSelect('Head', heads, ctx.state.head);
  const controls = element('div', 'mw-controls');
  controls.append(layerSelect.label, headSelect.label);
  const mapBox = element('div', 'mw-chart mw-heatmap ah-map');
  mapBox.tabIndex = 0;
  mapBox.setAttribute('role', 'group');
  mapBox.setAttribute('aria-label', 'Attention map: up and down arrows choose the query token, left and right the head');
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const overviewTitle = element('p', 'mw-readout');
  const overview = element('div', 'mw-multiples ah-overview');
  const tableBox = element('div');
  // The map, the sentences and the grid of all heads side by side where the width allows
  // (AttentionHeatmap.css), so the figure stays short enough for a slide.
  const text = element('div', 'ah-text');
  text.append(readout, overviewTitle);
  const body = element('div', 'ah-body');
  body.append(mapBox, text, overview);
  el.classList.add('ah');
  el.append(form, controls, body, tableBox);

  let tokens: string[] = [];
  /** probs[layer][head][query][key] */
  let probs: number[][][][] = [];
  let runNumber = 0;

  const currentRow = () => (ctx.state.row < 0 || ctx.state.row >= tokens.length ? tokens.length - 1 : ctx.state.row);

  function drawMap(): void {
    if (tokens.length === 0) return;
    const head = probs[ctx.state.layer][ctx.state.head];
    const row = currentRow();
    const maxCell = Math.min(28, (MAX_MAP_SIDE - LABEL_ROOM) / tokens.length);
    mapBox.replaceChildren(attentionHeatmap({ tokens, probs: head, selectedRow: row }, { width: Math.max(200, body.clientWidth > 0 ? mapWidth() : el.clientWidth), maxCell }));
    const weights = head[row];
    const best = argmax(weights.slice(0, row + 1));
    const top = weights
      .map((p, key) => ({ p, key }))
      .slice(0, row + 1)
      .sort((a, b) => b.p - a.p)
      .slice(0, 4)
      .map(({ p, key }) => `“${tokens[key]}” (${key}) ${formatNumber(p * 100, 1)}%`);
    readout.textContent = `Layer ${ctx.state.layer}, head ${ctx.state.head}. Query “${tokens[row]}” (position ${row}) attends most to “${tokens[best]}” (position ${best}). Largest weights: ${top.join(', ')}.`;
    tableBox.replaceChildren(
      hiddenTable(
        `Attention of “${tokens[row]}” (position ${row}) in layer ${ctx.state.layer}, head ${ctx.state.head}`,
        ['key position', 'key token', 'probability'],
        weights.slice(0, row + 1).map((p, key) => [key, tokens[key], formatNumber(p, 4)]),
      ),
    );
  }

  /** The width of the map's grid column (the map box itself shrinks to the chart it holds). */
  function mapWidth(): number {
    const columns = getComputedStyle(body).gridTemplateColumns.split(' ').map(parseFloat);
    return Math.floor(columns[0] || body.clientWidth);
  }

  function drawOverview(): void {
    overview.replaceChildren();
    overview.style.setProperty('--ah-heads', String(heads));
    // Column and row headings of the grid (layers down, heads across); each button names itself.
    overview.append(element('span', 'ah-corner'));
    for (let head = 0; head < heads; head++) overview.append(Object.assign(element('span', 'ah-heading'), { textContent: `head ${head}`, ariaHidden: 'true' }));
    let strongest = { layer: 0, head: 0, score: -1 };
    for (let layer = 0; layer < layers; layer++) {
      overview.append(Object.assign(element('span', 'ah-heading ah-heading--layer'), { textContent: `layer ${layer}`, ariaHidden: 'true' }));
      for (let head = 0; head < heads; head++) {
        const score = previousTokenScore(probs[layer][head]);
        if (score > strongest.score) strongest = { layer, head, score };
        const button = element('button', 'mw-multiple');
        button.type = 'button';
        button.setAttribute('aria-pressed', String(layer === ctx.state.layer && head === ctx.state.head));
        button.title = `Layer ${layer}, head ${head}: on average ${formatNumber(score * 100, 0)}% of a token's attention goes to the token before it`;
        button.dataset.layer = String(layer);
        button.dataset.head = String(head);
        const svg = attentionHeatmap({ tokens, probs: probs[layer][head] }, { width: 80, labels: false, maxCell: 8 });
        svg.setAttribute('aria-hidden', 'true');
        // The full name stays in the button's text (its accessible name); the grid's headings show it.
        const name = Object.assign(element('span', 'visually-hidden'), { textContent: `Layer ${layer} · head ${head}` });
        const share = Object.assign(element('span', 'ah-share'), { textContent: `prev ${formatNumber(score * 100, 0)}%` });
        button.append(svg, name, share);
        button.addEventListener('click', () => select(layer, head), { signal: ctx.signal });
        overview.append(button);
      }
    }
    overviewTitle.textContent =
      `All ${layers * heads} heads (layer L, head H; “prev” is the average attention a token pays to the one just before it). ` +
      `Strongest previous-token head on this prompt: layer ${strongest.layer}, head ${strongest.head}, ${formatNumber(strongest.score * 100, 0)}%.`;
    overviewTitle.dataset.strongest = `${strongest.layer},${strongest.head}`;
  }

  function select(layer: number, head: number): void {
    ctx.setState({ layer, head });
    layerSelect.select.value = String(layer);
    headSelect.select.value = String(head);
    for (const button of overview.querySelectorAll<HTMLButtonElement>('button')) {
      button.setAttribute('aria-pressed', String(button.dataset.layer === String(layer) && button.dataset.head === String(head)));
    }
    drawMap();
  }

  async function run(): Promise<void> {
    const prompt = ctx.state.prompt;
    const thisRun = ++runNumber;
    const early = prompt.length > MAX_CHARACTERS ? promptProblem(prompt, prompt.length, context) : promptProblem(prompt, await promptTokenCount(runtime, prompt), context);
    if (early) return showProblem(early);
    ctx.status('loading', 'Running the model…');
    try {
      const result = await runtime.forward({ text: prompt, taps: Array.from({ length: layers }, (_, layer) => layerTap(layer, 'attn.probs')) });
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      const problem = promptProblem(prompt, result.inputIds[0].length, context);
      if (problem) return showProblem(problem);
      tokens = tokenLabels(result);
      probs = Array.from({ length: layers }, (_, layer) => {
        const tap = result.taps[layerTap(layer, 'attn.probs')];
        return Array.from({ length: heads }, (_, head) => tapHead(tap, head));
      });
      el.dataset.tokens = String(tokens.length);
      drawMap();
      drawOverview();
      reportRun(ctx, notes);
    } catch (error) {
      reportFailure(ctx, error);
    }
  }

  function showProblem(message: string): void {
    tokens = [];
    mapBox.replaceChildren();
    overview.replaceChildren();
    readout.textContent = '';
    overviewTitle.textContent = '';
    tableBox.replaceChildren();
    ctx.status('note', message);
  }

  layerSelect.select.addEventListener('change', () => select(Number(layerSelect.select.value), ctx.state.head), { signal: ctx.signal });
  headSelect.select.addEventListener('change', () => select(ctx.state.layer, Number(headSelect.select.value)), { signal: ctx.signal });
  mapBox.addEventListener(
    'pointermove',
    (event) => {
      const row = (event.target as Element).getAttribute?.('data-row');
      if (row !== null && row !== undefined && Number(row) !== currentRow()) {
        ctx.setState({ row: Number(row) });
        drawMap();
      }
    },
    { signal: ctx.signal },
  );
  mapBox.addEventListener(
    'keydown',
    (event) => {
      if (tokens.length === 0) return;
      const moves: Record<string, () => void> = {
        ArrowUp: () => ctx.setState({ row: Math.max(0, currentRow() - 1) }),
        ArrowDown: () => ctx.setState({ row: Math.min(tokens.length - 1, currentRow() + 1) }),
        ArrowLeft: () => select(ctx.state.layer, (ctx.state.head + heads - 1) % heads),
        ArrowRight: () => select(ctx.state.layer, (ctx.state.head + 1) % heads),
      };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      move();
      drawMap();
    },
    { signal: ctx.signal },
  );
  onWidthChange(el, ctx.signal, drawMap);
  input.setAttribute('maxlength', String(schema.prompt.maxLength));
  await run();
}
