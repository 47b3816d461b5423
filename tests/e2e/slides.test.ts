// A chapter's slide deck in a real browser: keyboard navigation, the presenter view with notes,
// widget state shared between windows, links to a slide with a state, and printing to PDF.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DIST_DIR, openSite, problemsOnPage, type OpenedPage, type Site } from './helpers';

const CHAPTER = '01-how-to-read';
const DECK = `/slides/${CHAPTER}/`;
const SLIDER = { name: 'Temperature T' } as const;

let site: Site;
let audience: OpenedPage;
/** Index of the first slide with the temperature widget on it. */
let widgetSlide: number;

beforeAll(async () => {
  site = await openSite({ webgpu: false });
  audience = await site.openPage(DECK);
  await audience.page.waitForSelector('html[data-deck-ready]');
  widgetSlide = await audience.page.evaluate(() =>
    [...document.querySelectorAll('.reveal .slides > section')].findIndex((slide) => slide.querySelector('[data-widget]')),
  );
});
afterAll(async () => {
  await site?.close();
});

/** The slides the chapter page's HTML makes: a title slide, the text before the first heading, one per h2/h3. */
function expectedSlideCount(): number {
  const html = readFileSync(join(DIST_DIR, 'chapters', CHAPTER, 'index.html'), 'utf8');
  const article = html.slice(html.indexOf('<article'), html.indexOf('</article>'));
  const headings = article.match(/<h[23][\s>]/g)?.length ?? 0;
  const textBeforeFirstHeading = /<p[\s>]/.test(article.slice(0, article.search(/<h[23][\s>]/)));
  return 1 + (textBeforeFirstHeading ? 1 : 0) + headings;
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
  await expect.poll(() => new URL(page.url()).hash).toBe('#/1');
  expect(await slideNumber(page)).toMatch(/^2\//);
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => new URL(page.url()).hash).toBe('');
  for (let i = 0; i < widgetSlide; i++) await page.keyboard.press('ArrowRight');
  await expect.poll(() => new URL(page.url()).hash).toBe(`#/${widgetSlide}`);
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
  await expect.poll(() => presenter.locator('[data-slide-count]').textContent()).toBe(String(widgetSlide + 1));
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
  await expect.poll(() => audience.page.getByRole('slider', SLIDER).inputValue()).toBe('1.05');
  expect(new URL(audience.page.url()).searchParams.get('softmax-temperature.temperature')).toBe('1.05');

  // Audience -> presenter.
  await audience.page.getByRole('slider', SLIDER).fill('2');
  await expect.poll(() => presenterSlider.inputValue()).toBe('2');

  // The presenter's Next button moves the audience.
  await presenter.getByRole('button', { name: 'Next' }).click();
  await expect.poll(() => new URL(audience.page.url()).hash).toBe(`#/${widgetSlide + 1}`);
  await expect.poll(() => presenter.locator('[data-slide-count]').textContent()).toBe(String(widgetSlide + 2));
  expect(presenterErrors).toEqual([]);
  expect(audience.consoleErrors).toEqual([]);
  await presenter.close();
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
  const pdf = await opened.page.pdf({ preferCSSPageSize: true, printBackground: true });
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
  expect(pages).toBe(expectedSlideCount());
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});
