// The built site in a real Chromium: every built page is swept once (loads cleanly in both themes
// and at both widths, math rendered, widgets drawn, accessible), navigation works, the theme
// switch works, and the Content-Security-Policy refuses injected code.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { embedHeight } from '../../src/embed/embedHeights';
import { builtPagePaths, chapterPaths, isDeckPath, mathLayoutProblems, openSite, pageKind, pagePool, DESKTOP, sweepPage, type OpenedPage, type PagePool, type Site } from './helpers';
import { lazyNodeEngine, widgetContractProblems } from './helpers/contracts';

let site: Site;
/**
 * Pages the sweeps navigate again (helpers/page.ts pagePool). The home page and a chapter, weighed
 * first, open with an init script, which the pool opens fresh: their first load fetches every file.
 */
let pool: PagePool;
/** The shipped model in Node for the widget contracts, loaded when the first contract asks for it. */
const engine = lazyNodeEngine();
beforeAll(async () => {
  // The browser without a WebGPU adapter: every swept page runs its widgets on wasm (?backend=wasm,
  // whose note reads the same in both browsers), and SwiftShader's Vulkan compositing cost about 9 %
  // more CPU on a sweep (runtime.test.ts and widgets.test.ts keep the WebGPU browser).
  site = await openSite({ webgpu: false });
  pool = pagePool(site.browser, site.url);
});
afterAll(async () => {
  await pool?.close();
  await site?.close();
  engine.dispose();
});

// The sweep: one test per built page (pages under /test/ are other test files' fixtures), generated
// from dist/, so a new chapter, deck or widget is covered without a line here. Each page is
// loaded once, its widgets drawn once (on wasm), and every page check runs in both themes and at
// both widths (helpers/sweep.ts): status, console and page errors, other origins, unrendered
// math, math layout, sideways scroll, axe after the widgets have drawn; the home page and each
// chapter are first weighed, before any widget is near (the 60 KB budget). A chapter then has its
// math counted, its KaTeX fonts, contents and previous/next links checked on the same load; an
// embed page is as tall as its committed oEmbed height, which its oEmbed answer gives.
// The sweeps run three at a time (the browser project's maxConcurrency): the work is in Chromium,
// in the page and its model worker, so one test file keeps both cores busy. Chapters, the longest,
// go first.
const KIND_ORDER = { chapter: 0, embed: 1, other: 2 } as const;
// A deck (/slides/<chapter>/) is swept by slides.test.ts, which then walks that same load slide by
// slide; its presenter view is swept here.
const sweptPages = builtPagePaths()
  .filter((path) => !path.startsWith('/test/') && !isDeckPath(path))
  .sort((a, b) => KIND_ORDER[pageKind(a)] - KIND_ORDER[pageKind(b)] || a.localeCompare(b));

test.concurrent.each(sweptPages)('sweep %s', async (path) => {
  const { problems, opened, widgets, firstLoad } = await sweepPage(pool.openPage, path);
  if (firstLoad) {
    const total = [...firstLoad.values()].reduce((sum, bytes) => sum + bytes, 0);
    console.info(`${path}: ${(total / 1024).toFixed(1)} KB gzipped before any widget is near`, Object.fromEntries(firstLoad));
  }
  expect(problems).toEqual([]);
  if (path === '/' || pageKind(path) === 'chapter') expect(firstLoad, 'the page was weighed').toBeDefined();
  const kind = pageKind(path);
  if (kind === 'chapter' || kind === 'embed') expect(widgets.length, 'widgets on the page').toBeGreaterThan(0);
  if (kind === 'chapter') await checkChapter(opened, path);
  if (kind === 'embed') {
    await checkOembedAnswer(path.split('/')[2]);
    // The widget's contract (tests/e2e/contracts/<name>.ts): what it shows is what the engine computes.
    expect(await widgetContractProblems(opened, path.split('/')[2], engine.get)).toEqual([]);
  }
  await opened.close();
}, 360_000); // two views of a chapter whose widgets run the model, on a busy 2-core machine

/** An embed's oEmbed answer gives the committed height (the sweep measured the page against it). */
async function checkOembedAnswer(name: string): Promise<void> {
  const committed = embedHeight(name);
  expect(committed, `src/embed/embed-heights.json has no height for ${name}: run npm run measure-embeds`).toBeDefined();
  const answer = (await (await fetch(new URL(`/oembed/${name}.json`, site.url))).json()) as { height: number; html: string };
  expect(answer.height).toBe(committed);
  expect(answer.html).toContain(` height="${committed}" `);
}

/**
 * The checks only a chapter has, on the swept page (desktop, light, widgets drawn): its math is
 * there in both forms, with the size check measuring something, in KaTeX's fonts from this site;
 * the contents; the previous and next links.
 */
