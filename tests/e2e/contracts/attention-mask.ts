// Mask it, at its default (MASK_PROMPT, no mask): the mean losses and every p(next) in the table
// are the engine's, causal forward against the forward with the widget's mask (3 decimals).
import { expect } from 'vitest';
import { comparePredictions, MASK_PROMPT, maskFor, meanLosses } from '../../../src/chapters/attentionMask';
import { expectClose } from '../helpers/chapterSite';
import { columnNumbers } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode(MASK_PROMPT, { bos: true });
  const mask = maskFor('none', ids.length, []);
  const causal = await model.run([ids]);
  const masked = await model.run([ids], { queryKeyMask: mask });
  const rows = comparePredictions(causal.logits.data, masked.logits.data, ids, model.config.vocab_size, mask);
  const losses = meanLosses(rows);
  const summary = widget.locator('.am-summary');
  expect(Math.abs(Number(await summary.getAttribute('data-causal-loss')) - losses.causal)).toBeLessThan(1e-3);
  expect(Math.abs(Number(await summary.getAttribute('data-masked-loss')) - losses.masked)).toBeLessThan(1e-3);
  expect(losses.masked).toBeGreaterThan(0.5); // the prose: seeing the answer does not make the loss vanish
  const table = widget.locator('table.am-table');
  expectClose(await columnNumbers(table, 4), rows.map((r) => r.causalProbability), 2e-3);
  expectClose(await columnNumbers(table, 6), rows.map((r) => r.maskedProbability), 2e-3);
  expect(await widget.locator('.am-cell--on.am-cell--future').count()).toBe(((rows.length + 1) * rows.length) / 2);
};
