// The log reader at its default (the notes' single- and two-machine Trainer logs, 1 and 2 devices):
// the speedups, caveats and optimizer-step counts are compareRuns over the parsed logs.
import { expect } from 'vitest';
import { compareRuns, NOTES_SINGLE_MACHINE_LOG, NOTES_TWO_MACHINE_LOG, readTrainerLog } from '../../../src/chapters/dataParallel';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  const comparison = compareRuns(readTrainerLog(NOTES_SINGLE_MACHINE_LOG), readTrainerLog(NOTES_TWO_MACHINE_LOG), 1, 2);
  const verdict = (await widget.locator('.dp-verdict').textContent())!;
  expect(verdict).toContain(`The summaries say: ${comparison.runtimeSpeedup.toFixed(2)}× faster with 2 times the devices, an efficiency of 108% ("better than linear").`);
  expect(Math.round((100 * comparison.runtimeSpeedup) / 2)).toBe(108);
  expect(verdict).toContain(`Per epoch actually done: ${comparison.epochSpeedup.toFixed(2)}×, an efficiency of ${Math.round((100 * comparison.epochSpeedup) / 2)}%.`);
  expect(await widget.locator('.dp-caveats li').allTextContents()).toEqual(comparison.caveats);
  const rows = await widget.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent ?? '')));
  expect(rows).toContainEqual(['optimizer steps (steps/s × runtime)', '21', '9']);
};
