// The Swish / SiLU / SwiGLU chapter in Chromium: the activation explorer and the live model's MLP
// react to their controls, restore from the link, and explain bad input.
import { expect, test } from 'vitest';
import { siluMinimum, unitTopContexts } from '../../src/chapters/activations';
import { pieceLabel } from '../../src/widgets/pieces';
import { startAllWidgets } from './helpers';
import { settled, type ChapterSite, useChapterSite } from './helpers/chapterSite';
import { validationUnitRows } from './helpers/contractParts';

const CHAPTER = '/chapters/06-swish-silu-swiglu/';
const EXPLORER = '[data-widget-id="activation-explorer"]';
const MLP = '[data-widget-id="mlp-inside"]';

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });


/** "−0.1392" as the widgets print numbers (formatNumber: real minus sign). */
const shown = (value: number, digits: number) => value.toFixed(digits).replace('-', '−');

test('explorer: beta from the link, minimum at x*/beta, keyboard and hover write the link', async () => {
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&activation-explorer.beta=2`);
  await startAllWidgets(opened.page, 120_000);
  const widget = opened.page.locator(EXPLORER);
  const beta = widget.getByRole('slider', { name: 'β' });
  expect(await beta.inputValue()).toBe('2');
  const { x, value } = siluMinimum();
  const readout = widget.locator('.mw-readout');
  expect(await readout.textContent()).toContain(`Minimum ${shown(value / 2, 4)} at x = ${shown(x / 2, 4)}.`);

  await beta.focus();
  await opened.page.keyboard.press('ArrowRight');
  expect(new URL(opened.page.url()).searchParams.get('activation-explorer.beta')).toBe('2.05');
  expect(await readout.textContent()).toContain(`Minimum ${shown(value / 2.05, 4)}`);

  await beta.fill('0');
  expect(await readout.textContent()).toContain('With β = 0 swish is the line x/2: no minimum.');
  // swish_0(x) = x/2: at the default read-out x = -1.28 the value is -0.64.
  expect(await readout.textContent()).toContain('swish −0.6400');

  // Hovering the chart's centre moves the read-out to x = 0, where swish is 0 for every beta.
  const box = (await widget.locator('svg').boundingBox())!;
  await opened.page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  const hovered = Number(new URL(opened.page.url()).searchParams.get('activation-explorer.x'));
  expect(Math.abs(hovered)).toBeLessThan(0.6);
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});

test('MLP: histograms and loss for a prompt; swapping in ReLU changes the loss; bad links and prompts explained', async () => {
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&activation-explorer.beta=-1&mlp-inside.layer=40`);
  const widgets = await startAllWidgets(opened.page, 120_000);
  const explorer = widgets.find((widget) => widget.id === 'activation-explorer')!;
  expect(explorer.status).toBe('note');
  expect(explorer.message).toBe('The link sets beta to "-1", but it must be a number from 0 to 10; showing 1 instead.');

  const mlp = opened.page.locator(MLP);
  const first = await settled(opened.page, MLP);
  expect(first.status).toBe('note');
  expect(first.message).toMatch(/^The link asks for layer 40, but the model has layers 0 to (\d+); showing layer \1\.$/);
  const headings = await mlp.locator('h3').allTextContents();
  expect(headings[0]).toMatch(/^Layer \d+: gate pre-activations g \(\d+\.\d% negative\)$/);
  expect(headings[1]).toMatch(/^SiLU\(g\) · up \(\d+\.\d% negative\)$/);
  expect(await mlp.locator('svg[role="img"]').count()).toBe(3); // two histograms, one bar chart
  const siluText = (await mlp.locator('.mw-readout').textContent())!;
  const siluLoss = Number(/as trained: (\d+\.\d+) nats/.exec(siluText)![1]);
  expect(siluLoss).toBeGreaterThan(0);

  await mlp.getByRole('combobox', { name: 'Activation' }).selectOption('relu');
  await settled(opened.page, MLP);
  expect(new URL(opened.page.url()).searchParams.get('mlp-inside.activation')).toBe('relu');
  const reluText = (await mlp.locator('.mw-readout').textContent())!;
  const [, reluLoss, trainedLoss] = /with ReLU in every layer: (\d+\.\d+) nats per token, against (\d+\.\d+) with SiLU/.exec(reluText)!;
  // The SiLU baseline is the same forward pass as before; ReLU's loss is a different number.
  expect(Number(trainedLoss)).toBe(siluLoss);
  expect(Number(reluLoss)).not.toBe(siluLoss);
  expect(await mlp.locator('h3').nth(1).textContent()).toMatch(/^ReLU\(g\) · up/);

  // An empty prompt: a clear message, and the figure stays as it was.
  await mlp.getByRole('textbox', { name: 'Prompt' }).fill('   ');
  await mlp.getByRole('button', { name: 'Run' }).click();
  expect(await settled(opened.page, MLP)).toEqual({ status: 'error', message: 'The prompt is empty: type a few words.' });
  // Emoji, CJK and a control character run (byte fallback), and a reload restores the swap.
  await mlp.getByRole('textbox', { name: 'Prompt' }).fill('猫 🐱 \u0007ok');
  await mlp.getByRole('button', { name: 'Run' }).click();
  expect((await settled(opened.page, MLP)).status).not.toBe('error');
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});

