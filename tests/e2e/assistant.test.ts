// The assistant chapter in Chromium: the best-of-n figure samples the same continuations as the
// engine in Node (same seeds), scores them with the chapter's reward, and its expected reward and
// KL are the chapter's maths for those rewards; a prompt with no hero is explained.
import { expect, test } from 'vitest';
import { bestOfNKl, expectedBestReward, heroReward } from '../../src/chapters/assistant';
import { generate } from '../../src/llama/generate';
import { startAllWidgets } from './helpers';
import { linkParam, settled, useChapterSite, type ChapterSite } from './helpers/chapterSite';

const CHAPTER = '/chapters/18-assistant/';
const BEST = '[data-widget-id="assist-best-of-n"]';
const PROMPT = 'Once upon a time, there was a girl named Lily. One day,';

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });

test('best-of-n: the engine\'s samples, rewards, expected reward and KL; a prompt without a hero', async () => {
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&assist-best-of-n.samples=4`);
  const { page } = opened;
  const { model, tokenizer } = site.engine!;
  await startAllWidgets(page, 180_000);
  await settled(page, BEST);
  const rewards: number[] = [];
  for (let seed = 1; seed <= 4; seed++) {
    const { newIds } = await generate(model, tokenizer.encode(PROMPT, { bos: true }), { maxNewTokens: 40, temperature: 1, seed });
    rewards.push(heroReward('Lily', tokenizer.decode(newIds)));
  }
  const figure = page.locator(`${BEST} [data-rewards]`);
  expect(await figure.getAttribute('data-rewards')).toBe(rewards.join(','));
  expect(Number(await figure.getAttribute('data-expected'))).toBeCloseTo(expectedBestReward(rewards, 4), 5);
  await page.locator(BEST).getByRole('slider', { name: 'n', exact: true }).fill('64');
  await expect.poll(() => figure.getAttribute('data-kl')).toBe(bestOfNKl(rewards, 64).toFixed(6));
  expect(linkParam(page, 'assist-best-of-n.n')).toBe('64');

  await page.locator(BEST).getByRole('textbox', { name: 'Prompt' }).fill('Once upon a time');
  await page.locator(BEST).getByRole('button', { name: 'Run' }).click();
  expect(await settled(page, BEST)).toEqual({
    status: 'error',
    message: 'The prompt names no hero for the reward to look for: introduce one with "named" or "called", as in "a girl named Lily".',
  });
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
}, 240_000);
