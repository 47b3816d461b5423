// Serving several requests from one memory: the model really generates each request (the same
// prompt, sampled with a different seed, stopping at end-of-text), then the requests' caches are
// laid out two ways in a fixed budget of token slots: contiguously, each reserved to its maximum
// length, or in blocks with a block table each (PagedAttention), optionally sharing the prompt's
// blocks. The layouts and their waste come from src/chapters/kvcache.ts.
import decodingWidgetsCss from './decodingWidgets.css?url';
import modelWidgetPartsCss from './modelWidgetParts.css?url';
import kvWidgetsCss from './kvWidgets.css?url';
import { contiguousLayout, formatBytes, kvBytesPerToken, kvShapeOf, pagedLayout, requestsThatFit, type SimRequest } from '../src/chapters/kvcache';
import { choice, flag, integer, text } from '../src/widgets/state';
import type { StateOf } from '../src/widgets/state';
import type { WidgetContext } from '../src/widgets/types';
import { element, hiddenTable, loadModel, radioGroup, slider } from './modelWidgetParts';
import { promptIds, storedPromptForm } from './promptTokens';
import { loadStylesheet } from '../src/widgets/styles';

loadStylesheet(decodingWidgetsCss);
loadStylesheet(modelWidgetPartsCss);
loadStylesheet(kvWidgetsCss);

/** 27 tokens with <s>: one full 16-token block that the samples share, and a partial one. */
export const PAGED_PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside with her ball.';

export const schema = {
  prompt: text(600, PAGED_PROMPT),
  /** Requests: samples of the prompt with seeds seed, seed + 1, ... */
  requests: integer(2, 8, 6),
  /** max_new_tokens of every request: what a contiguous allocator reserves. */
  maxNew: integer(16, 240, 200),
  blockSize: choice(['4', '8', '16', '32'], '16'),
  /** Memory for the KV cache, in token slots. */
  budget: integer(64, 2048, 1024),
  share: flag(true),
  seed: integer(0, 99999, 1),
};

type State = StateOf<typeof schema>;