async function checkChapter(opened: OpenedPage, path: string): Promise<void> {
  const { display, inline, mathml, scripts } = await opened.page.evaluate(() => ({
    display: document.querySelectorAll('.katex-display').length,
    inline: document.querySelectorAll('.katex:not(.katex-display .katex)').length,
    mathml: document.querySelectorAll('.katex math').length,
    scripts: document.querySelectorAll('.katex-html .msupsub').length,
  }));
  expect(display).toBeGreaterThan(0);
  expect(inline).toBeGreaterThan(0);
  expect(scripts, 'the size check had sub- or superscripts to measure').toBeGreaterThan(0);
  expect(mathml).toBe(display + inline); // every formula also carries MathML for screen readers
  // The KaTeX fonts are loaded from this site (the stylesheet's @font-face applied).
  const katexFontLoaded = await opened.page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].some((font) => font.family.includes('KaTeX') && font.status === 'loaded');
  });
  expect(katexFontLoaded).toBe(true);
  await checkTableOfContents(opened);
  await checkPager(opened, path);
}

/**
 * The previous and next links lead to the neighbouring chapters in the site's order (the first
 * chapter's previous and the last one's next lead home). Read from the page; one test below clicks
 * through them, on one chapter.
 */
async function checkPager(opened: OpenedPage, path: string): Promise<void> {
  const order = ['/', ...chapterPaths(), '/'];
  const at = order.indexOf(path, 1);
  const pager = opened.page.getByRole('navigation', { name: 'Previous and next chapter' });
  const hrefs = await Promise.all(['prev', 'next'].map((rel) => pager.locator(`a[rel="${rel}"]`).evaluateAll((links) => links.map((a) => a.getAttribute('href')))));
  expect(hrefs).toEqual([[order[at - 1]], [order[at + 1]]]);
}

/** The text a reader sees in `el`: its text without KaTeX's MathML (which only screen readers read). */
function visibleText(el: Element): string {
  const copy = el.cloneNode(true) as Element;
  for (const mathml of copy.querySelectorAll('.katex-mathml')) mathml.remove();
  return (copy.textContent ?? '').replace(/\u200b/g, '').replace(/\s+/g, ' ').trim();
}

/**
 * The table of contents (checked on a page whose widgets have all drawn): each entry links to a
 * heading of the page and reads as that heading reads, math drawn, not KaTeX's doubled text. With
 * `click`, clicking each entry also brings its heading into view below the sticky header (the same
 * CSS on every chapter: one chapter clicks, in its own test below).
 */
async function checkTableOfContents(opened: OpenedPage, { click = false } = {}): Promise<void> {
  const { page } = opened;
  await page.evaluate(() => window.scrollTo(0, 0));
  const toc = page.getByRole('navigation', { name: 'On this page' });
  const links = toc.getByRole('link');
  const count = await links.count();
  expect(count).toBeGreaterThan(1);
  for (let i = 0; i < count; i++) {
    const link = links.nth(i);
    const target = decodeURIComponent((await link.getAttribute('href'))!.slice(1));
    const heading = page.locator(`[id="${target}"]`);
    expect(await heading.count(), `a heading with the id of the entry #${target}`).toBe(1);
    if (click) {
      await link.click();
      await page.waitForFunction((id) => location.hash === `#${encodeURIComponent(id)}` || location.hash === `#${id}`, target);
      // It lands just below the header (scroll-padding-top is 5rem; the header is about 4rem), or
      // as high as it gets where the page ends, and stays there while the figures above it draw
      // and grow (src/layouts/keep-in-view.ts).
      const headingPlace = () =>
        heading.evaluate((el) => {
          const { top } = el.getBoundingClientRect();
          const headerBottom = document.querySelector('.site-header')!.getBoundingClientRect().bottom;
          const atEnd = scrollY + innerHeight >= document.documentElement.scrollHeight - 1;
          if (top < headerBottom - 1 || top >= innerHeight) return `out of view: ${Math.round(top - headerBottom)} px below the header`;
          return top <= headerBottom + 40 || atEnd ? 'below the header' : `${Math.round(top - headerBottom)} px below the header`;
        });
      await expect.poll(headingPlace, { timeout: 10_000 }).toBe('below the header');
    }
    const [linkText, headingText] = await Promise.all([link.evaluate(visibleText), heading.evaluate(visibleText)]);
    expect(linkText).toBe(headingText);
    const [linkFormulas, headingFormulas] = await Promise.all([link.locator('.katex').count(), heading.locator('.katex').count()]);
    expect(linkFormulas, `formulas in the entry "${linkText}"`).toBe(headingFormulas);
  }
}

