// Offline reading (src/offline): after a first visit the service worker has saved the site, and
// after a widget has run once, the model too; with the network off, chapters, search and widgets
// still work, and a page that was never saved says so.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openSite, startAllWidgets, type Site } from './helpers';

let site: Site;
beforeAll(async () => {
  site = await openSite({ webgpu: false });
});
afterAll(async () => {
  await site?.close();
});

test('a reader who visited once can read, search and run a widget with the network off', async () => {
  const opened = await site.openPage('/chapters/01-how-to-read/', { serviceWorkers: 'allow' });
  const { page, context } = opened;
  // The first page of a first visit is drawn in the system faces (src/layouts/textFonts.ts).
  const textFaces = () =>
    page.evaluate(async () => {
      await document.fonts.ready;
      return [...document.fonts]
        .filter((face) => ['Source Serif 4', 'Inter', 'JetBrains Mono'].includes(face.family.replace(/"/g, '')))
        .map((face) => `${face.family.replace(/"/g, '')} ${face.style} ${face.status}`);
    });
  expect(await textFaces()).toEqual([]);
  // The worker installs (saving every page) and takes control of the open page.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 120_000 });
  // Running a model widget online (the next-token bars run the model) saves the model's big
  // files on first use.
  await page.goto(new URL('/embed/next-token-bars/', page.url()).href);
  const online = await startAllWidgets(page);
  expect(online.map((widget) => `${widget.id}: ${widget.status}`)).toEqual(['next-token-bars: ready']);
  const bars = () => page.textContent('[data-widget] table');
  const onlineBars = await bars();
  expect(onlineBars).toContain('little');

  await context.setOffline(true);
  await page.reload();
  const offline = await startAllWidgets(page);
  expect(offline.map((widget) => `${widget.id}: ${widget.status}`)).toEqual(['next-token-bars: ready']);
  expect(await bars()).toBe(onlineBars);

  // A chapter not opened before was saved at install; search answers from the saved index.
  await page.goto(new URL('/chapters/03-rope/', page.url()).href);
  expect(await page.textContent('h1')).toBe('Rotary positions (RoPE)');
  // A page the worker controls has the text faces from its first paint (the files from its cache).
  expect(await textFaces()).toEqual(['Source Serif 4 normal loaded', 'Source Serif 4 italic loaded', 'Inter normal loaded', 'JetBrains Mono normal loaded']);
  await page.goto(new URL('/search/?q=rotary', page.url()).href);
  await page.waitForSelector('body[data-search-done="rotary"]');
  expect(await page.getAttribute('.search-result__title', 'href')).toBe('/chapters/03-rope/');

  // A page the site never had cannot be saved: the worker says the reader is offline.
  const missing = await page.goto(new URL('/chapters/no-such-chapter/', page.url()).href);
  expect(missing?.status()).toBe(503);
  expect(await page.textContent('body')).toContain('You are offline, and this page was not saved on this device.');
  await opened.close();
});
