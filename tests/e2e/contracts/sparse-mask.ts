// The mask at its default (the Mia prompt, strided l = 4): the pair count is patternPairs, the
// masked and full mean losses are the engine's with and without patternMask in Node, and the grid
// has a cell per query-key pair.
import { expect } from 'vitest';
import { tokenLosses } from '../../../src/chapters/attention';
import { patternMask, patternPairs, settingsOf } from '../../../src/chapters/sparseAttention';
import type { WidgetContract } from '../helpers/contracts';

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode('Once upon a time, there was a girl named Mia. Mia had a red ball. She liked to play with it in the park.', { bos: true });
  const strided = settingsOf({ pattern: 'strided', stride: 4, window: 4 });
  const masked = mean(tokenLosses((await model.run([ids], { queryKeyMask: patternMask(ids.length, strided) })).logits, ids));
  const full = mean(tokenLosses((await model.run([ids])).logits, ids));
  expect(Number(await widget.locator('[data-pairs]').getAttribute('data-pairs'))).toBe(patternPairs(ids.length, strided));
  expect(Math.abs(Number(await widget.locator('[data-loss]').getAttribute('data-loss')) - masked)).toBeLessThan(1e-3);
  expect(Math.abs(Number(await widget.locator('[data-full-loss]').getAttribute('data-full-loss')) - full)).toBeLessThan(1e-3);
  expect(await widget.locator('svg rect.heat-cell').count()).toBe(ids.length * ids.length);
};
