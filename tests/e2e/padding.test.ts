// The padding chapter in Chromium: its two widgets react to their controls, write and restore
// their state through the link, and say clearly what is wrong with a bad batch. The model runs on
// the wasm backend (much faster than SwiftShader's WebGPU on this CPU).
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAllWidgets, type OpenedPage } from './helpers';
import { type ChapterSite, useChapterSite, linkParam, statusText } from './helpers/chapterSite';
import type { getRuntime } from '../../src/runtime/client';

const CHAPTER = '/chapters/04-padding-side/';
const BATCH = '[data-widget-id="padding-batch"]';
const LOGITS = '[data-widget-id="logits-position"]';

let site: ChapterSite;
useChapterSite((opened) => (site = opened));

const param = (opened: OpenedPage, name: string) => linkParam(opened.page, name);

describe('the chapter with its default state', () => {
  let opened: OpenedPage;
  let batch: Locator;
  beforeAll(async () => {
    opened = await site.openPage(`${CHAPTER}?backend=wasm`);
    await startAllWidgets(opened.page, 120_000);
    batch = opened.page.locator(BATCH);
  });
  afterAll(async () => {
    await opened?.close();
  });

  // The page checks on this page with every widget drawn (console, other origins, math, axe in
  // both themes, phone width) are site.test.ts's sweep of it.

  // That every row matches the prompt generated alone, and both are the engine's, is the contract's
  // (tests/e2e/contracts/padding-batch.ts); so is the default right-padded grid of logits-position.
  test('left padding with the mask and positions: pads come first, masked, at position 1', async () => {
    // Left padding: the first column of the shortest row is a pad with mask 0 and position 1.
    const row2 = batch.locator('tbody').nth(1);
    expect(await row2.locator('.pb-line-token td').first().textContent()).toBe('pad');
    expect(await row2.locator('.pb-line-mask td').first().textContent()).toBe('0');
    expect(await row2.locator('.pb-line-position td').first().textContent()).toBe('1');
    expect(await row2.locator('.pb-line-position td').last().textContent()).not.toBe('1');
    expect(await batch.locator('.pb-warning').textContent()).toBe('');
  });

  test('on a phone (390 px) the batch fits: the column generate() reads is in view, middle columns give way to a gap', async () => {
    await opened.page.setViewportSize({ width: 390, height: 900 });
    try {
      await opened.page.waitForFunction((sel) => !!document.querySelector(`${sel} .pb-grid .pb-gap`), BATCH);
      const fit = await batch.locator('.pb-scroller').evaluate((scroller) => {
        const read = scroller.querySelector('thead .pb-read')!.getBoundingClientRect();
        const box = scroller.getBoundingClientRect();
        return { scrolls: scroller.scrollWidth > scroller.clientWidth, readRight: read.right, boxRight: box.right, readLabel: scroller.querySelector('thead .pb-read')!.textContent };
      });
      expect(fit.scrolls).toBe(false);
      expect(fit.readRight).toBeLessThanOrEqual(fit.boxRight);
      // the default batch is 11 columns wide: the last, column 10, is the one generate() reads
      expect(fit.readLabel).toBe('10');
      expect(await batch.locator('.pb-grid caption').textContent()).toMatch(/Columns [\d–, ]+ are hidden \(…\) to fit this width\.$/);
    } finally {
      await opened.page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  test('right padding without the mask or positions breaks the padded rows and writes the link', async () => {
    await batch.getByRole('radio', { name: 'right' }).check();
    await batch.getByRole('checkbox', { name: 'Attention mask' }).uncheck();
    await batch.getByRole('checkbox', { name: 'Position ids from the mask' }).uncheck();
    await batch.locator('.widget-summary', { hasText: 'right padding, without the attention mask, positions 0, 1, 2' }).waitFor();
    expect(param(opened, 'padding-batch.side')).toBe('right');
    expect(param(opened, 'padding-batch.mask')).toBe('false');
    expect(param(opened, 'padding-batch.positions')).toBe('false');
    // Row 3 is the longest prompt: unpadded, it still matches; rows 1 and 2 read a pad's logits.
    const rows = batch.locator('.pb-rows li');
    expect(await rows.nth(2).getAttribute('class')).toBe('pb-same');
    expect(await rows.nth(0).getAttribute('class')).toBe('pb-differs');
    expect(await rows.nth(1).getAttribute('class')).toBe('pb-differs');
    expect(await rows.nth(1).locator('.pb-verdict').textContent()).toMatch(/^differs from token \d+: the first one came from a pad’s logits$/);
    // The pads are id 0, and so is the pad id generate() knows: Hugging Face's check fires.
    expect(await batch.locator('.pb-warning').textContent()).toContain('right-padding was detected');
    expect(opened.consoleErrors).toEqual([]);
  });

  test('an empty line, or five prompts, gives a clear message', async () => {
    const box = batch.getByRole('textbox', { name: /Prompts, one per line/ });
    await box.fill('Once upon a time\n\nThe dog');
    await batch.locator('[data-widget-status]', { hasText: 'Prompt 2 is empty' }).waitFor();
    expect(await statusText(batch)).toBe('Prompt 2 is empty: write some text on every line, or delete the line.');
    await box.fill('a\nb\nc\nd\ne');
    await batch.locator('[data-widget-status]', { hasText: '5 prompts' }).waitFor();
    expect(await statusText(batch)).toBe('This batch has 5 prompts; the figure takes at most 4, one per line.');
    expect(await opened.page.locator(BATCH).getAttribute('data-status')).toBe('note');
  });

  test('emoji and CJK prompts run', async () => {
    const box = batch.getByRole('textbox', { name: /Prompts, one per line/ });
    await box.fill('🦙 llama\n小羊 lamb');
    await batch.locator('.widget-summary', { hasText: 'of 2 rows' }).waitFor();
    expect(await opened.page.locator(BATCH).getAttribute('data-status')).toBe('ready');
  });

  test('where the logits come from: the side and the step come from the controls and go to the link', async () => {
    const figure = opened.page.locator(LOGITS);
    const explanation = figure.locator('.lp-explanation li');
    await figure.getByRole('radio', { name: 'left' }).check();
    expect(param(opened, 'logits-position.side')).toBe('left');
    await expect.poll(() => explanation.nth(1).textContent()).toBe('Row 2: generate() reads column 4, “dog”, the row’s own last token: correct.');
    const slider = figure.getByRole('slider', { name: 'Tokens generated' });
    await slider.focus();
    await opened.page.keyboard.press('ArrowRight');
    expect(param(opened, 'logits-position.step')).toBe('1');
    await expect.poll(() => figure.locator('tbody tr').nth(1).locator('td').last().textContent()).toBe('new 1');
  });
});

test('the batch builder restores its state from the link', async () => {
  const opened = await site.openPage(
    `${CHAPTER}?backend=wasm&padding-batch.side=right&padding-batch.mask=false&padding-batch.prompts=${encodeURIComponent('The cat\nOnce upon a time')}`,
  );
  await startAllWidgets(opened.page, 120_000);
  const batch = opened.page.locator(BATCH);
  expect(await batch.getByRole('radio', { name: 'right' }).isChecked()).toBe(true);
  expect(await batch.getByRole('checkbox', { name: 'Attention mask' }).isChecked()).toBe(false);
  expect(await batch.getByRole('checkbox', { name: 'Position ids from the mask' }).isChecked()).toBe(true);
  expect(await batch.getByRole('textbox').inputValue()).toBe('The cat\nOnce upon a time');
  expect(await batch.locator('.widget-summary').textContent()).toMatch(/^right padding, without the attention mask, positions from the mask: \d of 2 rows match/);
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('a link with a bad side falls back to the default and says so', async () => {
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&padding-batch.side=middle`);
  await startAllWidgets(opened.page, 120_000);
  const batch = opened.page.locator(BATCH);
  expect(await statusText(batch)).toBe('The link sets side to "middle", but it must be one of left, right; showing left instead.');
  expect(await batch.getByRole('radio', { name: 'left' }).isChecked()).toBe(true);
  await opened.close();
});

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

test('the runtime requests the chapters add (generateBatch, loss, pieces) answer and leak no tensor', async () => {
  const opened = await site.openPage('/test/runtime/?backend=wasm');
  await opened.page.getByText('ready', { exact: true }).waitFor();
  const outcome = await opened.page.evaluate(async () => {
    const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
    await runtime.load('/models/glass-llama/');
    const before = await runtime.memory();
    const batch = await runtime.generateBatch({
      texts: ['Hi there', 'Yo'],
      paddingSide: 'left',
      useAttentionMask: true,
      usePositionIdsFromMask: true,
      maxNewTokens: 3,
    });
    const alone = await runtime.generate({ text: 'Yo', maxNewTokens: 3, temperature: 0, ignoreEos: true }).result;
    const evalLoss = await runtime.loss({ texts: ['Hi there', 'Yo'], training: false });
    const evalAgain = await runtime.loss({ texts: ['Hi there', 'Yo'], training: false });
    const yoAlone = await runtime.loss({ texts: ['Yo'], training: false });
    const trainLoss = await runtime.loss({ texts: ['Hi there', 'Yo'], training: true, dropoutRate: 0.5, seed: 3 });
    const pieces = await runtime.pieces([1, 2]);
    let tooShort = '';
    await runtime.loss({ ids: [[1]], training: false }).catch((error: Error) => (tooShort = error.message));
    return { before, after: await runtime.memory(), batch, alone, evalLoss, evalAgain, yoAlone, trainLoss, pieces, tooShort };
  });
  expect(outcome.after.numTensors).toBe(outcome.before.numTensors);
  expect(outcome.batch.newIds[1]).toEqual(outcome.alone.newIds);
  expect(outcome.batch.attentionMask[1].slice(0, outcome.batch.input[0].length - outcome.batch.prompts[1].length)).toEqual(
    new Array(outcome.batch.input[0].length - outcome.batch.prompts[1].length).fill(0),
  );
  expect(outcome.batch.positionIds[1].at(-1)).toBe(outcome.batch.prompts[1].length - 1);
  expect(outcome.evalLoss.losses.map((row) => row.length)).toEqual(outcome.evalLoss.inputIds.map((ids) => ids.length - 1));
  expect(outcome.evalAgain.losses).toEqual(outcome.evalLoss.losses);
  // The loss pads its rows on the right: the short row's losses are the ones it gets alone.
  outcome.yoAlone.losses[0].forEach((loss, t) => expect(outcome.evalLoss.losses[1][t]).toBeCloseTo(loss, 4));
  expect(outcome.trainLoss.losses).not.toEqual(outcome.evalLoss.losses);
  expect(outcome.pieces.pieces).toEqual(['<s>', '</s>']);
  expect(outcome.tooShort).toBe('Row 0 has 1 token(s); a loss needs at least 2.');
  await opened.close();
});
