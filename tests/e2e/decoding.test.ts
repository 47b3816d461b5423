// The decoding chapter in Chromium: the next-token bars apply src/llama/sampling.ts's processors
// to the live model's logits, the tree compares beam search, greedy and samples, and the
// degeneration figure plots distinct-n; each reacts to its controls, restores from the link and
// explains bad input.
import type { Locator } from 'playwright-core';
import { expect, test } from 'vitest';
import { startAllWidgets } from './helpers';
import { settled, type ChapterSite, useChapterSite } from './helpers/chapterSite';

const CHAPTER = '/chapters/07-decoding/';
const BARS = '[data-widget-id="next-token-bars"]';
const TREE = '[data-widget-id="beam-tree"]';
const DEGENERATION = '[data-widget-id="degeneration"]';

let site: ChapterSite;
useChapterSite((opened) => (site = opened));


/** The bars' text alternative: [token, model probability, after processors] per row. */
async function barRows(widget: Locator): Promise<string[][]> {
  return widget.locator('table tbody tr').evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? '')));
}

const percent = (text: string) => Number(text.replace('%', '')) / 100;

test('next-token bars: greedy from the link, top-p cuts and renormalises, tokens append, bad values explained', async () => {
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&next-token-bars.prompt=Once+upon&next-token-bars.temperature=0&beam-tree.beams=2&beam-tree.samples=1&beam-tree.length=3&beam-tree.prompt=Once&degeneration.prompt=Once&degeneration.length=30`);
  await startAllWidgets(opened.page, 120_000);
  const bars = opened.page.locator(BARS);
  await settled(opened.page, BARS);
  const summary = bars.locator('.mw-readout');
  // Temperature 0 is greedy: one token survives, every other is marked as removed by greedy.
  expect(await summary.textContent()).toMatch(/^1 of (\d+) tokens can be drawn; removed: (\d+) by greedy\./);
  let rows = await barRows(bars);
  expect(rows[0][2]).toBe('100.0%');
  expect(rows.slice(1).every((row) => row[2] === 'removed by greedy')).toBe(true);

  // Back to sampling at T = 1, then top-p 0.3: the kept rows' probabilities grow (renormalised)
  // and the rest are cut by top-p.
  const temperature = bars.getByRole('slider', { name: 'Temperature' });
  await temperature.fill('1');
  expect(new URL(opened.page.url()).searchParams.has('next-token-bars.temperature')).toBe(false);
  await bars.getByRole('slider', { name: 'Top-p' }).fill('0.3');
  expect(new URL(opened.page.url()).searchParams.get('next-token-bars.topP')).toBe('0.3');
  await opened.page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('by top-p'), `${BARS} .mw-readout`);
  rows = await barRows(bars);
  const kept = rows.filter((row) => row[2].endsWith('%'));
  expect(kept.length).toBeGreaterThanOrEqual(1);
  for (const row of kept) expect(percent(row[2])).toBeGreaterThanOrEqual(percent(row[1]));
  // The nucleus is the smallest top set with mass >= 0.3: without its last token it is below 0.3.
  const keptMass = kept.reduce((sum, row) => sum + percent(row[1]), 0);
  const withoutLast = keptMass - percent(kept[kept.length - 1][1]);
  expect(withoutLast).toBeLessThan(0.3 + 0.002);
  expect(rows.some((row) => row[2] === 'removed by top-p')).toBe(true);

  // Typing k = 0: the engine's message, and the link keeps the last valid k.
  const topK = bars.getByRole('spinbutton', { name: 'Top-k' });
  await topK.fill('0');
  await topK.press('Enter');
  await topK.blur();
  expect(await settled(opened.page, BARS)).toEqual({
    status: 'error',
    message: 'topK must be an integer >= 1. Received 0. The figure keeps the last valid setting.',
  });
  expect(new URL(opened.page.url()).searchParams.has('next-token-bars.topK')).toBe(false);

  // Clicking the first row appends its token; Enter on a row appends one too; undo removes it.
  await bars.locator('.chart-token-row').first().click();
  await settled(opened.page, BARS);
  expect(new URL(opened.page.url()).searchParams.get('next-token-bars.added')).toMatch(/^\d+$/);
  expect(await bars.locator('.dw-text mark').count()).toBe(1);
  await bars.locator('.chart-token-row').first().focus();
  await opened.page.keyboard.press('Enter');
  await settled(opened.page, BARS);
  expect(new URL(opened.page.url()).searchParams.get('next-token-bars.added')).toMatch(/^\d+,\d+$/);
  await bars.getByRole('button', { name: 'Sample next token' }).click();
  await settled(opened.page, BARS);
  const added = new URL(opened.page.url()).searchParams.get('next-token-bars.added')!;
  expect(added.split(',')).toHaveLength(3);
  await bars.getByRole('button', { name: 'Remove last token' }).click();
  await settled(opened.page, BARS);
  expect(new URL(opened.page.url()).searchParams.get('next-token-bars.added')).toBe(added.split(',').slice(0, 2).join(','));

  // An empty prompt is explained.
  await bars.getByRole('textbox', { name: 'Prompt' }).fill('');
  await bars.getByRole('button', { name: 'Run' }).click();
  expect(await settled(opened.page, BARS)).toEqual({ status: 'error', message: 'The prompt is empty: type a few words.' });
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});

test('out-of-range link values (k = 0, p = 0, negative temperature) fall back with a message', async () => {
  const opened = await site.openPage(
    `${CHAPTER}?backend=wasm&next-token-bars.prompt=Once&next-token-bars.topK=0&next-token-bars.topP=0&next-token-bars.temperature=-1&beam-tree.prompt=Once&beam-tree.length=2&beam-tree.samples=0&beam-tree.beams=99&degeneration.prompt=Once&degeneration.length=20`,
  );
  await startAllWidgets(opened.page, 120_000);
  await settled(opened.page, BARS);
  const message = (await opened.page.locator(`${BARS} [data-widget-status]`).textContent())!;
  expect(message).toContain('The link sets temperature to "-1", but it must be a number from 0 to 2; showing 1 instead.');
  expect(message).toContain('The link sets topK to "0", but it must be a whole number from 1 to 5000; showing 50 instead.');
  expect(message).toContain('The link sets topP to "0", but it must be a number from 0.01 to 1; showing 1 instead.');
  await settled(opened.page, TREE);
  expect(await opened.page.locator(`${TREE} [data-widget-status]`).textContent()).toContain(
    'The link sets beams to "99", but it must be a whole number from 1 to 8; showing 3 instead.',
  );
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

test('beam tree and degeneration: paths from the engine, log-probabilities, distinct-n, controls write the link', async () => {
  const opened = await site.openPage(
    // The degeneration figure runs at the chapter's defaults (its text alternative's claim is checked below).
    `${CHAPTER}?backend=wasm&next-token-bars.prompt=Once&beam-tree.prompt=Once+upon&beam-tree.beams=2&beam-tree.samples=1&beam-tree.length=3`,
  );
  await startAllWidgets(opened.page, 120_000);
  const tree = opened.page.locator(TREE);
  await settled(opened.page, TREE);
  const lines = await tree.locator('.mw-readout').allTextContents();
  expect(lines.map((line) => line.split(':')[0])).toEqual(['beam search (2 beams)', 'greedy', 'sample, seed 1']);
  const totals = lines.map((line) => Number(/Σ log p = (−?\d+\.\d+)/.exec(line)![1].replace('−', '-')));
  for (const total of totals) expect(total).toBeLessThanOrEqual(0);
  // Every path has 3 new tokens, so the tree has 3 levels below the prompt.
  const depths = await tree.locator('.chart-tree-node').count();
  expect(depths).toBeGreaterThanOrEqual(4);
  // One node per shared prefix: at most 1 + 3 paths x 3 tokens.
  expect(depths).toBeLessThanOrEqual(10);
  await tree.getByRole('slider', { name: 'Beams' }).fill('3');
  await settled(opened.page, TREE);
  expect(new URL(opened.page.url()).searchParams.has('beam-tree.beams')).toBe(false); // 3 is the default
  expect((await tree.locator('.mw-readout').first().textContent())!.startsWith('beam search (3 beams)')).toBe(true);

  const degeneration = opened.page.locator(DEGENERATION);
  await settled(opened.page, DEGENERATION);
  const legend = await degeneration.locator('.dw-legend li').allTextContents();
  expect(legend.map((item) => item.split(':')[0])).toEqual(['greedy', 'temperature 0.30', 'top-p 0.90']);
  const distinct2 = legend.map((item) => Number(/distinct-2 (\d\.\d+)/.exec(item)![1]));
  for (const value of distinct2) {
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThanOrEqual(1);
  }
  // The text alternative says the shipped model's greedy text repeats most.
  for (const value of distinct2.slice(1)) expect(distinct2[0]).toBeLessThan(value);
  // At a desktop and a phone width: the tree's labels are drawn at 11 px or more (a deep tree
  // scrolls, and says so, rather than shrinking) and every legend entry lies inside its widget.
  for (const width of [1280, 390]) {
    await opened.page.setViewportSize({ width, height: 900 });
    // redrawn for this width: the scroll note agrees with the chart's overflow
    await opened.page.waitForFunction((sel) => {
      const chart = document.querySelector(`${sel} .dw-tree`) as HTMLElement | null;
      const note = document.querySelector(`${sel} .dw-scroll-note`) as HTMLElement | null;
      return !!chart?.querySelector('svg') && !!note && chart.scrollWidth > chart.clientWidth + 1 === !note.hidden;
    }, TREE);
    const sizes = await tree.locator('.chart-tree-node text').evaluateAll((texts) =>
      texts.map((text) => {
        const svg = text.closest('svg')!;
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return parseFloat(getComputedStyle(text).fontSize) * scale;
      }),
    );
    expect(sizes.length, `${width} px`).toBeGreaterThan(0);
    expect(Math.min(...sizes), `${width} px`).toBeGreaterThanOrEqual(11);
    const treeScrolls = await tree.locator('.dw-tree').evaluate((chart) => chart.scrollWidth > chart.clientWidth + 1);
    expect(await tree.locator('.dw-scroll-note').isVisible(), `${width} px`).toBe(treeScrolls);
    if (width === 1280) expect(treeScrolls).toBe(false);
    for (const widget of [tree, degeneration]) {
      const box = (await widget.boundingBox())!;
      const entries = await widget.locator('.dw-legend li').evaluateAll((items) =>
        items.map((item) => {
          const r = item.getBoundingClientRect();
          return { text: item.textContent, left: r.left, right: r.right, width: r.width, height: r.height, visible: getComputedStyle(item).visibility === 'visible' };
        }),
      );
      expect(entries.length).toBe(3);
      for (const entry of entries) {
        expect(entry.visible && entry.width > 0 && entry.height > 0, `${entry.text} at ${width} px`).toBe(true);
        expect(entry.left, `${entry.text} at ${width} px`).toBeGreaterThanOrEqual(box.x);
        expect(entry.right, `${entry.text} at ${width} px`).toBeLessThanOrEqual(box.x + box.width);
      }
    }
  }
  await opened.page.setViewportSize({ width: 1280, height: 900 });

  await degeneration.getByRole('slider', { name: 'n (distinct-n)' }).fill('3');
  await degeneration.getByRole('slider', { name: 'n (distinct-n)' }).dispatchEvent('change');
  expect(new URL(opened.page.url()).searchParams.get('degeneration.n')).toBe('3');
  expect(await degeneration.locator('.dw-legend li').first().textContent()).toContain('distinct-3');
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});
