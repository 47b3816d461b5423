// The tokens chapter in Chromium: the playground shows the pieces both tokenizers give in Node,
// the neighbours are the engine's nearest rows by cosine, and the initialisation experiment shows
// the shipped run, then trains in the page and measures what the engine measures in Node.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { INIT_EXPERIMENT, initExperimentData, nearestByCosine, pieceGroup, sampleRows, tokenView, type TokensInitRunFile } from '../../src/chapters/tokens';
import { PER_GROUP } from '../../components/TokensNeighbours';
import { fullLlamaTokenizerJSON } from '../../src/llama/llama2Vocabulary';
import { Tokenizer } from '../../src/llama/tokenizer';
import { evaluateLoss, PackedCorpus } from '../../src/llama/train';
import { EMBED_TOKENS } from '../../src/llama/weights';
import { Sessions } from '../../src/runtime/sessions';
import { extendVocabularyOf } from '../../src/runtime/tokensOps';
import { pieceLabel } from '../../src/widgets/pieces';
import { startAllWidgets } from './helpers';
import { settled, useChapterPage, type ChapterPage } from './helpers/chapterSite';

const PLAYGROUND = '[data-widget-id="tokens-playground"]';
const NEIGHBOURS = '[data-widget-id="tokens-neighbours"]';
const EXPERIMENT = '[data-widget-id="tokens-init-experiment"]';

let chapter: ChapterPage;
useChapterPage('/chapters/08-tokens/', (opened) => (chapter = opened));

const chipTexts = (selector: string, row: number) =>
  chapter.page.locator(`${selector} .tok-row`).nth(row).locator('.tok-chip__piece').allTextContents();

test('playground: both tokenizations as in Node, counts, link state, bad input explained', async () => {
  const { page, engine } = chapter;
  await startAllWidgets(page, 120_000);
  expect(await settled(page, PLAYGROUND)).toEqual({ status: 'ready', message: '' });
  const full = new Tokenizer(fullLlamaTokenizerJSON());
  const text = 'Once upon a time, a little cat 小猫 saw a 🦙.';
  expect(await chipTexts(PLAYGROUND, 0)).toEqual(tokenView(engine.tokenizer, text).map((token) => pieceLabel(token.piece)));
  expect(await chipTexts(PLAYGROUND, 1)).toEqual(tokenView(full, text).map((token) => pieceLabel(token.piece)));

  const box = page.locator(PLAYGROUND).getByRole('textbox');
  await box.fill('Hello world');
  await page.waitForFunction((sel) => document.querySelector(sel)?.querySelectorAll('.tok-row')[1]?.textContent?.includes('2 tokens'), PLAYGROUND);
  const counts = await page.locator(`${PLAYGROUND} .tok-row__count`).allTextContents();
  expect(counts[0]).toMatch(/^5 tokens for 11 characters/);
  expect(counts[1]).toMatch(/^2 tokens for 11 characters/);
  expect(new URL(page.url()).searchParams.get('tokens-playground.text')).toBe('Hello world');

  await box.fill('a\u0007b');
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('control character'), PLAYGROUND);
  expect((await settled(page, PLAYGROUND)).status).toBe('note');
  expect(await chipTexts(PLAYGROUND, 0)).toEqual(['␣a', '<0x07>', 'b']);

  await box.fill('');
  await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLElement).dataset.status === 'error', PLAYGROUND);
  expect(await settled(page, PLAYGROUND)).toEqual({ status: 'error', message: 'Type some text: an empty text has no tokens.' });
  // The whole vocabulary came from this site's own files.
  expect(chapter.opened.requests.filter((request) => !request.url.startsWith(chapter.site.server.url))).toEqual([]);
});

