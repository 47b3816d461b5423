// The batch builder: 2 to 4 prompts padded into one batch, left or right, with or without the
// attention mask and mask-derived position ids. Shows the padded ids, the mask, the positions, the
// column generate() reads, and each row's greedy continuation next to the same prompt run alone.
import paddingBatchCss from './PaddingBatch.css?url';
import {
  BATCH_NEW_TOKENS,
  DEFAULT_PROMPTS,
  MAX_PROMPTS,
  MAX_PROMPT_CHARACTERS,
  PADDING_SIDES,
  describeBadPrompts,
  firstDifference,
  huggingFaceWarnsRightPadding,
  logitsSources,
  shownColumns,
  splitPrompts,
  type ShownColumn,
} from '../src/chapters/padding';
import type { BatchGenerationResult, RuntimeClient } from '../src/runtime/client';
import { choice, flag, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { pieceLabel } from '../src/widgets/pieces';
import { debounced, element, loadModel, onWidthChange, radioGroup } from './modelWidgetParts';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(paddingBatchCss);

export const schema = {
  /** One prompt per line. */
  prompts: text(MAX_PROMPTS * (MAX_PROMPT_CHARACTERS + 1) + 1, DEFAULT_PROMPTS.join('\n')),
  side: choice(PADDING_SIDES, 'left'),
  mask: flag(true),
  positions: flag(true),
};

type State = StateOf<typeof schema>;

interface Alone {
  newIds: number[];
  text: string;
}

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  // ---- controls
  const form = element('div', 'widget-controls pb-controls');
  const promptsLabel = element('label', 'pb-prompts');
  const promptsBox = element('textarea');
  promptsBox.rows = 4;
  promptsBox.spellcheck = false;
  promptsBox.maxLength = schema.prompts.maxLength;
  promptsBox.value = ctx.state.prompts;
  promptsLabel.append(`Prompts, one per line (2 to ${MAX_PROMPTS})`, promptsBox);

  const { fieldset: sides, inputs: sideInputs } = radioGroup('Padding side', `${ctx.id}-side`, PADDING_SIDES.map((side) => [side, side] as const), ctx.state.side, {
    signal: ctx.signal,
    onChange: () => changed(0),
  });

  const checkbox = (labelText: string, checked: boolean) => {
    const label = element('label');
    const input = element('input');
    input.type = 'checkbox';
    input.checked = checked;
    label.append(input, labelText);
    return { label, input };
  };
  const maskBox = checkbox('Attention mask', ctx.state.mask);
  const positionsBox = checkbox('Position ids from the mask', ctx.state.positions);
  const toggles = element('div', 'pb-toggles');
  toggles.append(maskBox.label, positionsBox.label);
  form.append(promptsLabel, sides, toggles);

  // ---- output
  const summary = element('p', 'widget-summary');
  const warning = element('p', 'pb-warning');
  const gridScroller = element('div', 'pb-scroller');
  gridScroller.tabIndex = 0;
  gridScroller.setAttribute('role', 'region');
  gridScroller.setAttribute('aria-label', 'Padded batch');
  const results = element('div', 'pb-results');
  el.append(form, summary, warning, gridScroller, results);

  let runtime: RuntimeClient | null = null;
  const schedule = debounced(() => void run(), ctx.signal);
  function changed(delay: number): void {
    ctx.setState(readState());
    schedule(delay);
  }
  const aloneCache = new Map<string, Alone>();
  let runNumber = 0;

  const readState = (): State => ({
    prompts: promptsBox.value,
    side: sideInputs.find((input) => input.checked)?.value === 'right' ? 'right' : 'left',
    mask: maskBox.input.checked,
    positions: positionsBox.input.checked,
  });

  async function alone(prompt: string): Promise<Alone> {
    const cached = aloneCache.get(prompt);
    if (cached) return cached;
    const result = await runtime!.generate({ text: prompt, maxNewTokens: BATCH_NEW_TOKENS, temperature: 0, ignoreEos: true }).result;
    const entry = { newIds: result.newIds, text: result.text };
    aloneCache.set(prompt, entry);
    return entry;
  }

  async function run(): Promise<void> {
    const state = ctx.state;
    const thisRun = ++runNumber;
    const prompts = splitPrompts(state.prompts);
    const problem = describeBadPrompts(prompts);
    if (problem) {
      ctx.status('note', problem);
      el.dataset.state = 'invalid';
      return;
    }
    el.dataset.state = 'running';
    try {
      runtime ??= (await loadModel(ctx)).runtime;
      ctx.status('loading', 'Generating the batch and each prompt alone…');
      const batch = await runtime.generateBatch({
        texts: prompts,
        paddingSide: state.side,
        useAttentionMask: state.mask,
        usePositionIdsFromMask: state.positions,
        maxNewTokens: BATCH_NEW_TOKENS,
      });
      const alones: Alone[] = [];
      for (const prompt of prompts) alones.push(await alone(prompt));
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      draw(state, prompts, batch, alones);
      el.dataset.state = 'done';
      ctx.status('ready');
    } catch (error) {
      if (thisRun !== runNumber || ctx.signal.aborted) return;
      el.dataset.state = 'invalid';
      const message = error instanceof Error ? error.message : String(error);
      ctx.status(runtime?.model ? 'note' : 'error', runtime?.model ? `This batch cannot run: ${message}` : `The model could not load: ${message}`);
    }
  }

  /** Redraws the padded-batch table for the current width (set by draw). */
  let fitGrid: (() => void) | null = null;

  function draw(state: State, prompts: string[], batch: BatchGenerationResult, alones: Alone[]): void {
    const sources = logitsSources(batch.attentionMask);
    const width = batch.input[0].length;

    // The padded batch: for each row, its ids, its mask and its position ids, one column per token.
    // On a narrow screen the middle columns give way to a gap ("…"), so the column generate()
    // reads stays in view without scrolling.
    const gridTable = (columns: ShownColumn[]): HTMLTableElement => {
      const table = element('table', 'pb-grid');
      const hidden = columns.flatMap((c) => ('gap' in c ? [c.gap.from === c.gap.to ? `${c.gap.from}` : `${c.gap.from}–${c.gap.to}`] : []));
      table.append(
        element(
          'caption',
          undefined,
          `The padded batch: ${prompts.length} rows × ${width} columns; pad = id ${batch.padTokenId}` +
            (hidden.length > 0 ? `. Columns ${hidden.join(', ')} are hidden (…) to fit this width.` : ''),
        ),
      );
      const head = element('thead');
      const headRow = element('tr');
      headRow.append(element('td'), element('td'));
      for (const shown of columns) {
        if ('gap' in shown) {
          const th = element('th', 'pb-gap', '…');
          th.scope = 'col';
          th.title = `columns ${shown.gap.from} to ${shown.gap.to}, hidden to fit`;
          headRow.append(th);
          continue;
        }
        const { column } = shown;
        const th = element('th', column === width - 1 ? 'pb-read' : undefined, String(column));
        th.scope = 'col';
        if (column === width - 1) th.title = 'generate() reads the logits of this column for every row';
        headRow.append(th);
      }
      head.append(headRow);
      table.append(head);
      batch.input.forEach((ids, row) => {
        const body = element('tbody');
        const lines: [string, (column: number) => string][] = [
          ['token', (column) => (batch.attentionMask[row][column] ? pieceLabel(batch.inputPieces[row][column]) : 'pad')],
          ['id', (column) => String(ids[column])],
          ['mask', (column) => String(state.mask ? batch.attentionMask[row][column] : '–')],
          ['position', (column) => String(batch.positionIds[row][column])],
        ];
        lines.forEach(([name, cell], line) => {
          const tr = element('tr', `pb-line-${name}`);
          if (line === 0) {
            const rowHeader = element('th', 'pb-row', `Row ${row + 1}`);
            rowHeader.scope = 'rowgroup';
            rowHeader.rowSpan = lines.length;
            tr.append(rowHeader);
          }
          const lineHeader = element('th', 'pb-linename', name);
          lineHeader.scope = 'row';
          tr.append(lineHeader);
          for (const shown of columns) {
            if ('gap' in shown) {
              tr.append(element('td', 'pb-gap', '…'));
              continue;
            }
            const { column } = shown;
            const td = element('td', undefined, cell(column));
            if (!batch.attentionMask[row][column]) td.classList.add('pb-pad');
            if (column === width - 1) td.classList.add('pb-read');
            if (column === sources[row].lastRealColumn && !sources[row].correct) td.classList.add('pb-lastreal');
            tr.append(td);
          }
          body.append(tr);
        });
        table.append(body);
      });
      return table;
    };
    fitGrid = () => {
      let count = width;
      let table = gridTable(shownColumns(width, count, sources));
      gridScroller.replaceChildren(table);
      const available = gridScroller.clientWidth;
      // Drop columns from the middle until the table fits (or only the read column is left).
      while (available > 0 && table.offsetWidth > available && count > 1) {
        count = Math.max(1, Math.min(count - 1, Math.floor((count * available) / table.offsetWidth)));
        table = gridTable(shownColumns(width, count, sources));
        gridScroller.replaceChildren(table);
      }
    };
    fitGrid();

    // Continuations, batched against alone.
    const list = element('ol', 'pb-rows');
    let matching = 0;
    prompts.forEach((prompt, row) => {
      const differsAt = firstDifference(batch.newIds[row], alones[row].newIds);
      if (differsAt < 0) matching++;
      const item = element('li', differsAt < 0 ? 'pb-same' : 'pb-differs');
      const promptLine = element('p', 'pb-prompt');
      promptLine.append(element('span', 'pb-label', `Row ${row + 1}`), prompt);
      const batched = element('p');
      batched.append(element('span', 'pb-label', 'in the batch'), element('q', 'pb-text', batch.newTexts[row]));
      const single = element('p');
      single.append(element('span', 'pb-label', 'alone'), element('q', 'pb-text', alones[row].text));
      const verdict = element(
        'p',
        'pb-verdict',
        differsAt < 0
          ? `same ${BATCH_NEW_TOKENS} tokens`
          : `differs from token ${differsAt + 1}${sources[row].correct ? '' : ': the first one came from a pad’s logits'}`,
      );
      item.append(promptLine, batched, single, verdict);
      list.append(item);
    });
    results.replaceChildren(list);

    const setting = `${state.side} padding, ${state.mask ? 'with' : 'without'} the attention mask, ${state.positions ? 'positions from the mask' : 'positions 0, 1, 2, … in every row'}`;
    summary.textContent = `${setting}: ${matching} of ${prompts.length} rows match the prompt generated alone, token for token.`;
    warning.textContent = huggingFaceWarnsRightPadding(batch.input, batch.padTokenId)
      ? 'Hugging Face’s generate() would warn here: “A decoder-only architecture is being used, but right-padding was detected!”'
      : '';
  }

  // ---- events
  promptsBox.addEventListener('input', () => changed(500), { signal: ctx.signal });
  for (const input of [maskBox.input, positionsBox.input]) {
    input.addEventListener('change', () => changed(0), { signal: ctx.signal });
  }
  onWidthChange(gridScroller, ctx.signal, () => fitGrid?.());
  // The first run is awaited, so a note about a bad link (shown after mount) is not overwritten.
  await run();
}
