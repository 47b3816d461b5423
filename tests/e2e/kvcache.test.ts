// The KV-cache chapter in Chromium: the growing cache (greedy text, tokens, bytes) equals the engine
// in Node; the prefill figure times the prompt lengths it says; the paged-memory figure's stories
// have the engine's lengths for the same seeds, and its block tables are the allocator's; bad
// input is explained; the decodeTimeline op leaks no tensor.
import { expect, test } from 'vitest';
import { beamMemory, pagedLayout } from '../../src/chapters/kvcache';
import { beamSearchOf } from '../../src/runtime/kvcacheOps';
import { decodeTimeline } from '../../src/llama/decodeTimeline';
import type { getRuntime } from '../../src/runtime/client';
import { promptLengths } from '../../components/KvPrefill';
import { startAllWidgets } from './helpers';
import { settled, type ChapterSite, useChapterSite } from './helpers/chapterSite';
import { pagedFigureTexts, sampledRequests } from './helpers/contractParts';

const CHAPTER = '/chapters/10-generate-kv-cache/';
const GROW = '[data-widget-id="kv-grow"]';
const PREFILL = '[data-widget-id="kv-prefill"]';
const PAGED = '[data-widget-id="kv-paged"]';
const BEAMS = '[data-widget-id="kv-beams"]';
const BEAMS_PROMPT = 'Once upon a time, there was a little dog.';
const PAGED_PROMPT = 'Once upon a time, there was a little dog.';

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

