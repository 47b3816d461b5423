// The RoPE chapter in Chromium on the model: the three widgets load, their numbers are the
// engine's (computed again in Node on the same weights, see helpers/chapterSite.ts), they follow their
// controls and the link, and they answer an empty or too-long text with a message.
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { ropeFrequencies, STRETCH_MAX_CONTEXTS } from '../../src/chapters/rope';
import { startAllWidgets, type OpenedPage } from './helpers';
import { expectClose, linkParam, useChapterPage, widgetSettled, type ChapterPage, type ChapterSite } from './helpers/chapterSite';

const CHAPTER = '/chapters/03-rope/';
const ROTATION = '[data-widget-id="rope-rotation"]';
const RELATIVE = '[data-widget-id="rope-relative"]';
const STRETCH = '[data-widget-id="rope-stretch"]';

/** The served site, the same model in Node, and the chapter open in Chromium. */
let site: ChapterSite;
let engine: ChapterPage['engine'];
let opened: OpenedPage;
let page: Page;
useChapterPage(CHAPTER, (chapter) => ({ site, engine, opened, page } = chapter));

const param = (name: string) => linkParam(page, name);

// The page checks (console, other origins, math, axe in both themes, phone width) on this page
// with every widget drawn are site.test.ts's sweep of it; what each widget shows at its default
// state is its contract there (tests/e2e/contracts/rope-*.ts).
test('the three widgets start on the model', async () => {
  const statuses = await startAllWidgets(page, 180_000);
  expect(statuses).toEqual([
    { id: 'rope-rotation', status: 'ready', message: '' },
    { id: 'rope-relative', status: 'ready', message: '' },
    { id: 'rope-stretch', status: 'ready', message: '' },
  ]);
}, 240_000);

describe('rotating pairs', () => {
  test("at the token's own position and base the rotation is the model's q_rotated; the slider turns each pair by m theta_i", async () => {
    const widget = page.locator(ROTATION);
    const prompt = 'Once upon a time there was a fox.';
    const last = engine.tokenizer.encode(prompt, { bos: true }).length - 1;
    const position = widget.getByRole('slider', { name: 'Position m' });
    await position.fill(String(last));
    expect(param('rope-rotation.position')).toBe(String(last));
    const check = widget.locator('.mw-check');
    expect(await check.textContent()).toMatch(/^This is the rotation the model applied/);
    expect(Number(await check.getAttribute('data-gap'))).toBeLessThan(1e-4);

    // one step right: position last + 1, no longer the model's rotation
    await position.focus();
    await page.keyboard.press('ArrowRight');
    expect(param('rope-rotation.position')).toBe(String(last + 1));
    expect(await check.textContent()).toMatch(new RegExp(`sits at position ${last} and the base is 10000`));
    // the text alternative lists each pair's angle: (last + 1) * theta_i
    const angles = (await widget.locator('table.mw-hidden tbody tr td:nth-child(3)').allTextContents()).map(Number);
    expectClose(angles, ropeFrequencies(engine.model.config.hidden_size / engine.model.config.num_attention_heads, 10000).map((theta) => (last + 1) * theta), 1e-3);
  }, 60_000);
});

describe('relative, not absolute', () => {
  test('a larger distance changes the score (RoPE sees distance); moving both tokens still does not', async () => {
    // the default (distance 3) against the engine is the contract's (tests/e2e/contracts/rope-relative.ts)
    const widget = page.locator(RELATIVE);
    const readout = widget.locator('.mw-readout');
    const atZero = Number(await readout.getAttribute('data-at-zero'));
    await widget.getByRole('slider', { name: 'Distance' }).fill('20');
    expect(param('rope-relative.distance')).toBe('20');
    const far = Number(await readout.getAttribute('data-at-zero'));
    expect(far).not.toBe(atZero);
    expect(Math.abs(far - Number(await readout.getAttribute('data-shifted')))).toBeLessThan(5e-4);
  }, 60_000);

  test('a single token or an empty box gets a message', async () => {
    const widget = page.locator(RELATIVE);
    const box = widget.getByLabel('Two tokens (the first is the key, the last the query)', { exact: true });
    await box.fill('');
    await box.press('Enter');
    expect(await widgetSettled(widget)).toBe('note');
    expect(await widget.locator('[data-widget-status]').textContent()).toBe('Type two words: the first becomes the key, the last the query.');
    await box.fill('cat sat');
    await box.press('Enter');
    expect(await widgetSettled(widget)).toBe('ready');
  }, 60_000);
});