test('on a chapter, each contents entry brings its heading into view below the header, and the previous and next links load their chapters', async () => {
  const path = chapterPaths()[1];
  // with the motion a reader gets by default: the jump is a smooth scroll
  const opened = await site.openPage(`${path}?backend=wasm`, { viewport: DESKTOP, reducedMotion: 'no-preference' });
  const { page } = opened;
  await checkTableOfContents(opened, { click: true });
  const pager = page.getByRole('navigation', { name: 'Previous and next chapter' });
  for (const rel of ['prev', 'next']) {
    const link = pager.locator(`a[rel="${rel}"]`);
    const href = (await link.getAttribute('href'))!;
    await link.click();
    await page.waitForURL((url) => url.pathname === href);
    expect(await page.locator('h1').count()).toBe(1);
    await page.goBack();
    await page.waitForURL((url) => url.pathname === path);
  }
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('the contents show a heading with math as it reads, not TeX source or doubled text', async () => {
  const opened = await site.openPage('/chapters/02-attention/?backend=wasm');
  const entry = opened.page.getByRole('navigation', { name: 'On this page' }).locator('a[href^="#why-divide"]');
  expect(await entry.evaluate(visibleText)).toBe('Why divide by the square root of dk');
  // The k is drawn as a subscript (mathLayoutProblems checks that it is smaller), and screen
  // readers get the MathML.
  expect(await entry.locator('.katex-html .msupsub').evaluate(visibleText)).toBe('k');
  expect(await entry.locator('.katex-mathml annotation').textContent()).toBe('d_k');
  expect(await mathLayoutProblems(opened)).toEqual([]);
  await opened.close();
});

test('the chapter list on the home page links every chapter with its summary', async () => {
  const opened = await site.openPage('/');
  const links = opened.page.getByRole('region', { name: 'Chapters' }).getByRole('link');
  const hrefs = await links.evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
  expect(hrefs.sort()).toEqual(chapterPaths());
  const firstText = await links.first().textContent();
  expect(firstText).toContain('How to read this notebook');
  expect(firstText).toContain('What the tiny model is');
  await opened.close();
});

test('a chapter with slides links to its deck, and the deck page loads', async () => {
  const opened = await site.openPage('/chapters/01-how-to-read/');
  const slides = opened.page.getByRole('link', { name: 'View as slides' });
  expect(await slides.getAttribute('href')).toBe('/slides/01-how-to-read/');
  const response = await opened.page.request.get(new URL('/slides/01-how-to-read/', site.url).href);
  expect(response.status()).toBe(200);
  await opened.close();
});

test('the theme switch toggles dark mode and remembers it across pages', async () => {
  const opened = await site.openPage('/', { colorScheme: 'light' });
  const { page } = opened;
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const lightBackground = await background();
  const toggle = page.getByRole('button', { name: 'Dark theme' });
  await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('false');
  await toggle.press('Enter');
  expect(await toggle.getAttribute('aria-pressed')).toBe('true');
  expect(await background()).not.toBe(lightBackground);
  await page.goto(new URL(chapterPaths()[0], site.url).href);
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
  expect(await background()).not.toBe(lightBackground);
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('the theme follows the system setting when the reader has not chosen one', async () => {
  const light = await site.openPage('/', { colorScheme: 'light' });
  const dark = await site.openPage('/', { colorScheme: 'dark' });
  const background = (opened: typeof light) => opened.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(await background(light)).toBe('rgb(251, 250, 247)');
  expect(await background(dark)).toBe('rgb(21, 22, 26)');
  await light.close();
  await dark.close();
});

test('the Content-Security-Policy blocks an injected inline script and style attribute', async () => {
  const opened = await site.openPage(chapterPaths()[0]);
  const { page } = opened;
  const outcome = await page.evaluate(async () => {
    const violations: string[] = [];
    document.addEventListener('securitypolicyviolation', (event) => violations.push(event.violatedDirective));
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true;';
    document.body.append(script);
    const probe = document.createElement('p');
    probe.setAttribute('style', 'color: rgb(1, 2, 3)');
    document.body.append(probe);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return {
      ran: (window as unknown as { __injected?: boolean }).__injected === true,
      probeColor: getComputedStyle(probe).color,
      violations,
    };
  });
  expect(outcome.ran).toBe(false);
  expect(outcome.probeColor).not.toBe('rgb(1, 2, 3)');
  expect(outcome.violations).toEqual(expect.arrayContaining(['script-src-elem', 'style-src-attr']));
  expect(opened.consoleErrors.some((text) => text.includes('Content Security Policy'))).toBe(true);
  await opened.close();
});
