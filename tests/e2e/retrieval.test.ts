// The retrieval chapter in Chromium: the BM25 table ranks and scores as the chapter's maths does
// in Node; the reader answers and its name heads' attention shares are the engine's for the same
// context (also with a distractor); the active-learning figure's pool losses and choices are the
// engine's, and one short fine-tuning run lowers the held-out loss. One bad input per widget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { assembleContext, attentionBySpan, Bm25Index, contextPassages, meanRows, mostUncertain, NAME_HEADS } from '../../src/chapters/retrieval';
import { tokenLogProbs } from '../../src/llama/math';
import { layerTap } from '../../src/llama/taps';
import { startAllWidgets } from './helpers';
import { expectClose, linkParam, settled, useChapterSite, type ChapterSite } from './helpers/chapterSite';

const CHAPTER = '/chapters/19-retrieval/';
const BM25 = '[data-widget-id="rag-bm25"]';
const READER = '[data-widget-id="rag-reader"]';
const ACTIVE = '[data-widget-id="rag-active-learning"]';
const DATA = join(import.meta.dirname, '..', '..', 'public', 'data');
const stories: string[] = JSON.parse(readFileSync(join(DATA, 'validation-sample.json'), 'utf8')).texts;
const pool = JSON.parse(readFileSync(join(DATA, 'active-learning-pool.json'), 'utf8')) as { pool: string[]; heldOut: string[] };

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });

test('BM25, the reader and active learning agree with Node; bad input is explained', async () => {
  // a short fine-tuning run (2 texts, 1 step), and a seed the link may not set
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&rag-active-learning.picks=2&rag-active-learning.steps=1&rag-active-learning.seed=99`);
  const { page } = opened;
  const engine = site.engine!;
  await startAllWidgets(page, 180_000);
  const index = new Bm25Index(stories);

  // BM25: k1 = 0 leaves only the IDFs (the default k1 = 1.2 is the contract's, tests/e2e/contracts/rag-bm25.ts).
  await settled(page, BM25);
  const bm25 = page.locator(`${BM25} [data-ranking]`);
  await page.locator(BM25).getByRole('slider', { name: 'k1' }).fill('0');
  const presence = new Bm25Index(stories, { k1: 0, b: 0.75 }).search('little frog said');
  await expect.poll(() => bm25.getAttribute('data-scores')).toBe(presence.map((h) => h.score.toFixed(6)).join(','));
  expect(linkParam(page, 'rag-bm25.k1')).toBe('0');

  // The reader: the engine's answer and name-head shares for the same context, with a distractor
  // after the passage (without one, the default, is the contract's, tests/e2e/contracts/rag-reader.ts).
  const { model, tokenizer } = engine;
  async function expected(cloze: string, distractor: 'none' | 'after') {
    const passages = contextPassages(index.search(cloze), distractor).map((p) => ({ ...p, text: stories[p.passage] }));
    const { ids, spans } = assembleContext((text) => tokenizer.encode(text, { bos: false }), tokenizer.bosId, passages, cloze);
    const tap = layerTap(NAME_HEADS.layer, 'attn.probs');
    const { taps } = await model.run([ids], { taps: [tap] });
    const n = ids.length;
    const rows = NAME_HEADS.heads.map((head) => taps[tap].data.subarray((head * n + n - 1) * n, (head * n + n) * n));
    return { passages: passages.map((p) => p.passage).join(','), shares: attentionBySpan(meanRows(rows), spans) };
  }
  const reader = page.locator(`${READER} [data-answer]`);
  await settled(page, READER);
  await page.locator(READER).getByRole('radio', { name: 'after the passage' }).check();
  await expect.poll(() => reader.getAttribute('data-answer'), { timeout: 60_000 }).toBe('Fatima');
  const after = await expected('"Poor little frog," said', 'after');
  expect(await reader.getAttribute('data-passages')).toBe(after.passages);
  expectClose((await reader.getAttribute('data-shares'))!.split(',').map(Number), after.shares, 2e-3);
  expect(linkParam(page, 'rag-reader.distractor')).toBe('after');
  expect(await page.locator(READER).locator('.rag-answer').textContent()).toBe('The model continues “"Poor little frog," said” with “Fatima”, a name from the distractor passage.');

  // Active learning: the pool's losses and the uncertainty choice are the engine's.
  await settled(page, ACTIVE);
  const active = page.locator(`${ACTIVE} [data-pool-loss]`);
  const losses: number[] = [];
  for (const text of pool.pool) {
    const ids = tokenizer.encode(text, { bos: true }).slice(0, model.config.max_position_embeddings);
    const { logits } = await model.run([ids]);
    const logProbs = tokenLogProbs(logits.data, logits.shape[2], ids);
    losses.push(-logProbs.reduce((a, b) => a + b, 0) / logProbs.length);
  }
  expectClose((await active.getAttribute('data-pool-loss'))!.split(',').map(Number), losses, 2e-3);
  const chosen = JSON.parse((await active.getAttribute('data-chosen'))!);
  expect(chosen.uncertainty).toEqual(mostUncertain(losses, 2)); // the link sets picks=2
  // one step each: the held-out loss of both copies falls below the model's
  await page.locator(ACTIVE).getByRole('button', { name: 'Fine-tune both copies' }).click();
  await page.waitForFunction((sel) => document.querySelector<HTMLElement>(`${sel} [data-pool-loss]`)?.dataset.state === 'done', ACTIVE, { timeout: 120_000 });
  const [before, uncertain, random] = (await active.getAttribute('data-held-out'))!.split(',').map(Number);
  expect(uncertain).toBeLessThan(before);
  expect(random).toBeLessThan(before);

  // Bad input: a query with no English words, an empty question, a seed out of range in the link.
  const query = page.locator(BM25).getByRole('textbox', { name: 'Query' });
  await query.fill('中文 😀');
  await page.locator(BM25).getByRole('button', { name: 'Run' }).click();
  expect(await settled(page, BM25)).toEqual({ status: 'error', message: 'The query has no words to count: type a few English words from the stories, such as little frog said.' });
  await page.locator(READER).getByRole('textbox', { name: /^Question/ }).fill('   ');
  await page.locator(READER).getByRole('button', { name: 'Run' }).click();
  expect((await settled(page, READER)).message).toContain('The question is empty');
  expect((await settled(page, ACTIVE)).message).toContain('The link sets seed to "99"');
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
}, 300_000);