test('one unit: the embed lists the top contexts the engine finds, a new unit redraws without the model, bad input explained', async () => {
  const { tokenizer } = site.engine!;
  const opened = await site.openPage('/embed/mlp-unit/?backend=wasm&mlp-unit.layer=1&mlp-unit.unit=5');
  await startAllWidgets(opened.page, 120_000);
  const widget = opened.page.locator('[data-widget-id="mlp-unit"]');
  expect(await settled(opened.page, '[data-widget-id="mlp-unit"]')).toEqual({ status: 'ready', message: '' });
  const { stories, rows } = await validationUnitRows(site.engine!, 1);
  const shownRows = () => widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  const expected = (unit: number, sign: 1 | -1) => unitTopContexts(rows, 352, unit, 12, sign).map((c) => [String(c.row + 1), shown(c.value, 3)]);
  const pageRows = await shownRows();
  expect(pageRows.map((row) => [row[0], row[2]])).toEqual(expected(5, 1));
  // the bracketed token of the first context is the story's token there
  const first = unitTopContexts(rows, 352, 5, 1)[0];
  expect(pageRows[0][1]).toContain(`[${pieceLabel(tokenizer.pieces[stories[first.row][first.position]])}]`);

  // the arrow key moves to unit 6 and the table follows, with no model run (an embed keeps no link state)
  const unit = widget.getByRole('slider', { name: 'Unit' });
  await unit.focus();
  await opened.page.keyboard.press('ArrowRight');
  expect(await widget.locator('output').first().textContent()).toBe('6');
  expect((await shownRows()).map((row) => [row[0], row[2]])).toEqual(expected(6, 1));
  await widget.getByRole('combobox', { name: 'Show' }).selectOption('negative');
  expect((await shownRows()).map((row) => [row[0], row[2]])).toEqual(expected(6, -1));

  await widget.getByRole('textbox', { name: 'Prompt' }).fill('');
  await widget.getByRole('button', { name: 'Run' }).click();
  expect(await settled(opened.page, '[data-widget-id="mlp-unit"]')).toEqual({ status: 'error', message: 'The prompt is empty: type a few words.' });
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();

  const bad = await site.openPage('/embed/mlp-unit/?backend=wasm&mlp-unit.unit=999');
  await startAllWidgets(bad.page, 120_000);
  expect((await settled(bad.page, '[data-widget-id="mlp-unit"]')).message).toBe('The link asks for unit 999, but each MLP has units 0 to 351; showing unit 351.');
  await bad.close();
});
