// The sparse attention chapter in Chromium: the mask widget's pair count and loss against the
// engine in Node for the same prompt and pattern, the loss-against-density widget against the
// chapter's tested facts and its sweep's Cancel, the name-recall widget's probabilities and curve
// against the engine; one bad input each; the loss op with a queryKeyMask leaks no tensor.
import { expect, test } from 'vitest';
import { tokenLosses } from '../../src/chapters/attention';
import { patternMask, patternPairs, recallStory, settingsOf, type PatternSettings } from '../../src/chapters/sparseAttention';
import { softmax } from '../../src/llama/math';
import type { getRuntime } from '../../src/runtime/client';
import { startAllWidgets } from './helpers';
import { linkParam, settled, statusText, type ChapterSite, useChapterSite } from './helpers/chapterSite';

const CHAPTER = '/chapters/16-sparse-attention/';
const MASK = '[data-widget-id="sparse-mask"]';
const LOSS = '[data-widget-id="sparse-loss"]';
const RECALL = '[data-widget-id="sparse-recall"]';

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

test('the mask, the loss sweep and name recall show what the engine computes; bad input is explained', async () => {
  // A bad link value for the recall figure: it falls back to the default and says so.
  // One weather sentence keeps the recall figure's window sweep short (19 forwards).
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&sparse-recall.global=abc&sparse-recall.fillers=1`);
  const { page } = opened;
  const engine = site.engine!;
  await startAllWidgets(page, 180_000);

  // The mask: BigBird; pairs and loss as in Node (strided l = 4, the default, is the contract's,
  // tests/e2e/contracts/sparse-mask.ts).
  const mask = page.locator(MASK);
  expect((await settled(page, MASK)).status).toBe('ready');
  const prompt = await mask.getByRole('textbox', { name: 'Prompt' }).inputValue();
  const ids = engine.tokenizer.encode(prompt, { bos: true });
  async function nodeLoss(settings: PatternSettings) {
    const { logits } = await engine.model.run([ids], { queryKeyMask: patternMask(ids.length, settings) });
    return mean(tokenLosses(logits, ids));
  }
  await mask.getByRole('combobox', { name: 'Pattern' }).selectOption('bigbird');
  await settled(page, MASK);
  expect(linkParam(page, 'sparse-mask.pattern')).toBe('bigbird');
  const bigbird = settingsOf({ pattern: 'bigbird', window: 4, stride: 4, global: 1, random: 2, seed: 1 });
  expect(Number(await mask.locator('[data-pairs]').getAttribute('data-pairs'))).toBe(patternPairs(ids.length, bigbird));
  expect(Math.abs(Number(await mask.locator('[data-loss]').getAttribute('data-loss')) - (await nodeLoss(bigbird)))).toBeLessThan(1e-3);
  expect(await mask.locator('table tbody tr').count()).toBe(4);
  const random = mask.getByRole('spinbutton', { name: 'Random keys r' });
  await random.fill('-3');
  await random.dispatchEvent('change');
  expect(await statusText(mask)).toBe('Random keys r must be a whole number from 0 to 256; keeping 2.');
  await mask.getByRole('textbox', { name: 'Prompt' }).fill('');
  await mask.getByRole('button', { name: 'Run' }).click();
  expect(await settled(page, MASK)).toEqual({ status: 'error', message: 'The prompt is empty: type a few words.' });

  // Loss against density: a bad window and the sweep's Cancel (the window of 16, the default, is
  // the contract's, tests/e2e/contracts/sparse-loss.ts).
  const loss = page.locator(LOSS);
  expect((await settled(page, LOSS)).status).toBe('ready');
  const windowBox = loss.getByRole('spinbutton', { name: 'Window w' });
  await windowBox.fill('999');
  await windowBox.dispatchEvent('change');
  expect(await statusText(loss)).toBe('Window w must be a whole number from 1 to 256; keeping 16.');
  await loss.getByRole('button', { name: 'Sweep every pattern' }).click();
  await page.waitForFunction((sel) => Number(document.querySelector<HTMLElement>(`${sel} [data-loss]`)?.dataset.sweepDone ?? 0) >= 1, LOSS, { timeout: 60_000 });
  await loss.getByRole('button', { name: 'Cancel' }).click();
  const cancelled = await settled(page, LOSS);
  expect(cancelled.message).toMatch(/^Cancelled after \d+ of 35 points\.$/);
  expect(Number(cancelled.message.match(/after (\d+)/)![1])).toBeLessThan(35);
  expect(await loss.locator('svg circle').count()).toBeGreaterThanOrEqual(2);

  // Name recall: Tom, one weather sentence (D = 7), w = 16 (the link's global=abc fell back to 0).
  const recall = page.locator(RECALL);
  await page.waitForFunction((sel) => document.querySelector(`${sel} [data-curve]`) !== null, RECALL, { timeout: 120_000 });
  expect(await statusText(recall)).toContain('The link sets global to "abc"');
  const story = engine.tokenizer.encode(recallStory('Tom', 1), { bos: true });
  const tom = engine.tokenizer.encode('Tom', { bos: false })[0];
  async function nodeProbability(window?: number) {
    const { logits } = await engine.model.run([story], window ? { queryKeyMask: patternMask(story.length, settingsOf({ pattern: 'window', window })) } : {});
    const vocab = logits.shape[2];
    return softmax(logits.data.subarray((story.length - 1) * vocab, story.length * vocab))[tom];
  }
  const distance = Number(await recall.locator('[data-distance]').getAttribute('data-distance'));
  expect(distance).toBe(7);
  expect(Math.abs(Number(await recall.locator('[data-full-probability]').getAttribute('data-full-probability')) - (await nodeProbability()))).toBeLessThan(1e-3);
  expect(Math.abs(Number(await recall.locator('[data-masked-probability]').getAttribute('data-masked-probability')) - (await nodeProbability(16)))).toBeLessThan(1e-3);
  const curve = (await recall.locator('[data-curve]').getAttribute('data-curve'))!.split(',').map(Number);
  expect(curve.length).toBe(story.length);
  expect(Math.abs(curve[distance] - (await nodeProbability(distance + 1)))).toBeLessThan(1e-3); // w = D + 1 reaches the name
  expect(curve[distance] > 0.5).toBe(true);
  expect(curve[distance - 1]).toBeLessThan(0.005); // w = D does not
  await recall.getByRole('slider', { name: 'Window w' }).fill(String(distance + 1));
  await recall.getByRole('slider', { name: 'Window w' }).dispatchEvent('change');
  await settled(page, RECALL);
  expect(linkParam(page, 'sparse-recall.window')).toBe(String(distance + 1));
  expect(Math.abs(Number(await recall.locator('[data-masked-probability]').getAttribute('data-masked-probability')) - curve[distance])).toBeLessThan(1e-4);

  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

test('the loss op with a queryKeyMask leaks no tensor, and refuses a mask of the wrong width', async () => {
  const opened = await site.openPage('/test/runtime/?backend=wasm');
  await opened.page.getByText('ready', { exact: true }).waitFor();
  const outcome = await opened.page.evaluate(async () => {
    const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
    await runtime.load('/models/glass-llama/');
    const before = await runtime.memory();
    const window2 = (n: number) => Array.from({ length: n }, (_, q) => Array.from({ length: n }, (_, k) => (k <= q && q - k < 2 ? 1 : 0)));
    const rows = [[1, 5, 9, 13], [1, 7, 2]];
    const { losses } = await runtime.loss({ ids: rows, training: false, queryKeyMask: window2(4) });
    const refused = await runtime.loss({ ids: rows, training: false, queryKeyMask: window2(3) }).then(
      () => 'accepted',
      (error: Error) => error.message,
    );
    return { before, after: await runtime.memory(), losses, refused };
  });
  expect(outcome.after.numTensors).toBe(outcome.before.numTensors);
  expect(outcome.losses.map((row) => row.length)).toEqual([3, 2]);
  expect(outcome.refused).toBe('queryKeyMask has 3 rows. Expected one per query token: 4');
  // the same losses in Node, one row at a time with its own corner of the mask
  const node = site.engine!.model;
  for (const [row, ids] of [[1, 5, 9, 13], [1, 7, 2]].entries()) {
    const mask = Array.from({ length: ids.length }, (_, q) => Array.from({ length: ids.length }, (_, k) => (k <= q && q - k < 2 ? 1 : 0)));
    const expected = tokenLosses((await node.run([ids], { queryKeyMask: mask })).logits, ids);
    expected.forEach((value, i) => expect(Math.abs(outcome.losses[row][i] - value)).toBeLessThan(1e-3));
  }
  await opened.close();
});
