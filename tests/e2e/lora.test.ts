// The LoRA chapter in Chromium: the calculator's counts are the chapter maths'; the lab trains 5
// steps in the page with the losses Node gets for the same steps, starts exactly at the base
// model, merges to the same logits and stops when asked; the inspector shows the singular values
// the engine computes in Node for the shipped adapter; each refuses one bad input. The op
// sequence the lab runs leaks no tensor in the worker.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { compareFineTuning, loraPreset, NAME_TASK } from '../../src/chapters/lora';
import { loadAdapter } from '../../src/llama/lora';
import { inspectLoraUpdate } from '../../src/llama/loraInspect';
import { LlamaModel } from '../../src/llama/model';
import { Sessions } from '../../src/runtime/sessions';
import type { getRuntime } from '../../src/runtime/client';
import { LORA_NAME_ADAPTER_DIR, trainNameAdapter } from '../../scripts/lora-name-adapter';
import { startAllWidgets } from './helpers';
import { linkParam, settled, useChapterPage, type ChapterPage } from './helpers/chapterSite';

type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

const CALCULATOR = '[data-widget-id="lora-calculator"]';
const LAB = '[data-widget-id="lora-lab"]';
const INSPECTOR = '[data-widget-id="lora-update-inspector"]';

let chapter: ChapterPage;
useChapterPage('/chapters/13-lora/', (opened) => (chapter = opened));

const data = (selector: string, name: string) => chapter.page.locator(`${selector} [data-${name}]`).getAttribute(`data-${name}`);

test('calculator, lab and inspector agree with the engine; a run is stopped; bad input is explained', async () => {
  const { page, engine } = chapter;
  expect((await startAllWidgets(page, 180_000)).map((w) => w.status)).toEqual(['ready', 'ready', 'ready']);

  // What each widget shows at its default state (Llama 2 7B at r 8 on q and v, the lab's adapter
  // count, the inspector's layer 0 q_proj) is its contract (tests/e2e/contracts/lora-*.ts).
  // The calculator: ours with every module at r 16.
  const calculator = page.locator(CALCULATOR);
  await calculator.getByRole('combobox', { name: 'Model' }).selectOption('glass-llama');
  await calculator.getByRole('spinbutton', { name: 'Rank r' }).fill('16');
  await calculator.getByRole('spinbutton', { name: 'Rank r' }).dispatchEvent('change');
  for (const module of ['k_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']) await calculator.getByRole('checkbox', { name: module }).check();
  const all = compareFineTuning(loraPreset('glass-llama').config, 16, ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], 'bf16', 'adamw');
  expect(await data(CALCULATOR, 'trainable')).toBe(String(all.count.trainable));
  expect(Number(await data(CALCULATOR, 'full-bytes'))).toBe(all.full.total);
  expect(linkParam(page, 'lora-calculator.modules')).toBe('q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj');
  await calculator.getByRole('spinbutton', { name: 'Rank r' }).fill('100');
  await calculator.getByRole('spinbutton', { name: 'Rank r' }).dispatchEvent('change');
  expect(await settled(page, CALCULATOR)).toEqual({
    status: 'error',
    message: 'Rank 100 is more than 64, the smallest side of an adapted weight of Glass Llama (ours): the update could not have that rank.',
  });

  // The lab: 5 steps in the page against 5 steps in Node.
  const lab = page.locator(LAB);
  const steps = lab.getByRole('spinbutton', { name: 'Steps' });
  await steps.fill('0');
  await steps.dispatchEvent('change');
  expect(await settled(page, LAB)).toEqual({ status: 'error', message: `Steps must be a whole number from 1 to ${NAME_TASK.maxSteps}.` });
  expect(await lab.getByRole('button', { name: 'Train' }).isDisabled()).toBe(true);
  await steps.fill('5');
  await steps.dispatchEvent('change');
  await lab.getByRole('button', { name: 'Train' }).click();
  await page.waitForFunction((sel) => ['trained', 'stopped', 'error'].includes(document.querySelector<HTMLElement>(`${sel} [data-state]`)?.dataset.state ?? ''), LAB, { timeout: 240_000 });
  expect(await data(LAB, 'state')).toBe('trained');
  expect(await data(LAB, 'start-difference')).toBe('0');
  const pageLosses = (await data(LAB, 'losses'))!.split(',').map(Number);
  const sessions = new Sessions(() => engine.model);
  const node = await trainNameAdapter(sessions, engine.tokenizer, 'lab', 5);
  sessions.dropAll();
  expect(pageLosses).toHaveLength(5);
  pageLosses.forEach((loss, i) => expect(Math.abs(loss - node.losses[i]), `step ${i}`).toBeLessThan(1e-3));
  expect(pageLosses[4]).toBeLessThan(pageLosses[0]);
  await lab.getByRole('button', { name: 'Merge and compare' }).click();
  await page.waitForFunction((sel) => document.querySelector<HTMLElement>(`${sel} [data-state]`)?.dataset.state === 'merged', LAB);
  expect(Number(await data(LAB, 'merged-difference'))).toBeLessThan(1e-4);

  // Stop: a 100-step run stopped after its first step reports fewer steps and says so.
  await steps.fill('100');
  await steps.dispatchEvent('change');
  await lab.getByRole('button', { name: 'Train' }).click();
  await page.waitForFunction((sel) => (document.querySelector<HTMLElement>(`${sel} [data-state]`)?.dataset.losses ?? '').length > 0, LAB, { timeout: 120_000 });
  await lab.getByRole('button', { name: 'Stop' }).click();
  await page.waitForFunction((sel) => document.querySelector<HTMLElement>(`${sel} [data-state]`)?.dataset.state === 'stopped', LAB, { timeout: 120_000 });
  const stepsRun = Number(await data(LAB, 'steps-run'));
  expect(stepsRun).toBeLessThan(100);
  expect((await settled(page, LAB)).message).toBe(`Stopped after ${stepsRun} of 100 steps.`);
  await lab.getByRole('button', { name: 'Back to the base model' }).click();
  await page.waitForFunction((sel) => document.querySelector<HTMLElement>(`${sel} [data-state]`)?.dataset.state === 'reset', LAB);

  // The inspector: the shipped adapter's layer 3 v_proj, as the engine in Node sees it.
  const files = {
    'adapter_config.json': readFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_config.json'), 'utf8'),
    'adapter_model.safetensors': new Uint8Array(readFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_model.safetensors'))),
  };
  const adapter = loadAdapter(engine.model.config, files);
  const adapted = LlamaModel.fromWeights(engine.model.config, engine.model.toWeightMap());
  adapted.attachAdapter(adapter);
  const ids = engine.tokenizer.encode('Once upon a time, there was a little girl named', { bos: true });
  const expectValues = async (layer: number, module: 'q_proj' | 'v_proj') => {
    const expected = inspectLoraUpdate(adapted, ids, layer, module);
    const shown = (await data(INSPECTOR, 'singular-values'))!.split(',').map(Number);
    shown.forEach((value, i) => expect(Math.abs(value - expected.singularValues[i])).toBeLessThan(1e-4 * expected.singularValues[0]));
    expect(await data(INSPECTOR, 'rank')).toBe('4');
    expect(Number(await data(INSPECTOR, 'update-norm'))).toBeCloseTo(Math.hypot(...expected.updateOutput), 3);
  };
  expect((await settled(page, INSPECTOR)).status).toBe('ready');
  const inspector = page.locator(INSPECTOR);
  await inspector.getByRole('combobox', { name: 'Layer' }).selectOption('3');
  await inspector.getByRole('combobox', { name: 'Projection' }).selectOption('v_proj');
  await page.waitForFunction((sel) => document.querySelector(`${sel} .lora-count`)?.textContent?.startsWith('Layer 3 v_proj'), INSPECTOR);
  await expectValues(3, 'v_proj');
  expect(linkParam(page, 'lora-update-inspector.module')).toBe('v_proj');
  adapted.dispose();
  adapter.dispose();
  await inspector.getByRole('textbox', { name: 'Prompt' }).fill('');
  await inspector.getByRole('button', { name: 'Run' }).click();
  expect(await settled(page, INSPECTOR)).toEqual({ status: 'error', message: 'The prompt is empty: type a few words.' });

  expect(chapter.opened.consoleErrors).toEqual([]);
  expect(chapter.opened.pageErrors).toEqual([]);
}, 400_000);

