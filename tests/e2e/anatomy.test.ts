// The anatomy chapter in Chromium: every box of the forward-pass diagram shows the tensor the
// engine's tap returns for the same prompt (checked against the same weights in Node), the
// diagram works from the keyboard, the parameter calculator's totals for other configs, and
// knock-outs whose losses are known exactly (the final norm: ln 1735). The lens, and each widget
// at its default state, are the widget contracts (tests/e2e/contracts/anatomy-*.ts).
import { expect, test } from 'vitest';
import { FORWARD_STEPS, stepTap, vectorStats } from '../../src/chapters/anatomy';
import type { TapName } from '../../src/llama/taps';
import { startAllWidgets } from './helpers';
import { linkParam, settled, useChapterPage, type ChapterPage } from './helpers/chapterSite';

const CHAPTER = '/chapters/09-anatomy/';
const FORWARD = '[data-widget-id="anatomy-forward"]';
const LENS = '[data-widget-id="anatomy-lens"]';
const PARAMS = '[data-widget-id="anatomy-params"]';
const KNOCKOUT = '[data-widget-id="anatomy-knockout"]';
const PROMPT = 'Once upon a time, there was a little girl named Lily. She';

let chapter: ChapterPage;
useChapterPage(CHAPTER, (opened) => (chapter = opened));

test('the diagram, the calculator and the knock-out follow their controls and agree with the engine; bad input is explained', async () => {
  const { page, engine } = chapter;
  await startAllWidgets(page, 180_000);
  const ids = engine.tokenizer.encode(PROMPT, { bos: true });
  const taps: TapName[] = ['embed', 'final_norm'];
  for (let layer = 0; layer < 4; layer++) for (const step of FORWARD_STEPS) if (step.perLayer) taps.push(stepTap(step, layer));
  const reference = await engine.model.run([ids], { taps });
  const last = ids.length - 1;

  // Every box in layer 2 and the model-wide ones: the detail panel shows the engine's tensor.
  const forward = page.locator(FORWARD);
  await settled(page, FORWARD);
  await forward.getByRole('combobox', { name: 'Layer' }).selectOption('2');
  for (const step of FORWARD_STEPS) {
    await forward.locator(`button[data-box="${step.tap}"]`).click();
    const tap = stepTap(step, 2);
    const tensor = tap === 'logits' ? reference.logits : reference.taps[tap];
    const width = tensor.shape[2];
    const detail = forward.locator('.an-detail');
    expect(await detail.getAttribute('data-tap')).toBe(tap);
    expect(await detail.getAttribute('data-shape')).toBe(tensor.shape.join('x'));
    const norm = Number(await detail.getAttribute('data-token-norm'));
    expect(Math.abs(norm - vectorStats(tensor.data, last * width, width).norm), tap).toBeLessThan(1e-3 * Math.max(1, norm));
    expect(await forward.locator(`button[data-box="${step.tap}"]`).getAttribute('aria-pressed')).toBe('true');
  }
  // The output layer's box shows the softmax: "had" first.
  await forward.locator('button[data-box="logits"]').click();
  await forward.locator('.an-detail svg[aria-label*="had"]').waitFor();
  expect(linkParam(page, 'anatomy-forward.box')).toBe('logits');
  // From the keyboard: up arrow moves to the final norm and shows it.
  await forward.locator('button[data-box="logits"]').focus();
  await page.keyboard.press('ArrowUp');
  expect(await forward.locator('.an-detail').getAttribute('data-tap')).toBe('final_norm');
  expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.box)).toBe('final_norm');
  // The first token's embedding: another row of the same tap.
  await forward.locator('button[data-box="embed"]').click();
  await forward.getByRole('combobox', { name: 'Token' }).selectOption('1');
  expect(Number(await forward.locator('.an-detail').getAttribute('data-token-norm'))).toBeCloseTo(vectorStats(reference.taps.embed.data, 128, 128).norm, 3);

  // The logit lens, the calculator's count of ours and the knock-out's default losses are their
  // contracts (tests/e2e/contracts/anatomy-*.ts, on the embed pages).
  await settled(page, LENS);

  // The calculator: Llama 2 70B, then a config that cannot be.
  const params = page.locator(PARAMS);
  await params.getByRole('combobox', { name: 'Preset' }).selectOption('llama-2-70b');
  expect(await params.locator('.an-total').textContent()).toBe('Llama 2 70B: 68,976,648,192 parameters.');
  expect(linkParam(page, 'anatomy-params.preset')).toBe('llama-2-70b');
  const heads = params.getByRole('spinbutton', { name: 'Heads', exact: true });
  await heads.fill('33');
  await heads.dispatchEvent('change');
  expect(await settled(page, PARAMS)).toEqual({
    status: 'note',
    message: 'The hidden size (8192) must be a multiple of the heads (33): each head gets hidden / heads dimensions.',
  });
  await heads.fill('64');
  await params.getByRole('spinbutton', { name: 'KV heads' }).fill('64');
  await params.getByRole('spinbutton', { name: 'KV heads' }).dispatchEvent('change');
  // Without GQA: 80 · 2 · 8192 · 7168 more
  expect(await params.locator('[data-total]').getAttribute('data-total')).toBe(String(68_976_648_192 + 80 * 2 * 8192 * 7168));
  expect(linkParam(page, 'anatomy-params.preset')).toBe('custom');

  // Knock-outs: the final norm gives the uniform distribution, loss ln 1735, whatever the stories.
  const knockout = page.locator(KNOCKOUT);
  await settled(page, KNOCKOUT);
  await knockout.getByRole('combobox', { name: 'Zero' }).selectOption('final_norm');
  await page.waitForFunction(
    (sel) => {
      const widget = document.querySelector<HTMLElement>(`${sel} [data-knocked-loss]`);
      return widget?.dataset.state === 'done' && Math.abs(Number(widget.dataset.knockedLoss) - Math.log(1735)) < 1e-3;
    },
    KNOCKOUT,
    { timeout: 120_000 },
  );
  expect(await knockout.locator('.mw-readout').textContent()).toContain('Zeroed 128 values of model.norm.weight (the final norm).');
  expect(await knockout.getByRole('combobox', { name: 'Layer' }).isVisible()).toBe(false);

  // Bad input: an empty prompt and a prompt past the context.
  await forward.getByRole('textbox', { name: 'Prompt' }).fill('');
  await forward.getByRole('button', { name: 'Run' }).click();
  expect(await settled(page, FORWARD)).toEqual({ status: 'error', message: 'The prompt is empty: type a few words.' });
  await page.locator(LENS).getByRole('textbox', { name: 'Prompt' }).fill('中文 '.repeat(150));
  await page.locator(LENS).getByRole('button', { name: 'Run' }).click();
  expect((await settled(page, LENS)).status).toBe('error');
  expect(chapter.opened.consoleErrors).toEqual([]);
  expect(chapter.opened.pageErrors).toEqual([]);
}, 300_000);
