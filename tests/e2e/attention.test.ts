// The attention chapter in Chromium on the model: the three widgets load, their numbers are the
// engine's (computed again here in Node on the same weights), they follow their controls and the
// link, and they say so plainly when the prompt is empty or too long.
// The model: see helpers/chapterSite.ts.
import type { Locator, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { kvHeadOf, NAME_HEAD_PROMPT } from '../../src/chapters/attention';
import { comparePredictions, MASK_PROMPT, maskFor, meanLosses, type Flip, type MaskMode } from '../../src/chapters/attentionMask';
import { startAllWidgets, type OpenedPage } from './helpers';
import { expectClose, useChapterPage, widgetSettled, type ChapterPage, type ChapterSite } from './helpers/chapterSite';
import { engineAttentionRow } from './helpers/contractParts';

const CHAPTER = '/chapters/02-attention/';
const HEATMAP = '[data-widget-id="attention-heatmap"]';
const STEP = '[data-widget-id="attention-step"]';
const MASK = '[data-widget-id="attention-mask"]';

/** The served site, the same model in Node, and the chapter open in Chromium. */
let site: ChapterSite;
let engine: ChapterPage['engine'];
let opened: OpenedPage;
let page: Page;
useChapterPage(CHAPTER, (chapter) => ({ site, engine, opened, page } = chapter));

/** Attention probabilities of one head for one query, from the engine in Node. */
const engineProbs = (prompt: string, layer: number, head: number, query: number) => engineAttentionRow(engine, prompt, layer, head, query);

/** The probability column of the heatmap's text alternative (the selected query's row). */
async function heatmapTable(widget: Locator): Promise<{ caption: string; probs: number[] }> {
  const table = widget.locator('table.mw-hidden');
  const caption = (await table.locator('caption').textContent())!;
  const probs = (await table.locator('tbody tr td:nth-child(3)').allTextContents()).map(Number);
  return { caption, probs };
}

// The page checks (console, other origins, math, axe in both themes, phone width) on this page
// with every widget drawn are site.test.ts's sweep of it; what each widget shows at its default
// state is its contract there (tests/e2e/contracts/).
test('the three widgets start on the model', async () => {
  const statuses = await startAllWidgets(page, 120_000);
  expect(statuses.filter((s) => s.id.startsWith('attention'))).toEqual([
    { id: 'attention-mask', status: 'ready', message: '' },
    { id: 'attention-heatmap', status: 'ready', message: '' },
    { id: 'attention-step', status: 'ready', message: '' },
  ]);
}, 180_000);

describe('attention map', () => {
  const prompt = NAME_HEAD_PROMPT;

  test('follows the head select and the arrow keys with the engine probabilities', async () => {
    const widget = page.locator(HEATMAP);
    // the default (layer 0, head 0, last query) is the contract's (tests/e2e/contracts/attention-heatmap.ts)
    const tokens = Number(await widget.locator('[data-widget-stage]').getAttribute('data-tokens'));

    await widget.getByLabel('Head', { exact: true }).selectOption('1');
    expect(new URL(page.url()).searchParams.get('attention-heatmap.head')).toBe('1');
    const headOne = await heatmapTable(widget);
    expect(headOne.caption).toContain('head 1');
    expectClose(headOne.probs, await engineProbs(prompt, 0, 1, -1), 2e-4);

    // arrow up: the query before the last one
    await widget.getByRole('group', { name: /Attention map/ }).focus();
    await page.keyboard.press('ArrowUp');
    expect(new URL(page.url()).searchParams.get('attention-heatmap.row')).toBe(String(tokens - 2));
    expectClose((await heatmapTable(widget)).probs, await engineProbs(prompt, 0, 1, tokens - 2), 2e-4);

    // every head of every layer is in the overview, one pressed; the last one opens layer 3, head 3
    const config = engine.model.config;
    expect(await widget.locator('.mw-multiple').count()).toBe(config.num_hidden_layers * config.num_attention_heads);
    expect(await widget.locator('.mw-multiple[aria-pressed="true"]').textContent()).toMatch(/^Layer 0 · head 1prev \d+%$/);
    await widget.locator('.mw-multiple').last().click();
    expect(new URL(page.url()).searchParams.get('attention-heatmap.layer')).toBe(String(config.num_hidden_layers - 1));
  }, 120_000);

  test('an empty prompt and a prompt longer than the context get a message, not a map', async () => {
    const widget = page.locator(HEATMAP);
    const box = widget.getByLabel('Prompt', { exact: true });
    await box.fill('   ');
    await box.press('Enter');
    expect(await widgetSettled(widget)).toBe('note');
    expect(await widget.locator('[data-widget-status]').textContent()).toBe('The prompt is empty: type a few words.');
    expect(await widget.locator('svg').count()).toBe(0);

    // 100 llamas: each emoji is 4 byte tokens, 400 tokens in all, past the 256-token context
    await box.fill('🦙'.repeat(100));
    await box.press('Enter');
    expect(await widgetSettled(widget)).toBe('note');
    expect(await widget.locator('[data-widget-status]').textContent()).toMatch(/^The prompt is \d+ tokens long, but the model reads at most 256 \(its context\)\. Shorten it\.$/);

    // a short emoji and CJK prompt runs
    await box.fill('猫 🦙 cat');
    await box.press('Enter');
    expect(await widgetSettled(widget)).toBe('ready');
    expectClose((await heatmapTable(widget)).probs, await engineProbs('猫 🦙 cat', engine.model.config.num_hidden_layers - 1, 3, -1), 2e-4);
  }, 120_000);
});

describe('one head, step by step', () => {
  test('the query select changes the softmax column to the engine probabilities of that query', async () => {
    // the last query (the default) is the contract's (tests/e2e/contracts/attention-step.ts)
    const widget = page.locator(STEP);
    const prompt = 'The cat sat on the mat.';
    const column = async () => (await widget.locator('table.mw-table tbody tr td:nth-child(5)').allTextContents()).map(Number);
    const ids = engine.tokenizer.encode(prompt, { bos: true });

    await widget.getByLabel('Query token', { exact: true }).selectOption('3');
    expect(new URL(page.url()).searchParams.get('attention-step.query')).toBe('3');
    const third = await column();
    expectClose(third.slice(0, 4), await engineProbs(prompt, 0, 0, 3), 2e-4);
    expect(third.slice(4)).toEqual(new Array(ids.length - 4).fill(0)); // the causal mask
    expect(await widget.locator('tr.mw-row--masked').count()).toBe(ids.length - 4);
    // the head this query head reads
    await widget.getByLabel('Head', { exact: true }).selectOption('3');
    expect(await widget.locator('.mw-readout').first().textContent()).toContain(`key/value head ${kvHeadOf(3, 4, 2)}`);
  }, 120_000);
});

describe('mask it', () => {
  const prompt = MASK_PROMPT;

  /** The engine's comparison in Node: causal forward against the forward with the widget's mask. */
  async function engineComparison(mode: MaskMode, flips: Flip[] = []) {
    const ids = engine.tokenizer.encode(prompt, { bos: true });
    const mask = maskFor(mode, ids.length, flips);
    const causal = await engine.model.run([ids]);
    const masked = await engine.model.run([ids], { queryKeyMask: mask });
    const rows = comparePredictions(causal.logits.data, masked.logits.data, ids, engine.model.config.vocab_size, mask);
    return { rows, losses: meanLosses(rows) };
  }
  // With no mask (the default) the losses and every p(next) are the contract's (tests/e2e/contracts/attention-mask.ts).
  /** A numeric column of the widget's table (3 decimals). */
  const column = async (widget: Locator, n: number) => (await widget.locator(`table.am-table tbody tr td:nth-child(${n})`).allTextContents()).map(Number);

  test('on a phone (390 px) the grid and the table say that they scroll, and the grid scrolls from the keyboard', async () => {
    const widget = page.locator(MASK);
    const grid = widget.locator('.am-grid-box .mw-table-wrap');
    const gridNote = widget.locator('.am-grid-box .mw-scroll-note');
    const tableNote = widget.locator('.mw-scroll-note').last();
    // at 1280 px the grid fits and no note shows
    expect(await grid.evaluate((wrap) => wrap.scrollWidth <= wrap.clientWidth)).toBe(true);
    expect(await gridNote.isHidden()).toBe(true);
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await expect.poll(() => gridNote.isVisible()).toBe(true);
      expect(await gridNote.textContent()).toBe('The grid is wider than this screen: scroll it sideways to see every column.');
      await expect.poll(() => tableNote.isVisible()).toBe(true);
      expect(await tableNote.textContent()).toBe('The table is wider than this screen: scroll it sideways to see every column.');
      expect([await grid.getAttribute('role'), await grid.getAttribute('tabindex'), await grid.getAttribute('aria-label')]).toEqual(['region', '0', 'Attention mask grid']);
      await grid.focus();
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => grid.evaluate((wrap) => wrap.scrollLeft)).toBeGreaterThan(0);
      // the step-through table fits a phone or says that it scrolls (the note shows only while it overflows)
      const stepTable = page.locator(STEP).locator('.mw-table-wrap');
      const stepOverflows = await stepTable.evaluate((wrap) => wrap.scrollWidth > wrap.clientWidth);
      await expect.poll(() => page.locator(STEP).locator('.mw-scroll-note').isVisible()).toBe(stepOverflows);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }, 60_000);

  test('edit from the keyboard: one flipped cell changes its row and leaves every earlier row exactly as it was', async () => {
    const widget = page.locator(MASK);
    await widget.getByLabel('Edit the mask').check();
    await widgetSettled(widget);
    expect(new URL(page.url()).searchParams.get('attention-mask.mode')).toBe('edited');
    // the edited mask starts causal: the two columns agree
    expect(await column(widget, 6)).toEqual(await column(widget, 4));
    await widget.locator('button.am-cell[tabindex="0"]').focus();
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowDown');
    for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    await expect.poll(() => new URL(page.url()).searchParams.get('attention-mask.flips')).toBe('6-8');
    await widgetSettled(widget);
    expect(await widget.locator('button[data-query="6"][data-key="8"]').getAttribute('aria-pressed')).toBe('true');
    const expected = await engineComparison('edited', [[6, 8]]);
    const causal = await column(widget, 4);
    const masked = await column(widget, 6);
    expectClose(masked, expected.rows.map((r) => r.maskedProbability), 2e-3);
    expect(masked.slice(0, 6)).toEqual(causal.slice(0, 6));
    expect(expected.rows.slice(0, 6).map((r) => r.maskedProbability)).toEqual(expected.rows.slice(0, 6).map((r) => r.causalProbability));
    expect(Math.abs(expected.rows[6].maskedProbability - expected.rows[6].causalProbability)).toBeGreaterThan(0);
  }, 120_000);

  test('bad cells in a link are dropped with a note; an empty prompt gets a message', async () => {
    const link = new URLSearchParams({ backend: 'wasm', 'attention-mask.mode': 'edited', 'attention-mask.flips': '3-5,x,99-1' });
    const restored = await site.openPage(`${CHAPTER}?${link}`);
    try {
      const statuses = await startAllWidgets(restored.page, 120_000);
      expect(statuses.find((s) => s.id === 'attention-mask')).toEqual({
        id: 'attention-mask',
        status: 'note',
        message: `“x” is not a cell (expected query-key, such as 5-6). Cell 99-1 is outside this ${engine.tokenizer.encode(MASK_PROMPT, { bos: true }).length}-token prompt.`,
      });
      const widget = restored.page.locator(MASK);
      expect(await widget.locator('button[data-query="3"][data-key="5"]').getAttribute('aria-pressed')).toBe('true');
      const box = widget.getByLabel('Prompt', { exact: true });
      await box.fill('');
      await box.press('Enter');
      expect(await widgetSettled(widget)).toBe('note');
      expect(await widget.locator('[data-widget-status]').textContent()).toBe('The prompt is empty: type a few words.');
      expect(await widget.locator('table.am-table').count()).toBe(0);
      await box.fill('🦙'.repeat(100));
      await box.press('Enter');
      expect(await widgetSettled(widget)).toBe('note');
      expect(await widget.locator('[data-widget-status]').textContent()).toMatch(/^The prompt is \d+ tokens long, but the model reads at most 256 \(its context\)\. Shorten it\.$/);
      expect(await widget.locator('table.am-table').count()).toBe(0);
      expect(restored.consoleErrors).toEqual([]);
    } finally {
      await restored.close();
    }
  }, 180_000);
});

