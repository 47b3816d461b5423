// The pattern drawn: which keys each token of the reader's prompt may see under a sparse pattern
// (src/chapters/sparseAttention.ts), how many of the causal pairs it keeps here and at longer
// lengths, and the model's loss on the prompt with that mask against full attention (the loss op
// with a queryKeyMask).
import { attentionHeatmap } from '../src/charts/attentionHeatmap';
import { causalPairs, PATTERN_GROWTH, patternMask, patternPairs, SPARSE_PATTERNS } from '../src/chapters/sparseAttention';
import { pieceLabel } from '../src/widgets/pieces';
import { text, type StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, fillTable, formatNumber, loadModel, onWidthChange, reportFailure, reportRun, tableScroller } from './modelWidgetParts';
import { checkLinkedPattern, describeSettings, patternPicker, patternSchema, settingsOfState } from './sparseParts';
import { promptIds, storedPromptForm } from './promptTokens';

/** The longest prompt drawn cell by cell (beyond it the grid would be under 2 px a cell on a phone). */
export const MAX_DRAWN_TOKENS = 96;

export const schema = {
  prompt: text(400, 'Once upon a time, there was a girl named Mia. Mia had a red ball. She liked to play with it in the park.'),
  ...patternSchema(SPARSE_PATTERNS, { pattern: 'strided', stride: 4, window: 4 }),
};
type State = StateOf<typeof schema>;

/** The lengths the cost table shows besides the prompt's. */
export const COST_LENGTHS = [256, 4096, 65_536] as const;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const notes = checkLinkedPattern(ctx);
  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run());
  const picker = patternPicker(ctx, SPARSE_PATTERNS, () => void redraw());
  const readout = element('p', 'mw-readout');
  readout.setAttribute('aria-live', 'polite');
  const grid = element('div', 'sp-grid');
  const lastRow = element('p', 'mw-readout');
  const costTable = element('table', 'mw-table');
  el.append(form, picker.element, readout, grid, lastRow, tableScroller(costTable, 'Pairs kept as the text grows'));

  let ids: number[] = [];
  let labels: string[] = [];
  let fullLoss = 0;
  let runs = 0;

  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    try {
      const prepared = await promptIds(runtime, model, ctx.state.prompt);
      if (runId !== runs || ctx.signal.aborted) return;
      if (prepared.problem !== null) return showProblem(prepared.problem);
      if (prepared.ids.length < 2) return showProblem('The prompt needs at least one token after <s> for a loss: type a few words.');
      ids = prepared.ids;
      labels = (await runtime.pieces(ids)).pieces.map(pieceLabel);
      fullLoss = mean((await runtime.loss({ ids: [ids], training: false })).losses[0]);
      if (runId !== runs || ctx.signal.aborted) return;
      await redraw(runId);
    } catch (error) {
      if (runId === runs) {
        el.dataset.state = 'invalid';
        reportFailure(ctx, error);
      }
    }
  }

  function showProblem(message: string): void {
    ids = [];
    el.dataset.state = 'invalid';
    readout.textContent = '';
    lastRow.textContent = '';
    grid.replaceChildren();
    costTable.replaceChildren();
    ctx.status('error', message);
  }

  /** The mask, its counts and the loss with it, for the prompt already read. */
  async function redraw(runId = ++runs): Promise<void> {
    if (ids.length === 0) return;
    picker.sync();
    const settings = settingsOfState(ctx.state);
    const n = ids.length;
    const mask = patternMask(n, settings);
    try {
      ctx.status('loading', 'Running the model with this pattern…');
      const loss = settings.pattern === 'full' ? fullLoss : mean((await runtime.loss({ ids: [ids], training: false, queryKeyMask: mask })).losses[0]);
      if (runId !== runs || ctx.signal.aborted) return;
      const kept = patternPairs(n, settings);
      el.dataset.state = 'done';
      el.dataset.pairs = String(kept);
      el.dataset.loss = String(loss);
      el.dataset.fullLoss = String(fullLoss);
      readout.textContent =
        `${describeSettings(settings)}: ${n} tokens, ${kept.toLocaleString('en-US')} of the ${causalPairs(n).toLocaleString('en-US')} causal (query, key) pairs ` +
        `(density ${formatNumber((100 * kept) / causalPairs(n), 1)}%). Loss on this prompt: ${formatNumber(loss, 3)} nats per token, against ${formatNumber(fullLoss, 3)} with full attention.`;
      const seen = mask[n - 1].flatMap((visible, key) => (visible ? [`${key} ${labels[key]}`] : []));
      lastRow.textContent = `The last token (${n - 1} ${labels[n - 1]}) sees ${seen.length} of ${n} keys: ${seen.join(', ')}.`;
      drawGrid(mask);
      fillTable(
        costTable,
        `Pairs computed per layer and head as the text grows (${PATTERN_GROWTH[settings.pattern]})`,
        ['tokens N', 'full attention', 'this pattern', 'share kept'],
        [n, ...COST_LENGTHS].map((length) => {
          const pairs = patternPairs(length, settings);
          return [length.toLocaleString('en-US'), causalPairs(length).toLocaleString('en-US'), pairs.toLocaleString('en-US'), `${formatNumber((100 * pairs) / causalPairs(length), 2)}%`];
        }),
        { rowHeaders: true },
      );
      reportRun(ctx, notes);
    } catch (error) {
      if (runId === runs) {
        el.dataset.state = 'invalid';
        reportFailure(ctx, error);
      }
    }
  }

  function drawGrid(mask: number[][]): void {
    if (ids.length > MAX_DRAWN_TOKENS) {
      grid.replaceChildren(element('p', 'mw-readout', `The mask is drawn for prompts of up to ${MAX_DRAWN_TOKENS} tokens; this one has ${ids.length}. The counts below are for the whole prompt.`));
      return;
    }
    const svg = attentionHeatmap({ tokens: labels, probs: mask }, { width: Math.max(200, grid.clientWidth || el.clientWidth), maxCell: 18, labels: ids.length <= 48 });
    svg.setAttribute('aria-label', `The ${describeSettings(settingsOfState(ctx.state))} mask on ${ids.length} tokens: rows are queries, columns keys; a filled cell is a key the query sees.`);
    grid.replaceChildren(svg);
  }

  onWidthChange(el, ctx.signal, () => {
    if (ids.length > 0 && el.dataset.state === 'done') drawGrid(patternMask(ids.length, settingsOfState(ctx.state)));
  });
  await run();
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
