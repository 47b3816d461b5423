// The training chapter in Chromium: the loss mask explains a bad example, the before-and-after
// figure writes what the engine writes with the shipped model, and the learning-rate race trains
// in the page (5 steps: the loss falls, the first loss is Node's), stops when asked, and the calls
// it makes leak no tensor. What each widget shows at its default state is its contract.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { LR_RACE, type LrRaceFile } from '../../src/chapters/training';
import { generate } from '../../src/llama/generate';
import type { getRuntime } from '../../src/runtime/client';
import { startAllWidgets } from './helpers';
import { settled, useChapterPage, type ChapterPage } from './helpers/chapterSite';

const MASK = '[data-widget-id="train-loss-mask"]';
const BEFORE_AFTER = '[data-widget-id="train-before-after"]';
const RACE = '[data-widget-id="train-lr-race"]';
const ADAPTERS = 'public/models/glass-llama/adapters';

let chapter: ChapterPage;
useChapterPage('/chapters/12-training/', (opened) => (chapter = opened));

function adapterFiles(name: string) {
  return {
    'adapter_model.safetensors': new Uint8Array(readFileSync(`${ADAPTERS}/${name}/adapter_model.safetensors`)),
    'adapter_config.json': readFileSync(`${ADAPTERS}/${name}/adapter_config.json`, 'utf8'),
  };
}

// What each widget shows at its default state (the mask and losses, the SFT reply and the
// fine-tunes' table, the shipped race) is its contract (tests/e2e/contracts/train-*.ts).
test('loss mask: a response that merges with the prompt is explained', async () => {
  const { page } = chapter;
  await startAllWidgets(page, 120_000);
  expect(await settled(page, MASK)).toEqual({ status: 'ready', message: '' });
  await page.locator(MASK).getByRole('textbox', { name: 'Response (counted)' }).fill('');
  await page.locator(MASK).getByRole('button', { name: 'Run' }).click();
  expect(await settled(page, MASK)).toEqual({ status: 'note', message: 'Both the prompt and the response need some text: the mask separates the two.' });
});

test('before and after: the shipped model writes what the engine writes; an empty prompt is explained', async () => {
  const { page, engine } = chapter;
  expect(await settled(page, BEFORE_AFTER)).toEqual({ status: 'ready', message: '' });
  const prompt = '[INST] What sound does a cow make? [/INST]';
  const ids = engine.tokenizer.encode(prompt);
  await page.locator(BEFORE_AFTER).getByRole('radio', { name: 'shipped model' }).check();
  expect(await settled(page, BEFORE_AFTER)).toEqual({ status: 'ready', message: '' });
  const base = await generate(engine.model, ids, { maxNewTokens: 40, temperature: 0, eosTokenId: engine.tokenizer.eosId });
  const baseReply = await page.locator(`${BEFORE_AFTER} .train-output[data-model="base"]`).textContent();
  expect(baseReply!.replace(/^shipped model \(selected\)/, '').trim()).toBe(engine.tokenizer.decode(base.newIds.filter((id) => id !== engine.tokenizer.eosId)).trim());
  expect(new URL(page.url()).searchParams.get('train-before-after.model')).toBe('base');

  const box = page.locator(BEFORE_AFTER).getByRole('textbox', { name: 'Prompt' });
  await box.fill('   ');
  await box.press('Enter');
  expect(await settled(page, BEFORE_AFTER)).toEqual({ status: 'note', message: 'The prompt is empty: type a few words.' });
});