test('a link restores every setting, and a bad value falls back with a note', async () => {
  const prompt = 'Lily saw a dog. Lily ran.';
  const link = new URLSearchParams({
    backend: 'wasm',
    'attention-heatmap.prompt': prompt,
    'attention-heatmap.layer': '1',
    'attention-heatmap.head': '2',
    'attention-heatmap.row': '3',
    'attention-step.layer': '9',
  });
  const restored = await site.openPage(`${CHAPTER}?${link}`);
  try {
    const statuses = await startAllWidgets(restored.page, 120_000);
    const heatmap = restored.page.locator(HEATMAP);
    expect(await heatmap.getByLabel('Prompt', { exact: true }).inputValue()).toBe(prompt);
    expect(await heatmap.getByLabel('Layer', { exact: true }).inputValue()).toBe('1');
    expect(await heatmap.getByLabel('Head', { exact: true }).inputValue()).toBe('2');
    expectClose((await heatmapTable(heatmap)).probs, await engineProbs(prompt, 1, 2, 3), 2e-4);
    // layer 9 is inside the schema's range but not in this model
    expect(statuses.find((s) => s.id === 'attention-step')).toEqual({
      id: 'attention-step',
      status: 'note',
      message: `The link asks for layer 9, but the model has layers 0 to ${engine.model.config.num_hidden_layers - 1}; showing layer 0.`,
    });
    expect(restored.consoleErrors).toEqual([]);
  } finally {
    await restored.close();
  }
}, 180_000);
