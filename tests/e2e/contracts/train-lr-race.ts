// The learning-rate race at its default (the shipped race, rates 1e-4, 3e-3, 3e-1): each row's
// held-out loss after training is the one runs/lr-race.json logged for that rate.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { LR_RACE, type LrRaceFile } from '../../../src/chapters/training';
import { REPO_ROOT } from '../helpers/build';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  const shipped = JSON.parse(readFileSync(join(REPO_ROOT, 'public', 'models', 'glass-llama', 'runs', 'lr-race.json'), 'utf8')) as LrRaceFile;
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => row[0])).toEqual(['1e-4', '3e-3', '3e-1']);
  expect(rows.map((row) => row[3])).toEqual(LR_RACE.defaultRates.map((rate) => shipped.runs.find((run) => run.learningRate === rate)!.heldOutAfter.toFixed(2)));
};