test('learning-rate race: 5 steps in the page lower the loss from the loss Node logged; Stop stops it', async () => {
  const { page } = chapter;
  expect(await settled(page, RACE)).toEqual({ status: 'ready', message: '' });
  const shipped = JSON.parse(readFileSync('public/models/glass-llama/runs/lr-race.json', 'utf8')) as LrRaceFile;

  const steps = page.locator(RACE).getByRole('spinbutton', { name: 'Steps' });
  await steps.fill('0');
  await steps.dispatchEvent('change');
  expect((await settled(page, RACE)).message).toBe(`Steps must be a whole number from 1 to ${LR_RACE.steps}.`);
  await steps.fill('5');
  await steps.dispatchEvent('change');
  await page.locator(RACE).getByRole('combobox', { name: /Copy 1/ }).selectOption('3e-3');
  expect(new URL(page.url()).searchParams.get('train-lr-race.a')).toBe('3e-3');
  await page.locator(RACE).getByRole('button', { name: 'Race here' }).click();
  // Copy 1 (3e-3) runs its 5 steps and is scored; stop during copy 2.
  await page.waitForFunction((sel) => document.querySelector(`${sel} tbody tr td:nth-child(6)`)?.textContent !== '…' && document.querySelectorAll(`${sel} tbody tr`).length >= 2, RACE, { timeout: 240_000 });
  await page.locator(RACE).getByRole('button', { name: 'Stop' }).click();
  const stopped = await settled(page, RACE);
  expect(stopped.status).toBe('note');
  expect(stopped.message).toMatch(/^Stopped(\.| after \d+ steps of copy 2\.)$/);
  await page.locator(RACE).getByRole('button', { name: 'Race here' }).waitFor();
  const rows = await page.locator(`${RACE} table tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  const first = Number(rows[0][1]);
  const last = Number(rows[0][2]);
  expect(last).toBeLessThan(first);
  const logged = shipped.runs.find((run) => run.learningRate === 3e-3)!.losses;
  expect(first).toBeCloseTo(logged[0], 1);
  expect(Number(rows[0][2])).toBeCloseTo(logged[4], 0);
  expect(chapter.opened.consoleErrors).toEqual([]);
  expect(chapter.opened.pageErrors).toEqual([]);
}, 400_000);

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

test('the calls the figures make (fork, trainSteps cancelled, evaluate, generate, loadAdapter, loss, dropSession) leak no tensor', async () => {
  const opened = await chapter.site.openPage('/test/runtime/?backend=wasm');
  await opened.page.getByText('ready', { exact: true }).waitFor();
  const race = JSON.parse(readFileSync('public/models/glass-llama/runs/lr-race.json', 'utf8')) as LrRaceFile;
  const examples = race.trainTexts.slice(0, 8).map((text) => ({ ids: [1, ...chapter.engine.tokenizer.encode(text, { bos: false }), 2] }));
  const files = adapterFiles('notes-lora');
  const outcome = await opened.page.evaluate(
    async ({ examples, files }) => {
      const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
      await runtime.load('/models/glass-llama/');
      const before = await runtime.memory();
      await runtime.fork('race');
      const controller = new AbortController();
      const steps: number[] = [];
      const result = await runtime.call(
        'trainSteps',
        { session: 'race', examples, batchSize: 2, seqLength: 32, seed: 1, steps: 50, maxGradNorm: 1, schedule: { peakLearningRate: 3e-3, warmupSteps: 1, totalSteps: 50, finalFraction: 0.1 } },
        {
          signal: controller.signal,
          onProgress: (progress) => {
            steps.push(progress.step);
            if (steps.length === 2) controller.abort();
          },
        },
      );
      await runtime.call('evaluate', { session: 'race', examples, batchSize: 4, seqLength: 16, rows: 4 });
      await runtime.generate({ text: 'Weather for', maxNewTokens: 3, temperature: 0, session: 'race' }).result;
      await runtime.call('dropSession', { name: 'race' });
      await runtime.fork('adapter');
      await runtime.call('loadAdapter', { session: 'adapter', files: { 'adapter_model.safetensors': new Uint8Array(files.weights), 'adapter_config.json': files.config }, trainable: false });
      await runtime.loss({ ids: [[1, 5, 9, 13]], training: false, session: 'adapter' });
      await runtime.call('dropSession', { name: 'adapter' });
      return { before, after: await runtime.memory(), stepsRun: result.stepsRun, stopReason: result.stopReason, progressed: steps.length };
    },
    { examples, files: { weights: [...files['adapter_model.safetensors']], config: files['adapter_config.json'] } },
  );
  expect(outcome.stopReason).toBe('cancelled');
  expect(outcome.stepsRun).toBe(outcome.progressed);
  expect(outcome.stepsRun).toBeLessThan(50);
  expect(outcome.after.numTensors).toBe(outcome.before.numTensors);
  await opened.close();
});