test('neighbours: the engine nearest rows by cosine, the sampled dots, an unknown token explained', async () => {
  const { page, engine } = chapter;
  expect(await settled(page, NEIGHBOURS)).toEqual({ status: 'ready', message: '' });
  const table = Float32Array.from(engine.model.params.get(EMBED_TOKENS)!.dataSync() as Float32Array);
  const expected = nearestByCosine(table, 128, engine.tokenizer.pieces.indexOf('▁red'), 8);
  const rows = await page.locator(`${NEIGHBOURS} table tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => Number(row[1]))).toEqual(expected.map((n) => n.id));
  rows.forEach((row, i) => expect(Number(row[2].replace('−', '-'))).toBeCloseTo(expected[i].cosine, 3));
  // the 471 sampled pieces, plus ▁red and those of its neighbours the sample lacks; verbs have their colour
  const drawn = new Set([...sampleRows(engine.tokenizer.pieces, PER_GROUP), engine.tokenizer.pieces.indexOf('▁red'), ...expected.map((n) => n.id)]);
  expect(await page.locator(`${NEIGHBOURS} circle`).count()).toBe(drawn.size);
  const verbs = [...drawn].filter((id) => pieceGroup(engine.tokenizer.pieces[id]) === 'verb').length;
  expect(verbs).toBeGreaterThan(50);
  expect(await page.locator(`${NEIGHBOURS} circle.tok-dot--verb`).count()).toBe(verbs);

  const box = page.locator(NEIGHBOURS).getByRole('textbox');
  await box.fill('xylophone');
  await box.press('Enter');
  const refused = await settled(page, NEIGHBOURS);
  expect(refused.status).toBe('error');
  expect(refused.message).toMatch(/^"xylophone" is not one piece of our vocabulary/);
  await box.fill('happy');
  await box.press('Enter');
  await page.waitForFunction((sel) => document.querySelector(`${sel} caption`)?.textContent?.includes('␣happy'), NEIGHBOURS);
  expect(new URL(page.url()).searchParams.get('tokens-neighbours.token')).toBe('happy');
});

test('initialisation experiment: the shipped run first, then a run in the page, stopped, measured as in Node', async () => {
  const { page, engine } = chapter;
  expect(await settled(page, EXPERIMENT)).toEqual({ status: 'ready', message: '' });
  const shipped = JSON.parse(readFileSync('public/data/tokens-init-run.json', 'utf8')) as TokensInitRunFile;
  expect(await page.locator(`${EXPERIMENT} .tok-source`).textContent()).toMatch(/^You see the run shipped with this page/);
  const shippedRows = await page.locator(`${EXPERIMENT} table tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(shippedRows.map((row) => row[4])).toEqual(shipped.runs.map((run) => run.heldOutAfter.toFixed(2)));

  // Two new pieces, trained in the page: the held-out loss before training is what Node computes.
  const count = page.locator(EXPERIMENT).getByRole('spinbutton', { name: 'New pieces' });
  await count.fill('36');
  await count.dispatchEvent('change');
  expect((await settled(page, EXPERIMENT)).message).toMatch(/^New pieces must be a whole number from 1 to 35/);
  await count.fill('2');
  await count.dispatchEvent('change');
  expect(new URL(page.url()).searchParams.get('tokens-init-experiment.pieces')).toBe('2');
  expect(await page.locator(`${EXPERIMENT} .mw-readout`).textContent()).toBe('The 2 new pieces: 喜 欢');
  // Train here, then Stop once the first copy (random rows) has taken two steps: the widget
  // says where it stopped, and its held-out loss before training is the one Node computes.
  const train = page.locator(EXPERIMENT).getByRole('button', { name: 'Train here' });
  await train.click();
  await page.waitForFunction((sel) => document.querySelectorAll(`${sel} path.chart-line`).length === 1 && document.querySelector(`${sel} tbody tr td:nth-child(2)`)?.textContent !== '', EXPERIMENT, { timeout: 240_000 });
  await page.locator(EXPERIMENT).getByRole('button', { name: 'Stop' }).click();
  const stopped = await settled(page, EXPERIMENT);
  expect(stopped.status).toBe('note');
  expect(stopped.message).toMatch(/^Stopped after \d+ steps of the random N\(0, 0\.02²\) copy\.$/);
  expect(await page.locator(`${EXPERIMENT} .tok-source`).textContent()).toMatch(/^You see a run trained in your browser \(wasm backend\)/);
  await page.locator(EXPERIMENT).getByRole('button', { name: 'Train here' }).waitFor();
  const rows = await page.locator(`${EXPERIMENT} table tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows).toHaveLength(1);
  const sessions = new Sessions(() => engine.model);
  const data = initExperimentData(engine.tokenizer, 2);
  extendVocabularyOf(sessions, { name: 'random', byteIds: data.byteIds, init: 'random', seed: INIT_EXPERIMENT.initSeed });
  const before = evaluateLoss(sessions.model('random'), new PackedCorpus(data.heldOut).evaluationBatches(4, INIT_EXPERIMENT.heldOutSeqLength, 4));
  sessions.drop('random');
  expect(Number(rows[0][3])).toBeCloseTo(before, 1);
  expect(chapter.opened.consoleErrors).toEqual([]);
  expect(chapter.opened.pageErrors).toEqual([]);
}, 400_000);