test("the lab's op sequence (fork, attachLora, trainSteps, stopped trainSteps, merge fork, loraUpdate, drops) leaks no tensor", async () => {
  const opened = await chapter.site.openPage('/test/runtime/?backend=wasm');
  await opened.page.getByText('ready', { exact: true }).waitFor();
  const examples = [{ ids: engineIds() }];
  const outcome = await opened.page.evaluate(async (trainExamples) => {
    const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
    await runtime.load('/models/glass-llama/');
    const before = await runtime.memory();
    await runtime.fork('s');
    await runtime.call('attachLora', { session: 's', config: { r: 2, lora_alpha: 4, target_modules: ['q_proj', 'v_proj'] }, seed: 1 });
    const schedule = { peakLearningRate: 0.01, warmupSteps: 1, totalSteps: 3, finalFraction: 0.1 };
    const args = { session: 's', examples: trainExamples, batchSize: 2, seqLength: 8, seed: 1, steps: 3, schedule, maxGradNorm: 1 };
    const trained = await runtime.trainSteps(args);
    const controller = new AbortController();
    const stopped = await runtime.trainSteps({ ...args, steps: 50 }, { signal: controller.signal, onProgress: () => controller.abort() });
    await runtime.fork('merged', 's');
    await runtime.forward({ text: 'Once upon a time', session: 'merged' });
    const update = await runtime.call('loraUpdate', { session: 's', input: { text: 'Once upon a time' }, layer: 1, module: 'v_proj' });
    await runtime.dropSession('merged');
    await runtime.dropSession('s');
    return { before, after: await runtime.memory(), trained: trained.stepsRun, stopped: stopped.stepsRun, stopReason: stopped.stopReason, rank: update.rank };
  }, examples);
  expect(outcome.after.numTensors).toBe(outcome.before.numTensors);
  expect(outcome).toMatchObject({ trained: 3, stopReason: 'cancelled', rank: 2 });
  expect(outcome.stopped).toBeLessThan(50);
  await opened.close();
});

function engineIds(): number[] {
  return chapter.engine.tokenizer.encode('Once upon a time, there was a little girl named Zelda. Zelda liked to play.', { bos: true });
}
