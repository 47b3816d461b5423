// A chapter's slide deck in a real browser: keyboard navigation, the presenter view with notes,
// widget state shared between windows, links to a slide with a state, and printing to PDF; then
// every slide of every deck, widgets started, checked against the 1280 x 720 canvas.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SLIDE_HEIGHT, SLIDE_WIDTH } from '../../src/slides/config';
import { MIN_FIGURE_SCALE } from '../../src/slides/fitFigure';
import { chapterPaths, DECK_VIEWS, DIST_DIR, openSite, pagePool, problemsOnPage, sweepPage, sweepUrl, type OpenedPage, type PagePool, type Site } from './helpers';

const CHAPTER = '01-how-to-read';
const DECK = `/slides/${CHAPTER}/`;
const SLIDER = { name: 'Temperature T' } as const;
/** How long a poll waits for another window to catch up. A bound, not a speed claim: on a loaded machine the presenter's two deck frames take seconds to start, and vitest's default is 1 s. */
const CATCH_UP = { timeout: 20_000 } as const;

let site: Site;
/** Pages the deck walks navigate again (helpers/page.ts pagePool: a renderer and caches kept warm). */
let pool: PagePool;
let audience: OpenedPage;
/** Index of the first slide with the temperature widget on it. */
let widgetSlide: number;

beforeAll(async () => {
  site = await openSite({ webgpu: false });
  pool = pagePool(site.browser, site.url);
  audience = await site.openPage(DECK);
  await audience.page.waitForSelector('html[data-deck-ready]');
  widgetSlide = await audience.page.evaluate(() =>
    [...document.querySelectorAll('.reveal .slides > section')].findIndex((slide) => slide.querySelector('[data-widget]')),
  );
});
afterAll(async () => {
  await pool?.close();
  await site?.close();
});

/** The slides the chapter page's HTML makes: a title slide, then one per h2/h3 and one per slide break. */
function expectedSlideCount(chapter = CHAPTER): number {
  const html = readFileSync(join(DIST_DIR, 'chapters', chapter, 'index.html'), 'utf8');
  // The exercises section (drawn by the chapter layout) is for readers, not a slide.
  const article = html.slice(html.indexOf('<article'), html.indexOf('</article>')).replace(/<section class="exercises"[\s\S]*?<\/section>/, '');
  const headings = article.match(/<h[23][\s>]/g)?.length ?? 0;
  const breaks = article.match(/<hr data-slide-break/g)?.length ?? 0;
  return 1 + headings + breaks;
}

async function slideNumber(page: Page | Frame): Promise<string> {
  return ((await page.locator('.reveal .slide-number').textContent()) ?? '').replace(/\s+/g, '');
}

async function settledWidget(page: Page | Frame): Promise<void> {
  await page.waitForFunction(() => {
    const widget = document.querySelector<HTMLElement>('.reveal .slides > section.present [data-widget]');
    return widget !== null && ['ready', 'note', 'error'].includes(widget.dataset.status ?? '');
  });
}

test('the deck passes the site checks and has one slide per section of the chapter', async () => {
  expect(await problemsOnPage(audience)).toEqual([]);
  const total = expectedSlideCount();
  expect(await audience.page.locator('.reveal .slides > section').count()).toBe(total);
  expect(await slideNumber(audience.page)).toBe(`1/${total}`);
  expect(widgetSlide).toBeGreaterThan(0);
  // reveal.js is in the deck's scripts and in none of the chapter page's.
  const revealIn = async (path: string) => {
    const opened = await site.openPage(path);
    const scripts = await opened.page.evaluate(() =>
      [...document.querySelectorAll<HTMLScriptElement>('script[src]')].map((script) => new URL(script.src).pathname),
    );
    await opened.close();
    return scripts.some((script) => readFileSync(join(DIST_DIR, script), 'utf8').includes('getTotalSlides'));
  };
  expect(await revealIn(DECK)).toBe(true);
  expect(await revealIn(`/chapters/${CHAPTER}/`)).toBe(false);
});

