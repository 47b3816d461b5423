// The data-parallel chapter in Chromium: the log reader and the memory calculator against
// src/chapters/dataParallel.ts, and the Web Worker ranks against the same ranks run in Node on the
// shipped weights (2 ranks, 2 steps; then the same-data bug for 1 step); bad input in each.
// Times and speedups are shown by the page, never asserted. The ranks' tensors live in their own
// workers, which every run terminates; tests/unit/dp-rank.test.ts checks that a step leaks none.
import { expect, test } from 'vitest';
import { formatBytes, PARAMETER_PRESETS } from '../../src/chapters/anatomy';
import { compareRuns, memoryPerDevice, NOTES_SINGLE_MACHINE_LOG, NOTES_TWO_MACHINE_LOG, readTrainerLog } from '../../src/chapters/dataParallel';
import { startAllWidgets } from './helpers';
import { type ChapterSite, expectClose, linkParam, statusText, useChapterSite } from './helpers/chapterSite';
import { nodeDataParallelRanks } from './helpers/contractParts';

const CHAPTER = '/chapters/14-data-parallel/';
const RANKS = '[data-widget-id="dp-ranks"]';
const LOGS = '[data-widget-id="dp-log-reader"]';
const MEMORY = '[data-widget-id="dp-memory"]';

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });

const cells = (rows: Element[]) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? ''));

/** The widget's 2 ranks, run in Node (helpers/contractParts.ts, shared with the dp-ranks contract). */
const nodeRanks = (steps: number) => nodeDataParallelRanks(site.engine!, steps);

test('ranks in Web Workers match the ranks in Node; the log reader and the memory calculator match the maths; bad input in each', async () => {
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&dp-ranks.steps=2`);
  const { page } = opened;
  await startAllWidgets(page, 120_000);

  // Log reader: 4 devices for the second run, then a bad log (the notes' logs, the default, are the
  // contract's, tests/e2e/contracts/dp-log-reader.ts).
  const reader = page.locator(LOGS);
  const comparison = compareRuns(readTrainerLog(NOTES_SINGLE_MACHINE_LOG), readTrainerLog(NOTES_TWO_MACHINE_LOG), 1, 2);
  await reader.getByRole('spinbutton', { name: 'Devices of the second run' }).fill('4');
  await reader.getByRole('spinbutton', { name: 'Devices of the second run' }).dispatchEvent('change');
  expect(await reader.locator('.dp-verdict').textContent()).toContain(`efficiency of ${Math.round((100 * comparison.epochSpeedup) / 4)}%.`);
  expect(linkParam(page, 'dp-log-reader.scaledDevices')).toBe('4');
  await reader.getByRole('textbox', { name: 'Log of the first run' }).fill('你好 🦙\u0007');
  await expect
    .poll(() => statusText(reader))
    .toBe("First log: No summary line: the log must end with the Trainer's {'train_runtime': …, 'train_samples_per_second': …, 'train_steps_per_second': …, 'epoch': …}.");
  expect(await reader.locator('.dp-caveats li').count()).toBe(0);
  await reader.getByRole('button', { name: "Back to the notes' logs" }).click();
  expect(await statusText(reader)).toBe('');

  // Memory calculator: Llama 2 7B on 8 devices by default; ZeRO-3 row as the maths gives it.
  const memory = page.locator(MEMORY);
  const llama70b = PARAMETER_PRESETS.find((p) => p.id === 'llama-2-70b')!.config;
  await memory.getByRole('combobox', { name: 'Model' }).selectOption('llama-2-70b');
  await memory.getByRole('checkbox', { name: /Recompute/ }).check();
  const zero3 = memoryPerDevice({ config: llama70b, strategy: 'zero3', devices: 8, microBatch: 1, sequence: 4096, recompute: true });
  const row = (await memory.locator('tbody tr').evaluateAll(cells)).find((r) => r[0].startsWith('ZeRO-3'))!;
  expect(row.slice(1, 6)).toEqual([formatBytes(zero3.weights), formatBytes(zero3.gradients), formatBytes(zero3.optimizer), formatBytes(zero3.activations), `${formatBytes(zero3.total)} (over 80 GB)`]);
  expect(linkParam(page, 'dp-memory.model')).toBe('llama-2-70b');
  const devices = memory.getByRole('spinbutton', { name: 'Devices K' });
  await devices.fill('0');
  await devices.dispatchEvent('change');
  expect(await statusText(memory)).toBe('Devices K must be a whole number from 1 to 1,024; keeping 8.');

  // Ranks: 2 Web Workers, 2 steps; each rank's local loss and the all-reduced loss as Node computes them.
  const ranks = page.locator(RANKS);
  const train = async () => {
    await ranks.getByRole('button', { name: 'Train' }).click();
    await page.waitForFunction((sel) => {
      const el = document.querySelector<HTMLElement>(sel)!;
      return el.dataset.status !== 'loading' && !el.querySelector<HTMLButtonElement>('.dp-controls button')!.disabled;
    }, RANKS, { timeout: 120_000 });
    return (await ranks.locator('tbody tr').evaluateAll(cells)).map((r) => r.slice(1, 4).map(Number));
  };
  const honest = await train();
  const expected = nodeRanks(2);
  expect(honest).toHaveLength(2);
  honest.forEach((cellsOfStep, step) => expectClose(cellsOfStep, [...expected[step].local, expected[step].reduced], 2e-4));
  expect(Math.abs(honest[0][0] - honest[0][1])).toBeGreaterThan(1e-3); // different rows, different losses
  expect(await ranks.locator('.dp-rows').textContent()).toBe('Rows of step 1: rank 0: rows 0, 2, 4, 6; rank 1: rows 1, 3, 5, 7.');
  expect(await ranks.locator('.dp-same').getAttribute('data-equal')).toBe('true');
  expect(await ranks.locator('.dp-speed').textContent()).toMatch(/^Measured here \(median step after the first\): 2 ranks: [\d,]+ tokens\/s\. Train with 1 rank too/);

  // The bug: both ranks train on rank 0's rows, and their losses agree exactly.
  await ranks.getByRole('checkbox', { name: 'Bug: every rank gets the same data' }).check();
  await ranks.getByRole('spinbutton', { name: 'Steps' }).fill('1');
  const buggy = await train();
  expect(linkParam(page, 'dp-ranks.sameData')).toBe('true');
  expect(buggy[0][0]).toBe(buggy[0][1]);
  // rank 0's rows of step 0 from the same start: the honest run's rank 0 loss, on every rank
  expectClose(buggy[0], [expected[0].local[0], expected[0].local[0], expected[0].local[0]], 2e-4);
  expect(await ranks.locator('.dp-rows').textContent()).toBe("Rows of step 0: rank 0: rows 0, 2, 4, 6; rank 1: rows 0, 2, 4, 6 (rank 0's again).");

  // Bad input: steps out of range.
  await ranks.getByRole('spinbutton', { name: 'Steps' }).fill('31');
  await ranks.getByRole('button', { name: 'Train' }).click();
  expect(await statusText(ranks)).toBe('Steps must be a whole number from 1 to 30; received "31".');
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
}, 240_000);
