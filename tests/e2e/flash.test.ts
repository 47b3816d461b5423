// The FlashAttention chapter in Chromium: the tiled step-through shows the tiles, running maxima
// and final difference that the engine's taps give in Node; the traffic counter shows the counts
// of src/llama/flashAttention.ts; the online softmax shows the chunks of the real row; each widget
// explains a bad link value and one bad input; the forward the widgets make leaks no tensor.
import { expect, test } from 'vitest';
import { FLASH_PROMPT, flashTaps, headInputs } from '../../src/chapters/flash';
import { tiledAttention } from '../../src/llama/flashAttention';
import { layerTap } from '../../src/llama/taps';
import type { getRuntime } from '../../src/runtime/client';
import { startAllWidgets } from './helpers';
import { expectClose, linkParam, settled, statusText, type ChapterSite, useChapterSite } from './helpers/chapterSite';

const CHAPTER = '/chapters/15-flash-attention/';
const TILES = '[data-widget-id="flash-tiles"]';
const MEMORY = '[data-widget-id="flash-memory"]';
const ONLINE = '[data-widget-id="flash-online-softmax"]';

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });

const cells = (rows: Element[]) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? ''));
const numberIn = (cell: string) => Number(cell.replace('−', '-'));

test('the three widgets show what the engine computes, and explain bad input', async () => {
  const { model, tokenizer } = site.engine!;
  // one page load; the link's bad values fall back with a message first
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&flash-tiles.tile=500&flash-memory.n=7&flash-online-softmax.query=100`);
  const { page } = opened;
  await startAllWidgets(page, 120_000);
  expect(await settled(page, TILES)).toEqual({ status: 'note', message: 'The link asks for tile 500, but there are 9; showing the last.' });
  expect(await statusText(page.locator(MEMORY))).toContain('The link sets n to "7", but it must be a whole number from 16 to 131072');
  expect(await settled(page, ONLINE)).toEqual({ status: 'note', message: 'The link asks for query 100, but the prompt has 24 tokens; showing the last.' });
  const config = model.config;
  const ids = tokenizer.encode(FLASH_PROMPT, { bos: true });
  const { taps } = await model.run([ids], { taps: [...flashTaps(0), layerTap(0, 'attn.scores')] });
  const head = headInputs(taps, 0, 0, config.num_attention_heads, config.num_key_value_heads);

  // Tiles: 24 tokens in 8 × 8 tiles, the first tile, then the last; its rows' running max and sum are Node's.
  const tiles = page.locator(TILES);
  const where = tiles.locator('.mw-readout').first();
  expect(await where.textContent()).toMatch(/^Tile 9 of 9 /);
  await tiles.getByRole('slider', { name: /^Tile shown/ }).fill('1');
  expect(await where.textContent()).toMatch(/^Tile 1 of 9 \(3 × 3 blocks\): queries 0–7 against keys 0–7; loads Q₀ and O₀/);
  await tiles.getByRole('button', { name: 'Run to the end' }).click();
  expect(linkParam(page, 'flash-tiles.tile')).toBe('0');
  expect(await where.textContent()).toMatch(/^Tile 9 of 9 \(3 × 3 blocks\): queries 16–23 against keys 16–23/);
  const node = tiledAttention(head.q, head.k, head.v, { rowBlock: 8, colBlock: 8 });
  const lastRows = await tiles.locator('table tbody tr').evaluateAll(cells);
  expect(lastRows.map((row) => row[5])).toEqual(new Array(8).fill('final'));
  expectClose(lastRows.map((row) => numberIn(row[2])), node.rowMax.slice(16), 2e-3);
  expectClose(lastRows.map((row) => numberIn(row[4])), node.rowSum.slice(16), 2e-4);
  const final = (await tiles.locator('.flash-final').textContent())!;
  expect(final).toMatch(/^24 of 24 output rows are final after tile 9\./);
  expect(final).toContain('3 of 9 tiles were skipped by the causal mask.');
  const difference = Number(/standard attention \(the engine’s softmax · V\) is ([\d.e+-]+);/.exec(final)![1]);
  expect(difference).toBeLessThan(1e-5);
  // ragged tiles: 5 query rows a tile, back to the first tile
  await tiles.getByRole('slider', { name: 'Query rows per tile (B_r)' }).fill('5');
  expect(linkParam(page, 'flash-tiles.rows')).toBe('5');
  expect(await where.textContent()).toMatch(/^Tile 1 of 15 \(5 × 3 blocks\): queries 0–4 against keys 0–7/);
  await tiles.getByRole('radio', { name: 'FlashAttention-2: query blocks outside' }).check();
  expect(linkParam(page, 'flash-tiles.order')).toBe('q-outer');
  await tiles.getByRole('button', { name: 'Next tile →' }).click();
  expect(await where.textContent()).toMatch(/^Tile 2 of 15 \(5 × 3 blocks\): queries 0–4 against keys 8–15; skipped/);
  await tiles.getByRole('textbox', { name: 'Prompt' }).fill('');
  await tiles.getByRole('button', { name: 'Run', exact: true }).click();
  expect(await settled(page, TILES)).toEqual({ status: 'error', message: 'The prompt is empty: type a few words.' });

  // Memory: N = 4096 (the default N = 1024 is the contract's, tests/e2e/contracts/flash-memory.ts).
  const memory = page.locator(MEMORY);
  const results = memory.locator('.flash-results');
  await memory.getByRole('slider', { name: 'Sequence length N' }).fill('12');
  expect(linkParam(page, 'flash-memory.n')).toBe('4096');
  expect(await results.textContent()).toContain('Standard: 68.2 million');
  expect(await results.textContent()).toContain('FlashAttention: 9.63 million');
  expect(await memory.locator('svg circle').count()).toBe(24);

  // Online softmax: scores × 100 overflow (its chunks at the default are the contract's,
  // tests/e2e/contracts/flash-online-softmax.ts).
  const online = page.locator(ONLINE);
  await online.getByRole('slider', { name: 'Scores ×' }).fill('100');
  expect(linkParam(page, 'flash-online-softmax.stretch')).toBe('100');
  expect(await online.locator('.mw-readout').textContent()).toContain('overflows to Infinity');

  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
}, 240_000);

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

test('the forward the widgets make (every layer’s q, k, v, probs and scores taps) leaks no tensor', async () => {
  const opened = await site.openPage('/test/runtime/?backend=wasm');
  await opened.page.getByText('ready', { exact: true }).waitFor();
  const taps = [0, 1, 2, 3].flatMap((layer) => [...flashTaps(layer), layerTap(layer, 'attn.scores')]);
  const outcome = await opened.page.evaluate(async (names) => {
    const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
    await runtime.load('/models/glass-llama/');
    const before = await runtime.memory();
    await runtime.forward({ text: 'Once upon a time', taps: names as never });
    return { before, after: await runtime.memory() };
  }, taps);
  expect(outcome.after.numTensors).toBe(outcome.before.numTensors);
  await opened.close();
});
