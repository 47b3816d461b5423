// The widget mount convention, driven through the first chapter's temperature widget:
// lazy start near the viewport, state from and to the URL, messages for bad links, keyboard use.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openSite, startAllWidgets, type Site } from './helpers';

const CHAPTER = '/chapters/01-how-to-read/';
const WIDGET = '[data-widget-id="softmax-temperature"]';

let site: Site;
beforeAll(async () => {
  site = await openSite();
});
afterAll(async () => {
  await site?.close();
});

test('a widget far below the fold loads no code until the reader scrolls near it', async () => {
  const opened = await site.openPage(CHAPTER, { viewport: { width: 1280, height: 700 } });
  const scripts = () => opened.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  await opened.page.waitForLoadState('networkidle');
  expect(await opened.page.locator(WIDGET).getAttribute('data-status')).toBe('idle');
  expect((await scripts()).some((url) => url.includes('SoftmaxTemperature'))).toBe(false);

  await startAllWidgets(opened.page);
  expect((await scripts()).some((url) => url.includes('SoftmaxTemperature'))).toBe(true);
  expect(await opened.page.locator(WIDGET).getAttribute('data-status')).toBe('ready');
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('state comes from the link, and the keyboard changes it and writes it back', async () => {
  const opened = await site.openPage(`${CHAPTER}?softmax-temperature.temperature=0.5`);
  await startAllWidgets(opened.page);
  const slider = opened.page.getByRole('slider', { name: 'Temperature T' });
  expect(await slider.inputValue()).toBe('0.5');
  // softmax([3.2, 2.6, 2.1, 1.4, 1.0, -0.5] / 0.5)[0] = 1 / (1 + e^-1.2 + e^-2.2 + e^-3.6 + e^-4.4 + e^-7.4) = 0.6886
  expect(await opened.page.locator(`${WIDGET} svg`).getAttribute('aria-label')).toContain('mat: 68.9%');

  await slider.focus();
  await opened.page.keyboard.press('ArrowRight'); // one step of 0.05
  expect(await slider.inputValue()).toBe('0.55');
  expect(new URL(opened.page.url()).searchParams.get('softmax-temperature.temperature')).toBe('0.55');

  // Back at the chapter's default, the parameter leaves the link.
  await slider.fill('1');
  expect(new URL(opened.page.url()).searchParams.has('softmax-temperature.temperature')).toBe(false);
  // softmax([3.2, 2.6, 2.1, 1.4, 1.0, -0.5])[0] = 1 / (1 + e^-0.6 + e^-1.1 + e^-1.8 + e^-2.2 + e^-3.7) = 0.4582
  // (the chapter's text alternative says "about 46%")
  expect(await opened.page.locator(`${WIDGET} svg`).getAttribute('aria-label')).toContain('mat: 45.8%');
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('an out-of-range value in the link falls back to the default and says so', async () => {
  const opened = await site.openPage(`${CHAPTER}?softmax-temperature.temperature=100`);
  const [widget] = await startAllWidgets(opened.page);
  expect(widget.status).toBe('note');
  expect(widget.message).toBe(
    'The link sets temperature to "100", but it must be a number from 0.1 to 3; showing 1 instead.',
  );
  expect(await opened.page.getByRole('slider', { name: 'Temperature T' }).inputValue()).toBe('1');
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('the widget fits a 320px screen without sideways scrolling', async () => {
  const opened = await site.openPage(CHAPTER, { viewport: { width: 320, height: 640 } });
  await startAllWidgets(opened.page);
  const widths = await opened.page.locator(WIDGET).evaluate((el) => ({
    figure: el.getBoundingClientRect().right,
    chart: el.querySelector('svg')!.getBoundingClientRect().right,
    page: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  }));
  expect(widths.page).toBeLessThanOrEqual(widths.viewport);
  expect(widths.chart).toBeLessThanOrEqual(widths.figure);
  await opened.close();
});

test('motion follows prefers-reduced-motion: the loading spinner turns and jumps scroll smoothly only for a reader who has not asked for less', async () => {
  // The suite's pages ask for reduced motion (helpers/page.ts); this one starts without.
  const opened = await site.openPage(CHAPTER, { reducedMotion: 'no-preference' });
  const { page } = opened;
  const motion = () =>
    page.evaluate((selector) => {
      // a shell in its loading state (the temperature widget far below the fold is still idle)
      const shell = document.querySelector<HTMLElement>(selector)!;
      shell.dataset.status = 'loading';
      const spinner = getComputedStyle(shell.querySelector('[data-widget-status]')!, '::before');
      const result = { spinner: spinner.animationName, scroll: getComputedStyle(document.documentElement).scrollBehavior };
      shell.dataset.status = 'idle';
      return result;
    }, WIDGET);
  expect(await motion()).toEqual({ spinner: 'widget-spin', scroll: 'smooth' });
  await page.emulateMedia({ reducedMotion: 'reduce' });
  expect(await motion()).toEqual({ spinner: 'none', scroll: 'auto' });
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});