test('the three figures show what the engine computes, and explain bad input', async () => {
  const { model, tokenizer } = site.engine!;
  const opened = await site.openPage(
    `${CHAPTER}?backend=wasm&kv-grow.steps=6&kv-grow.layer=2&kv-grow.head=1&kv-prefill.points=2&kv-prefill.steps=2` +
      `&kv-paged.prompt=${encodeURIComponent(PAGED_PROMPT)}&kv-paged.requests=3&kv-paged.maxNew=40&kv-paged.budget=128&kv-paged.blockSize=8` +
      `&kv-beams.prompt=${encodeURIComponent(BEAMS_PROMPT)}&kv-beams.beams=3&kv-beams.tokens=5&kv-beams.blockSize=4`,
  );
  await startAllWidgets(opened.page, 120_000);

  // Growing cache: greedy text and cache size as the engine's decodeTimeline gives them.
  const grow = opened.page.locator(GROW);
  expect(await settled(opened.page, GROW)).toEqual({ status: 'ready', message: '' });
  const prompt = tokenizer.encode('Once upon a time', { bos: true });
  const node = await decodeTimeline(model, prompt, { steps: 6, layer: 2, head: 1 });
  const tokens = prompt.length + 6;
  expect(await grow.locator('.dw-text').textContent()).toBe(tokenizer.decode([...prompt, ...node.steps.map((s) => s.tokenId)]));
  expect(await grow.locator('.mw-readout').first().textContent()).toContain(`Step 6: the cache holds ${tokens} tokens, ${(2048 * tokens) / 1024} KiB (2 KiB × ${tokens})`);
  expect(await grow.locator('.kv-grids h4').allTextContents()).toEqual([`Keys (after RoPE), layer 2, KV head 1: [${tokens} × 32]`, `Values, layer 2, KV head 1: [${tokens} × 32]`]);
  const rows = await grow.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => row.slice(0, 3))).toEqual(node.steps.map((s) => [String(s.index), String(s.cachedTokens), String(s.cacheBytes)]));
  for (const row of rows) expect(Number(row[3])).toBeGreaterThan(0);
  // scrubbing back to step 2 shows the cache then, and writes the link
  await grow.getByRole('slider', { name: 'Cache after step' }).fill('2');
  expect(new URL(opened.page.url()).searchParams.get('kv-grow.at')).toBe('2');
  expect(await grow.locator('.kv-grids h4').first().textContent()).toBe(`Keys (after RoPE), layer 2, KV head 1: [${prompt.length + 2} × 32]`);

  // Prefill against decode: the prompt lengths measured, each time a positive number.
  await settled(opened.page, PREFILL);
  const storyIds = tokenizer.encode((await opened.page.locator(`${PREFILL} input[type=text]`).inputValue()), { bos: true });
  const lengths = promptLengths(Math.min(storyIds.length, 256 - 2), 2);
  const prefillRows = await opened.page.locator(`${PREFILL} table tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(prefillRows.map((row) => Number(row[0]))).toEqual(lengths);
  for (const row of prefillRows) for (const cell of row.slice(1)) expect(Number(cell)).toBeGreaterThan(0);

  // Paged memory: the stories' lengths are the engine's for seeds 1-3; block tables are the allocator's.
  await settled(opened.page, PAGED);
  const trace = await sampledRequests({ model, tokenizer }, tokenizer.encode(PAGED_PROMPT, { bos: true }), 3, 40);
  const expected = pagedFigureTexts(trace, 8, 128);
  expect((await opened.page.locator(`${PAGED} .kv-tables p`).allTextContents()).slice(1)).toEqual(expected.tables);
  expect(await opened.page.locator(`${PAGED} h4`).allTextContents()).toEqual(expected.headings);
  expect(await opened.page.locator(`${PAGED} .mw-readout`).textContent()).toContain(expected.readout);
  // unticking sharing redraws without the model: the unshared tables
  await opened.page.locator(PAGED).getByRole('checkbox').uncheck();
  expect(new URL(opened.page.url()).searchParams.get('kv-paged.share')).toBe('false');
  const unshared = pagedLayout(trace, 8);
  expect((await opened.page.locator(`${PAGED} .kv-tables p`).allTextContents())[1]).toBe(`request 1 (${trace[0].promptTokens} + ${trace[0].newTokens} tokens): [${unshared.blockTables[0].join(', ')}]`);

  // Beams: every live beam of the last step and of step 2 as the engine's beam search gives them.
  await settled(opened.page, BEAMS);
  const beamsWidget = opened.page.locator(BEAMS);
  const beamPrompt = tokenizer.encode(BEAMS_PROMPT, { bos: true });
  const search = await beamSearchOf(model, beamPrompt, { numBeams: 3, maxNewTokens: 5 });
  const beamRows = async () => beamsWidget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  const expectedRows = (step: number) =>
    search.steps[step - 1].beams.map((beam, row) => [String(row + 1), String(beam.parent + 1), tokenizer.decode(beam.tokens), beam.logProb.toFixed(3)]);
  const asShown = (rows: string[][]) => rows.map(([row, parent, text, logProb]) => [row, parent, text, Number(logProb.replace('−', '-')).toFixed(3)]);
  expect(asShown(await beamRows())).toEqual(expectedRows(search.steps.length));
  const last = beamMemory(search.steps.at(-1)!.beams.map((beam) => [...beamPrompt, ...beam.tokens]), 4);
  expect(await beamsWidget.locator('.mw-readout').nth(1).textContent()).toContain(`${last.contiguousSlots} token slots`);
  expect(await beamsWidget.locator('.mw-readout').nth(1).textContent()).toContain(`${last.blocks} blocks = ${last.pagedSlots} slots`);
  await beamsWidget.getByRole('slider', { name: 'Step shown' }).fill('2');
  expect(new URL(opened.page.url()).searchParams.get('kv-beams.step')).toBe('2');
  expect(asShown(await beamRows())).toEqual(expectedRows(2));
  expect(await beamsWidget.locator('svg[role=img]').count()).toBe(1);

  // Bad input: an empty prompt; a prompt too short to compare lengths.
  await grow.getByRole('textbox', { name: 'Prompt' }).fill('');
  await grow.getByRole('button', { name: 'Run' }).click();
  expect(await settled(opened.page, GROW)).toEqual({ status: 'error', message: 'The prompt is empty: type a few words.' });
  const prefill = opened.page.locator(PREFILL);
  await prefill.getByRole('textbox', { name: 'Prompt' }).fill('Hi');
  await prefill.getByRole('button', { name: 'Run' }).click();
  expect((await settled(opened.page, PREFILL)).message).toMatch(/^The prompt has \d tokens \(with <s>\); give it at least 4/);
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});

test('out-of-range link values fall back with a message', async () => {
  const opened = await site.openPage(
    `${CHAPTER}?backend=wasm&kv-grow.steps=500&kv-grow.head=7&kv-prefill.points=2&kv-prefill.steps=2&kv-paged.requests=99&kv-paged.maxNew=16&kv-beams.beams=99&kv-beams.tokens=3`,
  );
  await startAllWidgets(opened.page, 120_000);
  await settled(opened.page, PAGED);
  expect(await opened.page.locator(`${PAGED} [data-widget-status]`).textContent()).toContain(
    'The link sets requests to "99", but it must be a whole number from 2 to 8; showing 6 instead.',
  );
  expect((await settled(opened.page, BEAMS)).message).toContain('The link sets beams to "99", but it must be a whole number from 2 to 8; showing 4 instead.');
  const grow = await settled(opened.page, GROW);
  expect(grow.message).toContain('The link sets steps to "500", but it must be a whole number from 2 to 120; showing 40 instead.');
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('the decodeTimeline op matches the engine in Node and leaks no tensor', async () => {
  const { model } = site.engine!;
  const opened = await site.openPage('/test/runtime/?backend=wasm');
  await opened.page.getByText('ready', { exact: true }).waitFor();
  const outcome = await opened.page.evaluate(async () => {
    const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
    await runtime.load('/models/glass-llama/');
    const before = await runtime.memory();
    const steps: number[] = [];
    const result = await runtime.call('decodeTimeline', { input: { ids: [1, 403, 1030, 262] }, steps: 5, recompute: true, layer: 3, head: 1 }, { onProgress: (step) => steps.push(step.cachedTokens) });
    const refused = await runtime.call('decodeTimeline', { input: { ids: [1] }, steps: 251 }).then(() => 'accepted', (error: Error) => error.message);
    const beamSteps: number[] = [];
    const beams = await runtime.call('beamSearch', { input: { ids: [1, 403, 1030, 262] }, numBeams: 3, maxNewTokens: 4 }, { onProgress: (step) => beamSteps.push(step.step) });
    return { before, after: await runtime.memory(), result, steps, refused, beams, beamSteps };
  });
  expect(outcome.after.numTensors).toBe(outcome.before.numTensors);
  expect(outcome.steps).toEqual([5, 6, 7, 8, 9]);
  const node = await decodeTimeline(model, [1, 403, 1030, 262], { steps: 5, layer: 3, head: 1 });
  expect(outcome.result.newIds).toEqual(node.newIds);
  for (const step of outcome.result.steps) expect(step.maxLogitDifference!).toBeLessThan(1e-4);
  const worst = Math.max(...outcome.result.contents.values.flat().map((v, i) => Math.abs(v - node.contents.values.flat()[i])));
  expect(worst).toBeLessThan(1e-4);
  expect(outcome.refused).toBe('decodeTimeline: steps must be a whole number from 0 to 250. Received 251.');
  expect(outcome.beamSteps).toEqual([1, 2, 3, 4]);
  const nodeBeams = await beamSearchOf(model, [1, 403, 1030, 262], { numBeams: 3, maxNewTokens: 4 });
  expect(outcome.beams.steps.map((s) => s.beams.map((b) => [b.tokens, b.parent]))).toEqual(nodeBeams.steps.map((s) => s.beams.map((b) => [b.tokens, b.parent])));
  expect(outcome.beams.newIds).toEqual(nodeBeams.newIds);
  await opened.close();
});
