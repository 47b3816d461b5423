// Search (src/search): the build indexes the chapters with Pagefind, and /search/ answers from that
// index in the browser, from this origin only, with the query in the URL.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openSite, problemsOnPage, type Site } from './helpers';

let site: Site;
beforeAll(async () => {
  site = await openSite({ webgpu: false });
});
afterAll(async () => {
  await site?.close();
});

const results = (page: import('playwright-core').Page) =>
  page.$$eval('.search-result', (items) =>
    items.map((item) => ({
      title: item.querySelector('.search-result__title')?.textContent,
      href: item.querySelector('.search-result__title')?.getAttribute('href'),
      marks: [...item.querySelectorAll('.search-result__excerpt mark')].map((mark) => mark.textContent?.toLowerCase()),
      sections: [...item.querySelectorAll('.search-result__sections a')].map((a) => a.getAttribute('href')),
    })),
  );

test('a linked query finds the chapter about it first, with the words marked and its sections linked', async () => {
  const opened = await site.openPage('/search/?q=rotary', { viewport: { width: 390, height: 844 } });
  const { page } = opened;
  await page.waitForSelector('body[data-search-done="rotary"]');
  const found = await results(page);
  expect(found[0].title).toBe('Rotary positions (RoPE)');
  expect(found[0].href).toBe('/chapters/03-rope/');
  expect(found[0].marks).toContain('rotary');
  expect(found[0].sections.length).toBeGreaterThan(0);
  expect(found[0].sections.every((href) => href?.startsWith('/chapters/03-rope/#'))).toBe(true);
  expect(await page.textContent('[data-search-status]')).toBe(`${found.length} ${found.length === 1 ? 'chapter mentions' : 'chapters mention'} “rotary”.`);
  // The index and its library come from this site; the page passes the site's checks at 390 px.
  expect(opened.requests.some(({ url }) => url.includes('/pagefind/'))).toBe(true);
  expect(await problemsOnPage(opened)).toEqual([]);
  await opened.close();
});

test('typing searches as you go, keeps the query in the URL, and says when nothing matches', async () => {
  const opened = await site.openPage('/search/');
  const { page } = opened;
  await page.focus('[data-search-input]');
  await page.keyboard.type('repetition penalty');
  await page.waitForSelector('body[data-search-done="repetition penalty"]');
  expect((await results(page))[0].href).toBe('/chapters/07-decoding/');
  expect(new URL(page.url()).searchParams.get('q')).toBe('repetition penalty');

  await page.fill('[data-search-input]', 'qqxjzvw');
  await page.waitForSelector('body[data-search-done="qqxjzvw"]');
  expect(await results(page)).toEqual([]);
  expect(await page.textContent('[data-search-status]')).toBe('No chapter mentions “qqxjzvw”. Try fewer or shorter words.');
  await opened.close();
});

test('speaker notes, slide points and the table of contents are not indexed', async () => {
  // "Ask the room" opens many speaker notes and appears nowhere in the chapters' reading text; a
  // quoted phrase of the reading text ("dog bites man", in the attention chapter) is found.
  const opened = await site.openPage('/search/?q=%22dog%20bites%20man%22');
  await opened.page.waitForSelector('body[data-search-done]');
  expect((await results(opened.page)).map((r) => r.href)).toEqual(['/chapters/02-attention/']);
  await opened.page.fill('[data-search-input]', '"ask the room"');
  await opened.page.waitForSelector('body[data-search-done="\\"ask the room\\""]');
  expect(await results(opened.page)).toEqual([]);
  await opened.close();
});
