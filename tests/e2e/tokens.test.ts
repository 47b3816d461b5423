// The tokens chapter in Chromium: the playground counts and explains bad input, the neighbours
// follow the box and the link, and the initialisation experiment trains in the page and measures
// what the engine measures in Node. What each widget shows at its default state is its contract.
import { expect, test } from 'vitest';
import { INIT_EXPERIMENT, initExperimentData } from '../../src/chapters/tokens';
import { evaluateLoss, PackedCorpus } from '../../src/llama/train';
import { Sessions } from '../../src/runtime/sessions';
import { extendVocabularyOf } from '../../src/runtime/tokensOps';
import { startAllWidgets } from './helpers';
import { settled, useChapterPage, type ChapterPage } from './helpers/chapterSite';

const PLAYGROUND = '[data-widget-id="tokens-playground"]';
const NEIGHBOURS = '[data-widget-id="tokens-neighbours"]';
const EXPERIMENT = '[data-widget-id="tokens-init-experiment"]';

let chapter: ChapterPage;
useChapterPage('/chapters/08-tokens/', (opened) => (chapter = opened));

const chipTexts = (selector: string, row: number) =>
  chapter.page.locator(`${selector} .tok-row`).nth(row).locator('.tok-chip__piece').allTextContents();

// What each widget shows at its default state (both tokenizations of the default text, the
// neighbours of "red", the shipped run) is its contract (tests/e2e/contracts/tokens-*.ts).
test('playground: counts, link state, bad input explained', async () => {
  const { page } = chapter;
  await startAllWidgets(page, 120_000);
  expect(await settled(page, PLAYGROUND)).toEqual({ status: 'ready', message: '' });

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

test('neighbours: an unknown token explained, a known one shown and linked', async () => {
  const { page } = chapter;
  expect(await settled(page, NEIGHBOURS)).toEqual({ status: 'ready', message: '' });
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

test('initialisation experiment: a run in the page, stopped, measured as in Node', async () => {
  const { page, engine } = chapter;
  expect(await settled(page, EXPERIMENT)).toEqual({ status: 'ready', message: '' });

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
