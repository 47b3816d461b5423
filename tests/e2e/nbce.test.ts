// The long-context chapter (NBCE) in Chromium: each figure shows what the engine computes in Node
// for the same story and settings; a bad link value in each is explained; the ops leak no tensor.
import { expect, test } from 'vitest';
import { longStory, namesHero } from '../../src/chapters/nbce';
import { nbcePool } from '../../src/llama/nbce';
import { nbceDistributionsOf, nbceGenerateOf } from '../../src/runtime/nbceOps';
import type { getRuntime } from '../../src/runtime/client';
import { startAllWidgets } from './helpers';
import { settled, type ChapterSite, useChapterSite } from './helpers/chapterSite';

const CHAPTER = '/chapters/17-long-context/';
const GENERATE = '[data-widget-id="nbce-generate"]';
const RECALL = '[data-widget-id="nbce-recall"]';
const FORMULA = '[data-widget-id="nbce-formula"]';

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

test('the three figures show what the engine computes, and explain bad link values', async () => {
  const { model, tokenizer } = site.engine!;
  // one bad value per figure: each falls back to its default (seed 0, β 0.25, chunks of 32) with a note
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&nbce-generate.tokens=4&nbce-generate.seed=5000&nbce-formula.beta=9&nbce-recall.stories=1&nbce-recall.chunk=3`);
  await startAllWidgets(opened.page, 120_000);
  const story = longStory(0);

  // Generation: each method's continuation and verdict as the engine gives them.
  expect(await settled(opened.page, GENERATE)).toEqual({ status: 'note', message: 'The link sets seed to "5000", but it must be a whole number from 0 to 999; showing 0 instead.' });
  const generate = opened.page.locator(GENERATE);
  for (const method of ['truncate', 'interpolate', 'nbce'] as const) {
    const node = await nbceGenerateOf(model, tokenizer, { context: story.context, question: story.question, method, maxNewTokens: 4, chunkSize: 32, pooling: 'lowestEntropy', beta: 0.25 });
    const line = generate.locator(`li[data-method="${method}"]`);
    expect(await line.locator('q').textContent()).toBe(node.text.trim());
    expect(await line.locator('.nbce-verdict').textContent()).toBe(namesHero(node.text, story.hero) ? `✓ ${story.hero} comes back` : `✗ no ${story.hero}`);
    if (method === 'nbce') {
      expect(namesHero(node.text, story.hero)).toBe(true);
      // the grid: one row per token, one cell per chunk; the outlined cells are the winners
      expect(await generate.locator('.nbce-cell').count()).toBe(4 * node.chunks!.length);
      const winners = await generate.locator('.nbce-cell').evaluateAll((cells, chunks) => cells.flatMap((cell, i) => (cell.classList.contains('nbce-cell--winner') ? [i % chunks] : [])), node.chunks!.length);
      expect(winners).toEqual(node.steps.map((s) => s.winner));
      expect(await generate.locator('.nbce-chunk').count()).toBe(node.chunks!.length);
    }
  }

  // Formula: average pooling recomputes without the model (the default, lowest entropy, is the
  // contract's, tests/e2e/contracts/nbce-formula.ts).
  expect((await settled(opened.page, FORMULA)).message).toBe('The link sets beta to "9", but it must be a number from 0 to 4; showing 0.25 instead.');
  const formula = opened.page.locator(FORMULA);
  const distributions = await nbceDistributionsOf(model, tokenizer, { context: story.context, question: story.question, chunkSize: 32 });
  await formula.getByRole('radio', { name: 'average' }).check();
  const average = nbcePool(distributions.logits.slice(1), distributions.logits[0], { pooling: 'average', beta: 0.25 });
  const averageTop = average.logProbs.indexOf(Math.max(...average.logProbs));
  expect(await formula.locator('.mw-readout').textContent()).toContain(`Top token: ${tokenizer.idToPiece(averageTop).replace(/▁/g, '␣')} (`);
  expect(new URL(opened.page.url()).searchParams.get('nbce-formula.pooling')).toBe('average');

  // Recall: one story on the button, counted as the engine counts them.
  expect((await settled(opened.page, RECALL)).message).toBe('The link sets chunk to "3", but it must be a whole number from 8 to 192; showing 32 instead.');
  // a run on one story against the engine is the contract's (tests/e2e/contracts/nbce-recall.ts)
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});

test('the NBCE ops match the engine in Node, refuse bad input and leak no tensor', async () => {
  const { model, tokenizer } = site.engine!;
  const story = longStory(1);
  const opened = await site.openPage('/test/runtime/?backend=wasm');
  await opened.page.getByText('ready', { exact: true }).waitFor();
  const outcome = await opened.page.evaluate(async ({ context, question }) => {
    const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
    await runtime.load('/models/glass-llama/');
    const before = await runtime.memory();
    const streamed: number[] = [];
    const result = await runtime.call('nbceGenerate', { context, question, method: 'nbce', chunkSize: 24, pooling: 'lowestEntropy', beta: 0.5, maxNewTokens: 3 }, { onProgress: (step) => streamed.push(step.tokenId) });
    const distributions = await runtime.call('nbceDistributions', { context, question, chunkSize: 24 });
    const refused = await runtime.call('nbceGenerate', { context, question: '', method: 'nbce', maxNewTokens: 3 }).then(() => 'accepted', (error: Error) => error.message);
    return { before, after: await runtime.memory(), result, streamed, rows: distributions.logits.length, refused };
  }, { context: story.context, question: story.question });
  expect(outcome.after.numTensors).toBe(outcome.before.numTensors);
  const node = await nbceGenerateOf(model, tokenizer, { context: story.context, question: story.question, method: 'nbce', chunkSize: 24, pooling: 'lowestEntropy', beta: 0.5, maxNewTokens: 3 });
  expect(outcome.result.newIds).toEqual(node.newIds);
  expect(outcome.streamed).toEqual(node.newIds);
  outcome.result.steps.forEach((step, i) => expect(step.probability).toBeCloseTo(node.steps[i].probability, 4));
  expect(outcome.rows).toBe(node.chunks!.length + 1);
  expect(outcome.refused).toBe('The question is empty: NBCE reads every chunk with it, so it needs at least one token.');
  await opened.close();
});
