// The course kit in a real browser: exercises answered wrong and right (and the model run after),
// progress kept across a reload and cleared by Reset, a widget goal reached from the keyboard, a
// teacher's link to one exercise, and a widget's Export making a valid standalone SVG and a PNG
// (on a chapter page and in an embed).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Download, Page } from 'playwright-core';
import { openSite, widgetsStartedHaveFinished, type Site } from './helpers';

let site: Site;
beforeAll(async () => {
  site = await openSite({ webgpu: false });
});
afterAll(async () => {
  await site?.close();
});

const CHAPTER = '/chapters/01-how-to-read/';

async function answerNumber(page: Page, id: string, typed: string): Promise<string> {
  const item = page.locator(`#exercise-${id}`);
  await item.locator('input[inputmode="decimal"]').fill(typed);
  await item.locator('input[inputmode="decimal"]').press('Enter');
  return (await item.locator('[data-exercise-result]').textContent()) ?? '';
}

/** The readout of the temperature widget that an exercise started (its run or its live figure). */
async function runReadout(page: Page, id: string): Promise<string> {
  const figure = page.locator(`#exercise-${id} [data-widget="softmax-temperature"]`);
  await figure.locator('output').first().waitFor();
  await page.waitForFunction((selector) => document.querySelector(selector)?.getAttribute('data-drawn') === 'true', `#exercise-${id} [data-widget]`);
  return (await figure.locator('output').first().textContent()) ?? '';
}

test('exercises: wrong then right, the model runs after each answer, progress survives a reload, Reset clears it', async () => {
  const opened = await site.openPage(CHAPTER, { viewport: { width: 390, height: 844 } });
  const { page } = opened;
  const progress = page.locator('[data-exercises-progress]');
  expect(await progress.textContent()).toBe('3 exercises.');

  // numeric: a wrong number, then something that is not a number, then the right one
  expect(await answerNumber(page, 'mat-at-one', '0.5')).toBe('Not quite: the answer is 0.458 (within ±0.002).');
  expect(await page.getAttribute('#exercise-mat-at-one', 'data-result')).toBe('wrong');
  expect(await page.isVisible('#exercise-mat-at-one [data-exercise-explanation]')).toBe(true);
  expect(await runReadout(page, 'mat-at-one')).toBe('1.00'); // run.state: temperature 1
  expect(await answerNumber(page, 'mat-at-one', '0,5')).toBe('Type one number, such as 1024, 1,024, 0.25 or 6.7e9.');
  expect(await answerNumber(page, 'mat-at-one', '0.4585')).toBe('Right: 0.458 (within ±0.002).');
  expect(await page.getAttribute('#exercise-mat-at-one', 'data-result')).toBe('right');

  // choice, from the keyboard: the second choice ("It falls") is wrong; the right one gets marked
  const choice = page.locator('#exercise-hotter-moon');
  await choice.locator('input[type="radio"]').nth(1).focus();
  await page.keyboard.press('Space');
  await choice.locator('button[type="submit"]').press('Enter');
  expect(await choice.locator('[data-exercise-result]').textContent()).toBe('Not quite: the right answer is marked ✓.');
  expect(await choice.locator('.exercise__choice--answer').textContent()).toBe('It rises ✓ right answer');
  expect(await runReadout(page, 'hotter-moon')).toBe('3.00'); // run.state: temperature 3
  expect(await progress.textContent()).toBe('2 of 3 answered, 1 right.');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);

  // widget: bring the live figure to the goal with the arrow keys (1.00 -> 0.60 in steps of 0.05)
  const goalFigure = page.locator('#exercise-mat-majority');
  await goalFigure.scrollIntoViewIfNeeded();
  expect(await runReadout(page, 'mat-majority')).toBe('1.00');
  expect(await goalFigure.locator('[data-exercise-goal]').textContent()).toBe('○ temperature ≤ 0.6');
  const slider = goalFigure.locator('input[type="range"]');
  for (let i = 0; i < 7; i++) await slider.press('ArrowLeft');
  expect(await goalFigure.locator('[data-exercise-result]').textContent()).toBe('');
  await slider.press('ArrowLeft');
  expect(await goalFigure.locator('[data-exercise-goal]').textContent()).toBe('✓ temperature ≤ 0.6');
  expect(await goalFigure.locator('[data-exercise-result]').textContent()).toBe('Goal reached.');
  expect(await progress.textContent()).toBe('3 of 3 answered, 2 right.');

  // a reload keeps every answer (and offers the runs rather than starting them all)
  await page.reload();
  expect(await progress.textContent()).toBe('3 of 3 answered, 2 right.');
  expect(await page.inputValue('#exercise-mat-at-one input[inputmode="decimal"]')).toBe('0.4585');
  expect(await choice.locator('input[type="radio"]').nth(1).isChecked()).toBe(true);
  expect(await choice.locator('[data-exercise-result]').textContent()).toBe('Not quite: the right answer is marked ✓.');
  expect(await choice.locator('[data-exercise-run] button').textContent()).toBe('Run the model');
  expect(await goalFigure.locator('[data-exercise-result]').textContent()).toBe('You reached this goal before; the figure starts again from the beginning.');

  // Reset forgets them, on this page and after a reload
  await page.click('[data-exercises-reset]');
  expect(await progress.textContent()).toBe('3 exercises. Your answers were cleared.');
  expect(await page.inputValue('#exercise-mat-at-one input[inputmode="decimal"]')).toBe('');
  expect(await page.evaluate(() => localStorage.getItem('glass-llama:exercises:01-how-to-read'))).toBeNull();
  await page.reload();
  expect(await progress.textContent()).toBe('3 exercises.');
  expect(await choice.locator('input[type="radio"]:checked').count()).toBe(0);
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});

