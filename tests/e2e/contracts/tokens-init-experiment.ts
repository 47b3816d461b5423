// The initialisation experiment at its default (the run shipped with the page): each row's
// held-out loss after training is the one public/data/tokens-init-run.json logged, and the new
// pieces named are the ones initExperimentData picks from our tokenizer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { INIT_EXPERIMENT, initExperimentData, type TokensInitRunFile } from '../../../src/chapters/tokens';
import { REPO_ROOT } from '../helpers/build';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const shipped = JSON.parse(readFileSync(join(REPO_ROOT, 'public', 'data', 'tokens-init-run.json'), 'utf8')) as TokensInitRunFile;
  expect(await widget.locator('.tok-source').textContent()).toMatch(/^You see the run shipped with this page/);
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => row[4])).toEqual(shipped.runs.map((run) => run.heldOutAfter.toFixed(2)));
  const { pieces } = initExperimentData((await engine()).tokenizer, INIT_EXPERIMENT.defaultPieces);
  expect(await widget.locator('.mw-readout').first().textContent()).toBe(`The ${pieces.length} new pieces: ${pieces.join(' ')}`);
};