test('the keyboard moves through the slides and the widget on a slide starts when it is shown', async () => {
  const { page } = audience;
  await page.locator('body').focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => new URL(page.url()).hash, CATCH_UP).toBe('#/1');
  expect(await slideNumber(page)).toMatch(/^2\//);
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => new URL(page.url()).hash, CATCH_UP).toBe('');
  for (let i = 0; i < widgetSlide; i++) await page.keyboard.press('ArrowRight');
  await expect.poll(() => new URL(page.url()).hash, CATCH_UP).toBe(`#/${widgetSlide}`);
  await settledWidget(page);
  expect(await page.getByRole('slider', SLIDER).inputValue()).toBe('1');
});

test('the presenter view follows the deck, shows the notes, and a slider change reaches the other window', async () => {
  // The audience shows the widget's slide (as the keyboard test leaves it).
  await audience.page.evaluate((slide) => (location.hash = `#/${slide}`), widgetSlide);
  await settledWidget(audience.page);
  const presenter = await audience.context.newPage();
  const presenterErrors: string[] = [];
  presenter.on('console', (message) => message.type() === 'error' && presenterErrors.push(message.text()));
  await presenter.goto(new URL(`${DECK}presenter/`, site.url).href);
  const current = presenter.frameLocator('iframe[data-frame="current"]');
  // The presenter joins where the audience is.
  await expect.poll(() => presenter.locator('[data-slide-count]').textContent(), CATCH_UP).toBe(String(widgetSlide + 1));
  const notes = presenter.locator(`[data-notes-for="${widgetSlide}"]`);
  expect(await notes.isVisible()).toBe(true);
  expect(await presenter.locator('[data-notes-for]:visible').count()).toBe(1);
  // The <Notes> under the figure in content/01-how-to-read.mdx, shown only here.
  expect(await notes.textContent()).toContain('ask the room where the probability of “mat” goes');
  expect(await audience.page.locator('.reveal').textContent()).not.toContain('ask the room');

  // Presenter -> audience: one step of the slider in the presenter's current slide.
  const presenterSlider = current.getByRole('slider', SLIDER);
  await presenterSlider.waitFor();
  await presenterSlider.focus();
  await presenter.keyboard.press('ArrowRight');
  expect(await presenterSlider.inputValue()).toBe('1.05');
  await expect.poll(() => audience.page.getByRole('slider', SLIDER).inputValue(), CATCH_UP).toBe('1.05');
  expect(new URL(audience.page.url()).searchParams.get('softmax-temperature.temperature')).toBe('1.05');

  // Audience -> presenter.
  await audience.page.getByRole('slider', SLIDER).fill('2');
  await expect.poll(() => presenterSlider.inputValue(), CATCH_UP).toBe('2');

  // The presenter's Next button moves the audience.
  await presenter.getByRole('button', { name: 'Next' }).click();
  await expect.poll(() => new URL(audience.page.url()).hash, CATCH_UP).toBe(`#/${widgetSlide + 1}`);
  await expect.poll(() => presenter.locator('[data-slide-count]').textContent(), CATCH_UP).toBe(String(widgetSlide + 2));
  expect(presenterErrors).toEqual([]);
  expect(audience.consoleErrors).toEqual([]);
  await presenter.close();
});