test('a link to one exercise opens it, highlighted and focused, before the Summary', async () => {
  const opened = await site.openPage('/chapters/06-swish-silu-swiglu/#exercise-silu-minimum');
  const { page } = opened;
  await page.waitForFunction(() => document.activeElement?.id === 'exercise-silu-minimum');
  expect(await page.evaluate(() => document.querySelector('#exercise-silu-minimum')!.matches(':target'))).toBe(true);
  // the figures near it start and change height; the exercise stays at the top of the window
  await widgetsStartedHaveFinished(page);
  const box = (await page.locator('#exercise-silu-minimum').boundingBox())!;
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeLessThan(120); // under the sticky header (scroll-padding-top: 5rem)
  // the section sits right before the Summary, and the contents list it there
  expect(await page.evaluate(() => document.querySelector('section.exercises')!.nextElementSibling?.id)).toBe('summary');
  const contents = await page.$$eval('.toc a', (links) => [...new Set(links.map((link) => link.getAttribute('href')))]);
  expect(contents.slice(-2)).toEqual(['#exercises', '#summary']);
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

/** Open the Export panel of the widget in `figure` and save the file of one format. */
async function exportFile(page: Page, figure: string, format: 'svg' | 'png' | 'json'): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${figure} [data-export-file="${format}"]`)]);
  const saved = join(mkdtempSync(join(tmpdir(), 'glass-llama-export-')), (download as Download).suggestedFilename());
  await (download as Download).saveAs(saved);
  const bytes = readFileSync(saved);
  rmSync(dirname(saved), { recursive: true });
  return bytes;
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('Export gives a standalone SVG (parsed, styles inlined), a PNG at twice its size, the state and the permalink', async () => {
  const opened = await site.openPage(`${CHAPTER}?softmax-temperature.temperature=0.5`, { colorScheme: 'dark' });
  const { page } = opened;
  const figure = 'figure[data-widget-id="softmax-temperature"]';
  await page.locator(figure).scrollIntoViewIfNeeded();
  await page.waitForSelector(`${figure}[data-drawn="true"]`);
  await page.click(`${figure} [data-widget-export]`);
  await page.waitForSelector(`${figure} [data-export-panel] img`);

  const svgText = (await exportFile(page, figure, 'svg')).toString('utf8');
  // each label's fill, font and size as drawn (on the page, then alone)
  const onPage = await page.$$eval(`${figure} [data-widget-stage] svg text`, (labels) =>
    labels.map((label) => `${getComputedStyle(label).fill} ${getComputedStyle(label).fontFamily} ${getComputedStyle(label).fontSize}`),
  );
  // parsed by the browser's XML parser on a blank page, then drawn there, away from the site's stylesheets
  const blank = await opened.context.newPage();
  const parsed = await blank.evaluate(
    (text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const root = doc.documentElement;
      document.body.append(document.importNode(root, true));
      const drawn = document.body.querySelector('svg')!;
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        root: root.nodeName,
        namespace: root.namespaceURI,
        width: root.getAttribute('width'),
        background: root.firstElementChild?.getAttribute('fill'),
        labels: [...root.querySelectorAll('text')].map((label) => label.textContent),
        drawnStyles: [...drawn.querySelectorAll('text')].map((label) => `${getComputedStyle(label).fill} ${getComputedStyle(label).fontFamily} ${getComputedStyle(label).fontSize}`),
        classes: root.querySelectorAll('[class]').length,
      };
    },
    svgText,
  );
  await blank.close();
  expect(parsed.error).toBeNull();
  expect(parsed.root).toBe('svg');
  expect(parsed.namespace).toBe('http://www.w3.org/2000/svg');
  expect(parsed.labels).toEqual(expect.arrayContaining(['mat', 'moon', '68.9%'])); // p(mat) at T = 0.5
  // every label draws alone as it did on the page: the dark theme's light text, its font and size
  expect(parsed.drawnStyles).toEqual(onPage);
  expect(onPage[0]).toMatch(/^rgb\(232, 230, 225\) /);
  expect(parsed.classes).toBe(0);
  expect(parsed.background).toBe('rgb(29, 31, 36)'); // the dark theme's --surface, so light text stays readable

  const png = pngSize(await exportFile(page, figure, 'png'));
  expect(png.width).toBe(2 * Number(parsed.width));
  expect(png.height).toBeGreaterThan(100);

  const state = JSON.parse((await exportFile(page, figure, 'json')).toString('utf8'));
  expect(state).toEqual({
    widget: 'softmax-temperature',
    state: { temperature: 0.5 },
    permalink: `${site.url}${CHAPTER}?softmax-temperature.temperature=0.5`,
  });
  expect(await page.inputValue(`${figure} [data-export-permalink]`)).toBe(state.permalink);
  // closing frees the panel
  await page.click(`${figure} [data-widget-export]`);
  expect(await page.locator(`${figure} [data-export-panel]`).count()).toBe(0);
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('Export in an embed: the PNG draws in the panel and the permalink is the embed page in this state', async () => {
  const opened = await site.openPage('/embed/softmax-temperature/?temperature=2');
  const { page } = opened;
  await page.waitForSelector('[data-widget][data-drawn="true"]');
  await page.click('[data-widget-export]');
  const preview = page.locator('[data-export-panel] img');
  await preview.waitFor();
  await page.waitForFunction(() => (document.querySelector('[data-export-panel] img') as HTMLImageElement).complete);
  const width = await preview.evaluate((image) => (image as HTMLImageElement).naturalWidth);
  const svgWidth = await page.evaluate(() => Math.round(document.querySelector('[data-widget-stage] svg')!.getBoundingClientRect().width));
  expect(width).toBe(2 * svgWidth);
  expect(await page.inputValue('[data-export-permalink]')).toBe(`${site.url}/embed/softmax-temperature/?temperature=2`);
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.offOriginRequests).toEqual([]);
  await opened.close();
});