describe('stretch the context', () => {
  // the default text's loss table against the engine is the contract's (tests/e2e/contracts/rope-stretch.ts)
  test('on a phone (390 px) the loss table fits, so its scroll note stays hidden', async () => {
    const widget = page.locator(STRETCH);
    const table = widget.locator('.mw-table-wrap');
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await expect.poll(() => table.evaluate((wrap) => wrap.clientWidth)).toBeLessThan(360);
      const { scroll, client } = await table.evaluate((wrap) => ({ scroll: wrap.scrollWidth, client: wrap.clientWidth }));
      expect(scroll).toBeLessThanOrEqual(client);
      expect(await widget.locator('tr[data-method] td').count()).toBe(9); // every column is there
      expect(await widget.locator('.mw-scroll-note').isHidden()).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }, 60_000);

  test('an empty text and a text past the figure limit get a message', async () => {
    const widget = page.locator(STRETCH);
    const box = widget.getByLabel('A long text (Ctrl+Enter runs it)', { exact: true });
    await box.fill('');
    await widget.getByRole('button', { name: 'Run' }).click();
    expect(await widgetSettled(widget)).toBe('note');
    expect(await widget.locator('[data-widget-status]').textContent()).toBe('The text is empty: paste a long text, or reload the page for the default one.');
    expect(await widget.locator('svg').count()).toBe(0);

    // 300 llamas are 1200 byte tokens, past 4 contexts
    await box.fill('🦙'.repeat(300));
    await box.press('Control+Enter');
    expect(await widgetSettled(widget)).toBe('note');
    const tokens = engine.tokenizer.encode('🦙'.repeat(300), { bos: true }).length;
    expect(tokens).toBeGreaterThan(STRETCH_MAX_CONTEXTS * 256);
    // The widget's own message (the kit's note that the text is too long for the link comes before it).
    expect(await widget.locator('[data-widget-message]').textContent()).toBe(
      `The text is ${tokens} tokens; this figure runs at most ${STRETCH_MAX_CONTEXTS * 256} (${STRETCH_MAX_CONTEXTS} times the context of 256). Shorten it.`,
    );
  }, 120_000);
});

test('a link restores the settings, and a value outside the schema falls back with a note', async () => {
  const link = new URLSearchParams({
    backend: 'wasm',
    'rope-rotation.position': '77',
    'rope-rotation.base': '500000',
    'rope-relative.shift': '400',
    'rope-relative.distance': '9',
    'rope-relative.pair': 'dog ran',
    'rope-stretch.factor': '99',
  });
  const restored = await site.openPage(`${CHAPTER}?${link}`);
  try {
    const statuses = await startAllWidgets(restored.page, 180_000);
    const rotation = restored.page.locator(ROTATION);
    expect(await rotation.getByRole('slider', { name: 'Position m' }).inputValue()).toBe('77');
    expect(await rotation.locator('.mw-readout').first().textContent()).toContain('At position 77 with base 500000');
    const relative = restored.page.locator(RELATIVE);
    expect(await relative.getByRole('slider', { name: 'Shift s' }).inputValue()).toBe('400');
    expect(await relative.locator('.mw-readout').textContent()).toContain('Both moved by 400, to 400 and 409');
    expect(statuses.find((s) => s.id === 'rope-stretch')).toEqual({
      id: 'rope-stretch',
      status: 'note',
      message: 'The link sets factor to "99", but it must be a number from 1 to 8; showing 2 instead.',
    });
    expect(restored.consoleErrors).toEqual([]);
  } finally {
    await restored.close();
  }
}, 240_000);