test('a presenter view opened alone from a link to a slide shows that slide and its notes', async () => {
  const opened = await site.openPage(`${DECK}presenter/#/${widgetSlide}`);
  const { page } = opened;
  await expect.poll(() => page.locator('[data-slide-count]').textContent(), CATCH_UP).toBe(String(widgetSlide + 1));
  expect(await page.locator(`[data-notes-for="${widgetSlide}"]`).isVisible()).toBe(true);
  // The "next" frame shows the slide after it.
  const next = page.frames().find((frame) => frame.url().includes('view=next'))!;
  await expect.poll(() => next.evaluate(() => window.deck?.getIndices().h), CATCH_UP).toBe(widgetSlide + 1);
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('a deck opened on a phone (reveal.js scroll view) and then widened fits and runs the widget of its slide', async () => {
  // Leaving the scroll view rebuilds the slides from their HTML: the widget started on the phone
  // runs again in the new element, and the new figure is fitted to its slide.
  const opened = await site.openPage(`${DECK}?backend=wasm`, { viewport: { width: 390, height: 844 } });
  const { page } = opened;
  await page.waitForSelector('html[data-deck-ready]');
  expect(await page.evaluate(() => window.deck!.isScrollView())).toBe(true);
  const figure = page.locator('[data-widget]').first();
  await figure.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-widget]')!.dataset.drawn === 'true');
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.evaluate((index) => window.deck!.slide(index), widgetSlide);
  await page.waitForFunction(
    () => {
      const shown = document.querySelector<HTMLElement>('.reveal .slides > section.present [data-widget]');
      return shown?.dataset.drawn === 'true' && shown.dataset.slideFit === 'done';
    },
    undefined,
    { timeout: 60_000 },
  );
  expect(await page.evaluate(() => window.deck!.isScrollView())).toBe(false);
  expect(await page.locator('.reveal .slides > section.present [data-widget] [data-widget-stage] svg').count()).toBeGreaterThan(0);
  expect(opened.pageErrors).toEqual([]);
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('a link opens the deck at a given slide with a given widget state', async () => {
  const opened = await site.openPage(`${DECK}?softmax-temperature.temperature=0.5#/${widgetSlide}`);
  await opened.page.waitForSelector('html[data-deck-ready]');
  expect(await slideNumber(opened.page)).toMatch(new RegExp(`^${widgetSlide + 1}/`));
  await settledWidget(opened.page);
  expect(await opened.page.getByRole('slider', SLIDER).inputValue()).toBe('0.5');
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('printing gives one PDF page per slide, widgets drawn as they are', async () => {
  const opened = await site.openPage(`${DECK}?print-pdf&softmax-temperature.temperature=0.5`);
  await opened.page.waitForSelector('html[data-widgets-started]');
  expect(await opened.page.locator('.pdf-page [data-widget] svg').count()).toBeGreaterThan(0);
  // Nothing visible runs past a page's right (or bottom) edge, where the printer would cut it.
  expect(await opened.page.evaluate(visiblePastPageEdges)).toEqual([]);
  const pdf = await opened.page.pdf({ preferCSSPageSize: true, printBackground: true });
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
  expect(pages).toBe(expectedSlideCount());
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('a deck with wide figures and tall formulas prints with nothing past a page edge', async () => {
  const opened = await site.openPage('/slides/02-attention/?print-pdf&backend=wasm', { viewport: { width: 1331, height: 748 } });
  await opened.page.waitForSelector('html[data-widgets-started]', { timeout: 120_000 });
  // Each figure has drawn and been fitted to its slide. Polled from here rather than waited for in
  // the page, so that a figure that never gets there is named with its state (status, drawn, fit,
  // how far its height is from its box's).
  const unsettled = () =>
    opened.page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.pdf-page [data-widget]')]
        .map((figure) => ({
          widget: figure.dataset.widgetId,
          status: figure.dataset.status,
          drawn: figure.dataset.drawn,
          fit: figure.dataset.slideFit,
          gap: Math.abs(figure.getBoundingClientRect().height - figure.parentElement!.getBoundingClientRect().height),
        }))
        .filter((figure) => !(figure.drawn === 'true' && figure.fit === 'done' && figure.gap <= 2)),
    );
  await expect.poll(unsettled, { timeout: 60_000, interval: 250 }).toEqual([]);
  expect(await opened.page.locator('.pdf-page [data-widget]').count()).toBe(3);
  expect(await opened.page.evaluate(visiblePastPageEdges)).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});

/**
 * In the page: every element of the print layout that shows past its page's right or bottom edge.
 * What an ancestor clips (a scroll box, KaTeX's own clipping, a slide's figure box) does not show,
 * nor do visually hidden text alternatives.
 */
function visiblePastPageEdges(): string[] {
  const found: string[] = [];
  for (const [index, page] of [...document.querySelectorAll('.pdf-page')].entries()) {
    const edge = page.getBoundingClientRect();
    for (const element of page.querySelectorAll('*')) {
      if (element.closest('.mw-hidden')) continue;
      let { left, top, right, bottom } = element.getBoundingClientRect();
      for (let ancestor = element.parentElement; ancestor && ancestor !== page; ancestor = ancestor.parentElement) {
        const style = getComputedStyle(ancestor);
        if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
        const clip = ancestor.getBoundingClientRect();
        left = Math.max(left, clip.left);
        top = Math.max(top, clip.top);
        right = Math.min(right, clip.right);
        bottom = Math.min(bottom, clip.bottom);
      }
      const shows = right > left && bottom > top;
      if (shows && (right > edge.right + 0.5 || bottom > edge.bottom + 0.5)) {
        found.push(`page ${index + 1}: <${element.tagName.toLowerCase()} class="${element.getAttribute('class') ?? ''}">`);
      }
    }
  }
  return found;
}

/** What one slide takes up, in the canvas's own pixels (reveal.js scales the canvas to the window). */
interface SlideExtent {
  slide: number;
  title: string;
  width: number;
  height: number;
  figures: { widget: string; status: string; scale: number; right: number; bottom: number }[];
}

describe.each(chapterPaths().map((path) => path.split('/')[2]))('deck %s', (chapter) => {
  test('the chapter page links to it, and hides the slide points and notes', () => {
    const html = readFileSync(join(DIST_DIR, 'chapters', chapter, 'index.html'), 'utf8');
    expect(html).toMatch(new RegExp(`<a href="/slides/${chapter}/"[^>]*>View as slides</a>`));
    const points = html.match(/<div class="slide-points"[^>]*>/g) ?? [];
    expect(points.length).toBeGreaterThan(0);
    expect(points.filter((tag) => !/\shidden[\s>]/.test(tag))).toEqual([]);
  });
});

// Each deck shown slide by slide, three decks at a time (the browser project's maxConcurrency).
// After the walk, the same load gets the deck's sweep (the checks every built page gets,
// site.test.ts's sweepPage: both themes, both widths, axe with the widgets drawn).
test.concurrent.each(chapterPaths().map((path) => path.split('/')[2]))('deck %s: every slide fits the 1280 x 720 canvas, its widgets started; then swept', async (chapter) => {
  const path = `/slides/${chapter}/`;
  const [desktopLight] = DECK_VIEWS;
  // wasm, as in site.test.ts: SwiftShader's WebGPU takes seconds per token.
  const opened = await pool.openPage(sweepUrl(path), desktopLight);
  const { page } = opened;
  await page.waitForSelector('html[data-deck-ready]');
  const total = await page.evaluate(() => window.deck!.getTotalSlides());
  expect(total).toBe(expectedSlideCount(chapter));
  const extents: SlideExtent[] = [];
  for (let slide = 0; slide < total; slide++) {
    await page.evaluate((index) => window.deck!.slide(index), slide);
    // Every widget on the slide has drawn (or said why not) and fitFigure has fitted it to its box.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>('.reveal .slides > section.present [data-widget]')].every(
          (figure) =>
            ['ready', 'note', 'error'].includes(figure.dataset.status ?? '') &&
            figure.dataset.slideFit === 'done' &&
            // fitted to its figure as it is now (a figure that changed height since is fitted again)
            Math.abs(figure.getBoundingClientRect().height - figure.parentElement!.getBoundingClientRect().height) <= 2,
        ),
      undefined,
      { timeout: 120_000 },
    );
    extents.push(
      await page.evaluate((index) => {
        const section = document.querySelector<HTMLElement>('.reveal .slides > section.present')!;
        const frame = section.getBoundingClientRect();
        const canvasScale = frame.width / section.offsetWidth;
        return {
          slide: index,
          title: section.querySelector('h1, h2')?.textContent ?? '',
          width: section.scrollWidth,
          height: section.scrollHeight,
          figures: [...section.querySelectorAll<HTMLElement>('[data-widget]')].map((figure) => {
            const box = figure.getBoundingClientRect();
            return {
              widget: figure.dataset.widget!,
              status: figure.dataset.status!,
              scale: Number(figure.dataset.slideScale),
              right: Math.round((box.right - frame.left) / canvasScale),
              bottom: Math.round((box.bottom - frame.top) / canvasScale),
            };
          }),
        };
      }, slide),
    );
  }
  const tooBig = extents.filter(
    (extent) =>
      extent.width > SLIDE_WIDTH ||
      extent.height > SLIDE_HEIGHT ||
      extent.figures.some((figure) => figure.right > SLIDE_WIDTH || figure.bottom > SLIDE_HEIGHT || !(figure.scale >= MIN_FIGURE_SCALE)),
  );
  expect(tooBig).toEqual([]);
  const figures = extents.flatMap((extent) => extent.figures);
  expect(figures.length).toBeGreaterThan(0);
  expect(figures.filter((figure) => figure.status === 'error')).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await page.evaluate(() => window.deck!.slide(0));
  expect((await sweepPage(pool.openPage, path, { opened })).problems).toEqual([]);
  await opened.close();
}, 240_000);