export async function mount(el: HTMLElement, ctx: WidgetContext<State>): Promise<void> {
  const { runtime, model } = await loadModel(ctx);
  const perToken = kvBytesPerToken(kvShapeOf(model.config), 4);

  const form = storedPromptForm(ctx, schema.prompt.maxLength, () => void run());
  const grid = element('div', 'dw-grid');
  const requests = slider('Requests', { min: 2, max: 8, step: 1, value: ctx.state.requests });
  const maxNew = slider('max_new_tokens', { min: 16, max: 240, step: 8, value: ctx.state.maxNew });
  const budget = slider('Memory (token slots)', { min: 64, max: 2048, step: 64, value: ctx.state.budget });
  grid.append(requests.label, maxNew.label, budget.label);
  const blockSize = radioGroup('Block size', `${ctx.id}-block`, schema.blockSize.choices.map((c) => [c, c] as const), ctx.state.blockSize, {
    signal: ctx.signal,
    onChange: (value) => {
      ctx.setState({ blockSize: value });
      draw();
    },
  });
  const shareLabel = element('label');
  const share = element('input');
  share.type = 'checkbox';
  share.checked = ctx.state.share;
  shareLabel.append(share, ' share the prompt\'s blocks (copy-on-write)');
  const texts = element('div');
  const summary = element('p', 'mw-readout');
  const contiguousTitle = element('h4');
  const contiguousMap = element('div', 'kv-memory');
  const pagedTitle = element('h4');
  const pagedMap = element('div', 'kv-memory');
  const tables = element('div', 'kv-tables');
  const alternative = element('div');
  el.append(form, grid, blockSize.fieldset, shareLabel, summary, contiguousTitle, contiguousMap, pagedTitle, pagedMap, tables, texts, alternative);

  let trace: SimRequest[] = [];
  let stories: string[] = [];

  /** One square per `unit` token slots of the budget (at most 256 squares). */
  function draw(): void {
    if (trace.length === 0) return;
    const { budget: slots, share: sharing } = ctx.state;
    const size = Number(ctx.state.blockSize);
    const contiguous = contiguousLayout(trace);
    const paged = pagedLayout(trace, size, { sharePrefix: sharing });
    const fitContiguous = requestsThatFit(trace, slots, { kind: 'contiguous' });
    const fitPaged = requestsThatFit(trace, slots, { kind: 'paged', blockSize: size, sharePrefix: sharing });
    const unit = size; // one square = one block's worth of slots in both maps, so they compare
    const squares = Math.ceil(slots / unit);

    // contiguous: each request's reservation, end to end; squares past the budget are faded
    contiguousTitle.textContent = `Contiguous, reserved to prompt + max_new_tokens (${trace[0].promptTokens} + ${ctx.state.maxNew}): ${fitContiguous} of ${trace.length} requests fit`;
    const cells: HTMLElement[] = [];
    contiguous.requests.forEach((r, i) => {
      for (let s = 0; s < Math.ceil(r.reserved / unit); s++) {
        const filled = Math.min(unit, Math.max(0, r.used - s * unit));
        const cell = element('span', `kv-slot kv-req-${i % 8} ${filled === unit ? 'kv-slot--used' : filled > 0 ? 'kv-slot--used' : 'kv-slot--reserved'}`);
        if ((r.start + s * unit) >= slots) cell.classList.add('kv-slot--over');
        cells.push(cell);
      }
    });
    for (let s = cells.length; s < squares; s++) cells.push(element('span', 'kv-slot'));
    contiguousMap.replaceChildren(...cells);
    contiguousMap.setAttribute('role', 'img');
    contiguousMap.setAttribute('aria-label', `Contiguous layout: ${contiguous.reservedSlots} slots reserved for ${contiguous.usedSlots} tokens; ${fitContiguous} requests fit in ${slots} slots.`);

    // paged: the physical blocks in allocation order, coloured by owner; shared blocks striped
    pagedTitle.textContent = `Paged, blocks of ${size} tokens${sharing ? ', prompt blocks shared' : ''}: ${fitPaged} of ${trace.length} requests fit`;
    const live = paged.blocks.map((block, b) => ({ block, b })).filter(({ block }) => block.owners.length > 0);
    const blockCells = live.map(({ block, b }) => {
      const cell = element('span', `kv-slot kv-slot--used kv-req-${block.owners[0] % 8}${block.owners.length > 1 ? ' kv-slot--shared' : ''}`);
      cell.title = `block ${b}: ${block.filled} of ${size} slots, request${block.owners.length > 1 ? 's' : ''} ${block.owners.map((o) => o + 1).join(', ')}`;
      if (live.findIndex((entry) => entry.b === b) * size >= slots) cell.classList.add('kv-slot--over');
      return cell;
    });
    for (let s = blockCells.length; s < squares; s++) blockCells.push(element('span', 'kv-slot'));
    pagedMap.replaceChildren(...blockCells);
    pagedMap.setAttribute('role', 'img');
    pagedMap.setAttribute('aria-label', `Paged layout: ${paged.allocatedBlocks} blocks of ${size} for ${paged.storedSlots} stored token slots; ${fitPaged} requests fit in ${slots} slots.`);

    const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
    summary.textContent =
      `${trace.length} requests, ${contiguous.usedSlots} tokens in all (${formatBytes(contiguous.usedSlots * perToken)} of cache at ${formatBytes(perToken)} a token). ` +
      `Contiguous: ${contiguous.reservedSlots} slots reserved, ${percent(contiguous.utilisation)} of them hold a token. ` +
      `Paged: ${paged.allocatedBlocks} blocks = ${paged.allocatedBlocks * size} slots, ${percent(paged.utilisation)} used, ${paged.wastedSlots} empty slots at the ends of last blocks` +
      (sharing ? `; ${paged.sharedBlocks} block${paged.sharedBlocks === 1 ? '' : 's'} shared, ${paged.copies} copied on write.` : '.');

    tables.replaceChildren(
      element('p', undefined, 'Block tables (logical block → physical block):'),
      ...paged.blockTables.map((table, r) => {
        const line = element('p', `kv-req-${r % 8}`);
        line.append(element('span', 'kv-swatch'), `request ${r + 1} (${trace[r].promptTokens} + ${trace[r].newTokens} tokens): [${table.join(', ')}]`);
        return line;
      }),
    );
    alternative.replaceChildren(
      hiddenTable(
        'Each request: tokens, contiguous reservation, paged blocks',
        ['request', 'prompt tokens', 'generated tokens', 'reserved slots (contiguous)', 'block table (paged)'],
        trace.map((r, i) => [i + 1, r.promptTokens, r.newTokens, contiguous.requests[i].reserved, paged.blockTables[i].join(' ')]),
      ),
    );
  }

  let runs = 0;
  async function run(): Promise<void> {
    const runId = ++runs;
    ctx.status('loading', 'Running the model…');
    const prepared = await promptIds(runtime, model, ctx.state.prompt, ctx.state.maxNew);
    if (prepared.problem !== null) {
      ctx.status('error', prepared.problem);
      return;
    }
    const made: SimRequest[] = [];
    const madeTexts: string[] = [];
    try {
      for (let i = 0; i < ctx.state.requests; i++) {
        ctx.status('loading', `Generating request ${i + 1} of ${ctx.state.requests}…`);
        const result = await runtime.generate({ ids: prepared.ids, maxNewTokens: ctx.state.maxNew, temperature: 1, seed: ctx.state.seed + i }).result;
        if (runId !== runs || ctx.signal.aborted) return;
        made.push({ promptTokens: prepared.ids.length, newTokens: result.newIds.length, maxNewTokens: ctx.state.maxNew, group: 0 });
        madeTexts.push(result.text);
      }
      trace = made;
      stories = madeTexts;
      texts.replaceChildren(
        ...stories.map((story, i) => {
          const details = element('details');
          details.append(element('summary', `kv-req-${i % 8}`, `Request ${i + 1}: ${trace[i].newTokens} new tokens${trace[i].newTokens < ctx.state.maxNew ? ', ended at end-of-text' : ', cut at max_new_tokens'}`), element('p', 'dw-text', story.trim()));
          return details;
        }),
      );
      draw();
      ctx.status('ready');
    } catch (error) {
      ctx.status('error', error instanceof Error ? error.message : String(error));
    }
  }

  for (const [control, name, regenerate] of [[requests, 'requests', true], [maxNew, 'maxNew', true], [budget, 'budget', false]] as const) {
    control.output.value = String(ctx.state[name]);
    control.input.addEventListener('input', () => (control.output.value = control.input.value), { signal: ctx.signal });
    control.input.addEventListener('change', () => {
      ctx.setState({ [name]: Number(control.input.value) });
      if (regenerate) void run();
      else draw();
    }, { signal: ctx.signal });
  }
  share.addEventListener('change', () => {
    ctx.setState({ share: share.checked });
    draw();
  }, { signal: ctx.signal });
  await run();
}
