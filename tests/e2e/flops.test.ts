// The FLOPs chapter in Chromium: the calculator's presets against src/chapters/flops.ts, the model
// budget's FLOPs for another context, the matmul sweep's Cancel; bad input in each. What each widget
// shows at its default state is its contract. Timings are shown, never asserted.
import { expect, test } from 'vitest';
import { forwardFlops, tokenFlops } from '../../src/chapters/flops';
import type { getRuntime } from '../../src/runtime/client';
import { startAllWidgets } from './helpers';
import { type ChapterSite, linkParam, settled, statusText, useChapterSite } from './helpers/chapterSite';

const CHAPTER = '/chapters/11-flops/';
const SWEEP = '[data-widget-id="flops-matmul-sweep"]';
const BUDGET = '[data-widget-id="flops-model-budget"]';
const ROOFLINE = '[data-widget-id="flops-roofline"]';
const CALCULATOR = '[data-widget-id="flops-training-calculator"]';

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });


// What each widget shows at its default state (the Llama 2 7B preset, the budget at 256 keys and its
// kernel table, a small sweep, a small roofline) is its contract (tests/e2e/contracts/flops-*.ts).
test('the four widgets: calculator presets, budget context, sweep cancel; each checked against Node and given bad input', async () => {
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&flops-matmul-sweep.largest=64&flops-matmul-sweep.reps=1&flops-model-budget.newTokens=8`);
  const { page } = opened;
  await startAllWidgets(page, 120_000);
  const config = site.engine!.model.config;

  // Calculator: GPT-3's reported FLOPs.
  const calculator = page.locator(CALCULATOR);
  await calculator.getByRole('combobox', { name: 'Preset' }).selectOption('gpt3');
  expect(linkParam(page, 'flops-training-calculator.preset')).toBe('gpt3');
  const result = (await calculator.locator('.fw-result').textContent())!;
  expect(result).toContain('The paper reports 3.14e+23 FLOPs; 6 N T gives 3.15e+23.');
  const mfu = calculator.getByRole('spinbutton', { name: 'MFU (%)' });
  await mfu.fill('0');
  await mfu.dispatchEvent('change');
  expect(await statusText(calculator)).toBe('MFU (%) must be from 1 to 100; keeping 40.');
  await mfu.fill('');
  await mfu.dispatchEvent('change');
  expect(await statusText(calculator)).toBe('MFU (%) is empty or not a number; keeping 40.');
  await mfu.fill('50');
  await mfu.dispatchEvent('change');
  expect(linkParam(page, 'flops-training-calculator.mfu')).toBe('50');
  expect(linkParam(page, 'flops-training-calculator.preset')).toBe('custom');

  // Model budget: FLOPs per token from the config as Node counts them, for another context.
  const budget = page.locator(BUDGET);
  expect((await settled(page, BUDGET)).status).toBe('ready');
  await budget.getByRole('slider', { name: 'Context (keys per token)' }).fill('10');
  expect(await budget.locator('.fw-result').first().textContent()).toContain(`attending to 10 keys: ${tokenFlops(config, 10).total.toLocaleString('en-US')} FLOPs`);
  expect(linkParam(page, 'flops-model-budget.context')).toBe('10');
  await budget.getByRole('textbox', { name: 'Prompt' }).fill('');
  await budget.getByRole('button', { name: 'Run' }).click();
  expect(await settled(page, BUDGET)).toEqual({ status: 'error', message: 'The prompt is empty: type a few words.' });

  // Matmul sweep: nothing runs before the button (a run of 16, 32, 64 is the contract's).
  const sweep = page.locator(SWEEP);
  expect(await sweep.locator('table tbody tr').count()).toBe(0);
  // Cancel: the largest size (2048³ on WebAssembly) takes far longer than a click; the sweep stops
  // before the next size, and the page answers meanwhile.
  await sweep.getByRole('combobox', { name: 'Largest n' }).selectOption('2048');
  expect(linkParam(page, 'flops-matmul-sweep.largest')).toBe('2048');
  await sweep.getByRole('button', { name: 'Run benchmark' }).click();
  await page.waitForFunction((sel) => document.querySelectorAll(`${sel} table tbody tr`).length >= 1, SWEEP, { timeout: 60_000 });
  await sweep.getByRole('button', { name: 'Cancel' }).click();
  const cancelled = await settled(page, SWEEP);
  expect(cancelled.status).toBe('note');
  expect(cancelled.message).toMatch(/^Cancelled after [1-7] of 8 sizes\.$/);
  expect(await sweep.getByRole('button', { name: 'Run benchmark' }).isEnabled()).toBe(true);

  expect(forwardFlops(config, 26, { lmHeadRows: 1 }).total).toBe(39_501_568);

  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
});

test('bad link values fall back with a message', async () => {
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&flops-matmul-sweep.largest=4096&flops-training-calculator.mfu=250&flops-roofline.largest=abc&flops-model-budget.context=0`);
  await startAllWidgets(opened.page, 120_000);
  expect(await statusText(opened.page.locator(SWEEP))).toContain('The link sets largest to "4096", but it must be one of');
  expect(await statusText(opened.page.locator(CALCULATOR))).toContain('The link sets mfu to "250", but it must be a number from 1 to 100; showing 40 instead.');
  expect(await statusText(opened.page.locator(ROOFLINE))).toContain('The link sets largest to "abc"');
  await settled(opened.page, BUDGET);
  expect(await statusText(opened.page.locator(BUDGET))).toContain('The link sets context to "0", but it must be a whole number from 1 to 256; showing 256 instead.');
  expect(opened.consoleErrors).toEqual([]);
  await opened.close();
});

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

test('the calls the widgets make (timeMatmul cancelled mid-way, timeMatmulChain, generate, profileDecodeStep, forward) leak no tensor', async () => {
  const opened = await site.openPage('/test/runtime/?backend=wasm');
  await opened.page.getByText('ready', { exact: true }).waitFor();
  const outcome = await opened.page.evaluate(async () => {
    const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
    await runtime.load('/models/glass-llama/');
    const before = await runtime.memory();
    await runtime.call('timeMatmul', { m: 64, k: 64, n: 64, reps: 1 });
    const controller = new AbortController();
    const big = runtime.call('timeMatmul', { m: 2048, k: 2048, n: 2048, reps: 1 }, { signal: controller.signal }).then(
      () => 'finished',
      (error: Error) => error.name,
    );
    controller.abort();
    const bigOutcome = await big;
    const { inputIds } = await runtime.forward({ text: 'Once upon a time' });
    await runtime.generate({ ids: inputIds[0], maxNewTokens: 4, temperature: 0, ignoreEos: true }).result;
    await runtime.call('profileDecodeStep', { input: { ids: inputIds[0] } });
    const chained = await runtime.call('timeMatmulChain', { m: 16, k: 16, n: 16, reps: 1 });
    await runtime.call('timeMatmulChain', { m: 1, k: 2048, n: 4096, reps: 1 });
    return { before, after: await runtime.memory(), bigOutcome, chained };
  });
  expect(outcome.after.numTensors).toBe(outcome.before.numTensors);
  expect(['AbortError', 'finished']).toContain(outcome.bigOutcome);
  expect(outcome.chained).toMatchObject({ m: 16, k: 16, n: 16, flops: 8192, reps: 1, backend: 'wasm' });
  expect(Math.log2(outcome.chained.chain) % 1).toBe(0);
  await opened.close();
});
