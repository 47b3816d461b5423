// The model.eval() chapter in Chromium: its three widgets react to their controls, write and
// restore their state through the link, and refuse a dropout rate outside [0, 1) with a clear
// message. The model runs on the wasm backend (much faster than SwiftShader's WebGPU here).
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAllWidgets, type OpenedPage } from './helpers';
import { type ChapterSite, useChapterSite, linkParam, statusText } from './helpers/chapterSite';

const CHAPTER = '/chapters/05-eval-and-dropout/';
const RUNS = '[data-widget-id="dropout-runs"]';
const INSIDE = '[data-widget-id="dropout-inside"]';
const FORGOTTEN = '[data-widget-id="forgotten-eval"]';

let site: ChapterSite;
useChapterSite((opened) => (site = opened));

const param = (opened: OpenedPage, name: string) => linkParam(opened.page, name);
const stage = (widget: Locator) => widget.locator('[data-widget-stage]');

describe('the chapter with its default state', () => {
  let opened: OpenedPage;
  beforeAll(async () => {
    opened = await site.openPage(`${CHAPTER}?backend=wasm`);
    await startAllWidgets(opened.page, 120_000);
  });
  afterAll(async () => {
    await opened?.close();
  });

  // The page checks on this page with every widget drawn (console, other origins, math, axe in
  // both themes, phone width) are site.test.ts's sweep of it; what each widget shows at its default
  // state is its contract there (tests/e2e/contracts/).

  test('train mode jitters; eval mode repeats bit for bit; the mode goes to the link', async () => {
    const runs = opened.page.locator(RUNS);
    expect(await runs.locator('.widget-summary').textContent()).toMatch(/^model\.train\(\), p = 0\.10: across 10 runs, the probability of .+ moved between \d+\.\d% and \d+\.\d%\.$/);
    // ten dots per token row
    expect(await runs.locator('svg g.chart-row').first().locator('circle').count()).toBe(10);

    await runs.getByRole('radio', { name: 'model.eval()' }).check();
    await runs.locator('.widget-summary', { hasText: 'model.eval(): all 10 runs' }).waitFor();
    expect(await stage(runs).getAttribute('data-identical')).toBe('true');
    expect(param(opened, 'dropout-runs.mode')).toBe('eval');
    expect(await runs.getByRole('button', { name: 'New masks' }).isDisabled()).toBe(true);
    // the text alternative lists the same tokens as the chart
    expect(await runs.locator('table.visually-hidden tr').count()).toBe(1 + (await runs.locator('svg g.chart-row').count()));
  });

  test('the rate slider moves by keyboard and writes p to the link', async () => {
    const runs = opened.page.locator(RUNS);
    const slider = runs.getByRole('slider', { name: 'Dropout p' });
    await slider.focus();
    await opened.page.keyboard.press('ArrowRight');
    expect(await slider.inputValue()).toBe('0.15');
    expect(param(opened, 'dropout-runs.p')).toBe('0.15');
    expect(await runs.locator('output').textContent()).toBe('0.15');
  });

  test('an empty prompt gives a clear message', async () => {
    const runs = opened.page.locator(RUNS);
    await runs.getByRole('textbox', { name: 'Prompt' }).fill('');
    await runs.locator('[data-widget-status]', { hasText: 'Write a prompt' }).waitFor();
    expect(await statusText(runs)).toBe('Write a prompt: the model needs some text to predict the next token from.');
    expect(await runs.getAttribute('data-status')).toBe('note');
  });

  test('inside dropout: a new mask, and p = 0 keeps everything', async () => {
    const inside = opened.page.locator(INSIDE);
    await inside.getByRole('button', { name: 'Draw a new mask' }).click();
    expect(param(opened, 'dropout-inside.draw')).toBe('2');
    expect(await inside.locator('caption').textContent()).toMatch(/^Draw 2: /);
    // every kept output is the input doubled, every dropped one 0
    const rows = await inside.locator('table tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const [input, mask, output] = [rows[1], rows[2], rows[3]];
    mask.forEach((m, i) => expect(Number(output[i])).toBeCloseTo(m === 'keep' ? 2 * Number(input[i]) : 0, 2));
    await inside.getByRole('slider', { name: 'Dropout p' }).fill('0');
    expect(await inside.locator('.widget-summary').textContent()).toBe('p = 0: nothing is dropped and nothing is scaled; the output is the input.');
    expect(param(opened, 'dropout-inside.p')).toBe('0');
  });

  test('the forgotten eval(): new masks move the train-mode loss, never the eval-mode one', async () => {
    const forgotten = opened.page.locator(FORGOTTEN);
    const evalLoss = await stage(forgotten).getAttribute('data-eval-loss');
    const trainLoss = await stage(forgotten).getAttribute('data-train-loss');
    await forgotten.getByRole('button', { name: 'Evaluate again with new masks' }).click();
    expect(param(opened, 'forgotten-eval.seed')).toBe('2');
    await opened.page.waitForFunction(
      ([selector, before]) => document.querySelector(`${selector} [data-widget-stage]`)?.getAttribute('data-train-loss') !== before,
      [FORGOTTEN, trainLoss] as const,
    );
    expect(await stage(forgotten).getAttribute('data-eval-loss')).toBe(evalLoss);
    // 16 validation texts, one row each in the per-text table (plus the header row)
    expect(await forgotten.locator('details table tr').count()).toBe(17);
  });
});

// One page load for both (each load runs every widget on the model): good values are restored,
// and a p outside [0, 1) falls back to the default with a message that says why.
test('the widgets restore their state from the link, and refuse a p outside [0, 1) clearly', async () => {
  const opened = await site.openPage(
    `${CHAPTER}?backend=wasm&dropout-runs.mode=eval&dropout-runs.p=1&dropout-inside.p=-0.2&dropout-inside.draws=500&forgotten-eval.p=abc`,
  );
  await startAllWidgets(opened.page, 120_000);
  const runs = opened.page.locator(RUNS);
  expect(await runs.getByRole('radio', { name: 'model.eval()' }).isChecked()).toBe(true);
  expect(await stage(runs).getAttribute('data-identical')).toBe('true');
  expect(await statusText(runs)).toBe('The link sets p to "1", but it must be a number from 0 to 0.9; showing 0.1 instead.');
  expect(await runs.getByRole('slider', { name: 'Dropout p' }).inputValue()).toBe('0.1');

  const inside = opened.page.locator(INSIDE);
  expect(await statusText(inside)).toBe('The link sets p to "-0.2", but it must be a number from 0 to 0.9; showing 0.5 instead.');
  expect(await inside.getByRole('slider', { name: 'Draws averaged' }).inputValue()).toBe('500');
  expect(await inside.locator('table tr').last().locator('th').textContent()).toBe('mean of 500');
  // On a phone the draw turns into one row per value, so all eight show without scrolling.
  await opened.page.setViewportSize({ width: 390, height: 900 });
  await inside.locator('table.di-table--tall').waitFor();
  expect(await inside.locator('table tr').last().locator('th').textContent()).toBe('x8');
  expect(await inside.locator('.di-scroller').evaluate((scroller) => scroller.scrollWidth <= scroller.clientWidth)).toBe(true);
  await opened.page.setViewportSize({ width: 1280, height: 900 });

  expect(await statusText(opened.page.locator(FORGOTTEN))).toBe('The link sets p to "abc", but it must be a number from 0 to 0.9; showing 0.1 instead.');
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});
