// The glossary: the first use of a term in a chapter links to its entry, and its definition shows
// as a tooltip from the keyboard, hides on Escape, and never makes a phone page scroll sideways.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openSite, problemsOnPage, type Site } from './helpers';
import { GLOSSARY } from '../../src/glossary/terms';

let site: Site;
beforeAll(async () => {
  site = await openSite({ webgpu: false });
});
afterAll(async () => {
  await site?.close();
});

test('a term tooltip shows on keyboard focus, hides on Escape, and fits a 390 px phone', async () => {
  const opened = await site.openPage('/chapters/07-decoding/', { viewport: { width: 390, height: 844 } });
  const { page } = opened;
  const terms = await page.$$eval('.term__link', (links) => links.map((link) => link.getAttribute('href')));
  // Each term once, in reading order; the first is "logits" in the opening paragraph.
  expect(new Set(terms).size).toBe(terms.length);
  expect(terms[0]).toBe('/glossary/#logit');

  const link = page.locator('.term__link').first();
  const tip = page.locator('#term-tip-logit');
  expect(await tip.isVisible()).toBe(false);
  await link.focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab'); // focus arrives from the keyboard: focus-visible
  expect(await tip.isVisible()).toBe(true);
  expect(await tip.textContent()).toBe(GLOSSARY.find((term) => term.id === 'logit')!.definition);
  expect(await link.getAttribute('aria-describedby')).toBe('term-tip-logit');
  const box = (await tip.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);

  await page.keyboard.press('Escape');
  expect(await tip.isVisible()).toBe(false);
  await opened.close();
});

test('the glossary page lists every term with the chapter that explains it', async () => {
  const opened = await site.openPage('/glossary/#softmax');
  const { page } = opened;
  const entries = await page.$$eval('.glossary__entry', (items) => items.map((item) => item.id));
  expect(entries.sort()).toEqual(GLOSSARY.map((term) => term.id).sort());
  expect(await page.textContent('#softmax dd a')).toBe('Attention');
  expect(await page.getAttribute('#softmax dd a', 'href')).toBe('/chapters/02-attention/#queries-keys-and-values');
  expect(await problemsOnPage(opened)).toEqual([]);
  await opened.close();
});
