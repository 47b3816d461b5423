// Mask it: the reader switches the causal mask off, or flips cells of it, and sees what the
// model predicts at every position with that mask against what it predicts with the causal one.
// The mask goes to the engine as queryKeyMask (src/llama/attention.ts); the comparison is
// src/chapters/attentionMask.ts.
import attentionMaskCss from './AttentionMask.css?url';
import { promptProblem } from '../src/widgets/prompt';
import { pieceLabel } from '../src/widgets/pieces';
import {
  MASK_MODES, MASK_PROMPT, MAX_EDIT_TOKENS, comparePredictions, formatFlips, futureCells, maskFor, meanLosses, parseFlips, toggleFlip,
  type Flip, type MaskMode, type PositionComparison,
} from '../src/chapters/attentionMask';
import { choice, integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, promptForm, radioGroup, reportRun, scrollNote, tableScroller, tokenLabels } from './modelWidgetParts';
import { promptTokenCount } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(attentionMaskCss);

export const schema = {
  prompt: text(200, MASK_PROMPT),
  mode: choice(MASK_MODES, 'none'),
  /** The edited mask's flipped cells, "query-key" pairs: "5-6,3-1". */
  flips: text(400, ''),
  /** The position whose prediction the readout spells out; -1 is the second-to-last token. */
  position: integer(-1, 255, -1),
};
type State = StateOf<typeof schema>;

const MODE_LABELS: Record<MaskMode, string> = {
  causal: 'Causal (as trained)',
  none: 'No mask',
  edited: 'Edit the mask',
};

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const { max_position_embeddings: context, vocab_size: vocab } = model.config;

  const { form } = promptForm(ctx, { maxLength: schema.prompt.maxLength }, (prompt) => {
    ctx.setState({ prompt, flips: '', position: -1 });
    void run();
  });
  const { fieldset: modes } = radioGroup('Attention mask', `${ctx.id}-mode`, MASK_MODES.map((mode) => [mode, MODE_LABELS[mode]] as const), ctx.state.mode, {
    signal: ctx.signal,
    className: 'am-modes',
    onChange: (mode) => {
      ctx.setState({ mode });
      void rerunMasked();
    },
  });
  const gridHelp = element('p', 'am-help');
  const gridBox = element('div', 'am-grid-box');
  const summary = element('p', 'mw-readout am-summary');
  summary.setAttribute('aria-live', 'polite');
  const detail = element('p', 'mw-readout am-detail');
  const tableBox = element('div', 'am-table-box');
  // The grid, its sentences and the table side by side where the width allows (AttentionMask.css).
  const text = element('div', 'am-text');
  text.append(summary, detail);
  const body = element('div', 'am-body');
  body.append(gridBox, text, tableBox);
  el.classList.add('am');
  el.append(form, modes, gridHelp, body);

  let ids: number[] = [];
  let tokens: string[] = [];
  let causalLogits: Float32Array | null = null;
  let comparison: PositionComparison[] = [];
  let flips: Flip[] = [];
  let runNumber = 0;
  /** The grid cell that has the keyboard (roving tabindex). */
  let focusCell: Flip = [0, 0];
  const labelCache = new Map<number, string>();

  async function labels(wanted: number[]): Promise<void> {
    const missing = [...new Set(wanted)].filter((id) => !labelCache.has(id));
    if (missing.length === 0) return;
    const { pieces } = await runtime.pieces(missing);
    missing.forEach((id, i) => labelCache.set(id, pieceLabel(pieces[i])));
  }

  async function run(): Promise<void> {
    const thisRun = ++runNumber;
    const prompt = ctx.state.prompt;
    const early = promptProblem(prompt, await promptTokenCount(runtime, prompt), context);
    if (early) return showProblem(early);
    ctx.status('loading', 'Running the model…');
    try {
      const causal = await runtime.forward({ text: prompt });
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      const problem = promptProblem(prompt, causal.inputIds[0].length, context);
      if (problem) return showProblem(problem);
      if (causal.inputIds[0].length < 3) return showProblem('The prompt needs at least two tokens after <s> for a prediction to compare: type a few words.');
      ids = causal.inputIds[0];
      tokens = tokenLabels(causal);
      causalLogits = causal.logits.data;
      await rerunMasked(thisRun);
    } catch (error) {
      if (thisRun === runNumber) ctx.status('error', `The model could not run: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Runs the model again with the current mask (the causal logits stay). */
  async function rerunMasked(thisRun = ++runNumber): Promise<void> {
    if (!causalLogits) return;
    const notes: string[] = [];
    let mode = ctx.state.mode;
    if (mode === 'edited' && ids.length > MAX_EDIT_TOKENS) {
      notes.push(`Editing cell by cell works on prompts of up to ${MAX_EDIT_TOKENS} tokens; this one has ${ids.length}. Showing no mask instead.`);
      mode = 'none';
    }
    const parsed = parseFlips(ctx.state.flips, ids.length);
    flips = parsed.flips;
    notes.push(...parsed.problems);
    if (parsed.problems.length) ctx.setState({ flips: formatFlips(flips) });
    const mask = maskFor(mode, ids.length, flips);
    try {
      ctx.status('loading', 'Running the model with this mask…');
      const masked = mode === 'causal' ? null : await runtime.forward({ ids: [ids], queryKeyMask: mask });
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      comparison = comparePredictions(causalLogits, masked ? masked.logits.data : causalLogits, ids, vocab, mask);
      await labels([...ids, ...comparison.flatMap((row) => [row.causalTop, row.maskedTop])]);
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      drawGrid(mode, mask);
      draw(mode, mask);
      reportRun(ctx, notes);
    } catch (error) {
      if (thisRun === runNumber) ctx.status('error', `The model could not run with this mask: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function showProblem(message: string): void {
    causalLogits = null;
    comparison = [];
    gridBox.replaceChildren();
    gridHelp.textContent = '';
    summary.textContent = '';
    detail.textContent = '';
    tableBox.replaceChildren();
    ctx.status('note', message);
  }

  function drawGrid(mode: MaskMode, mask: number[][]): void {
    const n = ids.length;
    if (n > MAX_EDIT_TOKENS) {
      gridBox.replaceChildren();
      gridHelp.textContent = `The mask is a ${n} × ${n} grid; it is drawn for prompts of up to ${MAX_EDIT_TOKENS} tokens.`;
      return;
    }
    const editable = mode === 'edited';
    gridHelp.textContent = editable
      ? 'Row = the token that looks (query), column = the token looked at (key). Click a cell, or move with the arrow keys and press Space or Enter, to show or hide that key from that query. Pick a position in the table to spell out its prediction.'
      : 'Row = the token that looks (query), column = the token looked at (key); a filled cell is visible. Choose “Edit the mask” to flip cells. Pick a position in the table to spell out its prediction.';
    const table = element('table', 'am-grid');
    // Editable: an ARIA grid of toggle buttons with one tab stop (arrow keys move between cells).
    if (editable) table.setAttribute('role', 'grid');
    table.setAttribute('aria-label', `Attention mask, ${n} by ${n}: which tokens each token may look at`);
    const headRow = table.createTHead().insertRow();
    headRow.append(element('td'));
    tokens.forEach((token, k) => {
      const th = element('th', 'am-col', token);
      th.scope = 'col';
      th.title = `key ${k}: ${token}`;
      headRow.append(th);
    });
    const body = table.createTBody();
    focusCell = [Math.min(focusCell[0], n - 1), Math.min(focusCell[1], n - 1)];
    mask.forEach((row, q) => {
      const tr = body.insertRow();
      const th = element('th', 'am-row', `${q} ${tokens[q]}`);
      th.scope = 'row';
      tr.append(th);
      row.forEach((visible, k) => {
        const td = tr.insertCell();
        const future = k > q;
        const cell = editable ? element('button') : element('span');
        cell.className = `am-cell${visible ? ' am-cell--on' : ''}${future ? ' am-cell--future' : ''}`;
        cell.dataset.query = String(q);
        cell.dataset.key = String(k);
        const words = `${tokens[q]} (${q}) ${visible ? 'sees' : 'does not see'} ${tokens[k]} (${k})${future && visible ? ', a later token' : ''}`;
        if (cell instanceof HTMLButtonElement) {
          cell.type = 'button';
          cell.setAttribute('aria-pressed', String(visible === 1));
          cell.setAttribute('aria-label', `${tokens[q]} (${q}) sees ${tokens[k]} (${k})`);
          cell.tabIndex = q === focusCell[0] && k === focusCell[1] ? 0 : -1;
        } else {
          cell.setAttribute('role', 'img');
          cell.setAttribute('aria-label', words);
        }
        td.append(cell);
      });
    });
    if (editable) {
      table.addEventListener('click', (event) => {
        const cell = (event.target as HTMLElement).closest<HTMLElement>('button.am-cell');
        if (cell) flip(Number(cell.dataset.query), Number(cell.dataset.key));
      });
      table.addEventListener('keydown', (event) => {
        const moves: Record<string, Flip> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
        const [q, k] = focusCell;
        if (moves[event.key]) {
          event.preventDefault();
          const next: Flip = [Math.max(0, Math.min(n - 1, q + moves[event.key][0])), Math.max(0, Math.min(n - 1, k + moves[event.key][1]))];
          moveFocus(table, next);
        }
      });
    }
    const region = tableScroller(table, 'Attention mask grid');
    gridBox.replaceChildren(scrollNote(region, 'The grid is wider than this screen: scroll it sideways to see every column.', ctx.signal), region);
  }

  function moveFocus(table: HTMLTableElement, cell: Flip): void {
    focusCell = cell;
    for (const td of table.querySelectorAll<HTMLElement>('button.am-cell')) {
      const here = Number(td.dataset.query) === cell[0] && Number(td.dataset.key) === cell[1];
      td.tabIndex = here ? 0 : -1;
      if (here) td.focus();
    }
  }

  function flip(query: number, key: number): void {
    const next = toggleFlip(flips, query, key);
    const checked = parseFlips(formatFlips(next), ids.length);
    if (checked.problems.length) {
      ctx.status('note', checked.problems.join(' '));
      return;
    }
    focusCell = [query, key];
    ctx.setState({ flips: formatFlips(next) });
    void rerunMasked().then(() => {
      gridBox.querySelector<HTMLElement>(`button[data-query="${query}"][data-key="${key}"]`)?.focus();
    });
  }

  function draw(mode: MaskMode, mask: number[][]): void {
    const label = (id: number) => labelCache.get(id) ?? String(id);
    const losses = meanLosses(comparison);
    const changed = comparison.filter((row) => row.causalTop !== row.maskedTop).length;
    const peeking = comparison.filter((row) => row.seesTarget).length;
    const future = futureCells(mask).length;
    summary.dataset.causalLoss = String(losses.causal);
    summary.dataset.maskedLoss = String(losses.masked);
    summary.dataset.changed = String(changed);
    if (mode === 'causal') {
      summary.textContent = `With the causal mask, the model's mean next-token loss on your prompt is ${formatNumber(losses.causal, 3)} nats. Switch the mask off or edit it to compare.`;
    } else {
      summary.textContent =
        `Mean next-token loss: ${formatNumber(losses.causal, 3)} nats with the causal mask, ${formatNumber(losses.masked, 3)} nats with ${mode === 'none' ? 'no mask' : 'your mask'}. ` +
        `The top prediction changed at ${changed} of ${comparison.length} positions. ` +
        (future > 0
          ? `${future} cell${future === 1 ? '' : 's'} let a token see a later one; at ${peeking} position${peeking === 1 ? '' : 's'} the token it must predict is in plain view. ` +
            'This model was trained with the mask, so no head learned to read the answer off the next position: compare the two p(next) columns to see where the later tokens help it and where they confuse it.'
          : flips.length === 0
            ? 'Your mask is still the causal one: flip cells in the grid to change it.'
            : 'No token sees a later one, so this is still a causal model, with some past hidden.');
    }
    const index = ctx.state.position < 0 || ctx.state.position >= comparison.length ? comparison.length - 1 : ctx.state.position;
    const row = comparison[index];
    detail.textContent =
      `After “${tokens[row.position]}” (position ${row.position}) the text goes on with “${label(row.target)}”. ` +
      `Causal: top guess “${label(row.causalTop)}”, p(“${label(row.target)}”) = ${formatNumber(row.causalProbability, 3)}. ` +
      `${mode === 'none' ? 'No mask' : mode === 'edited' ? 'Your mask' : 'Causal again'}: top guess “${label(row.maskedTop)}”, p = ${formatNumber(row.maskedProbability, 3)}.`;

    const table = fillTable(
      element('table', 'mw-table am-table'),
      'Each position’s next token and the top guesses',
      ['position', 'next', 'causal: top', 'p(next)', `${mode === 'none' ? 'no mask' : 'your mask'}: top`, 'p(next)', 'sees next?'],
      comparison.map((r) => [
        `${r.position} ${tokens[r.position]}`, label(r.target), label(r.causalTop), formatNumber(r.causalProbability, 3),
        label(r.maskedTop), formatNumber(r.maskedProbability, 3), r.seesTarget ? 'yes' : 'no',
      ]),
    );
    // Each row's first cell becomes the button that spells that position out above.
    table.tBodies[0].querySelectorAll('tr').forEach((tr, i) => {
      const r = comparison[i];
      if (r.causalTop !== r.maskedTop) tr.classList.add('am-row--changed');
      if (r.position === index) tr.classList.add('mw-row--best');
      const cell = tr.cells[0];
      const button = element('button', 'am-pick', cell.textContent ?? '');
      button.type = 'button';
      button.setAttribute('aria-pressed', String(r.position === index));
      button.addEventListener('click', () => {
        ctx.setState({ position: r.position });
        draw(mode, mask);
      });
      cell.replaceChildren(button);
    });
    const region = tableScroller(table, 'Predictions table');
    tableBox.replaceChildren(scrollNote(region, 'The table is wider than this screen: scroll it sideways to see every column.', ctx.signal), region);
  }

  await run();
}
