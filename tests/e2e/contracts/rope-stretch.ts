// Stretch the context at its default (STRETCH_PROMPT, factor 2): the no-scaling row's mean losses
// inside and past the 256-token context are the engine's per-token losses of the same text.
import { expect } from 'vitest';
import { tokenLosses } from '../../../src/chapters/attention';
import { meanOver, STRETCH_PROMPT } from '../../../src/chapters/rope';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode(STRETCH_PROMPT, { bos: true });
  const context = model.config.max_position_embeddings;
  expect(ids.length).toBeGreaterThan(2 * context); // the default text is more than twice the context
  const row = (method: string) => widget.locator(`tr[data-method="${method}"] td`).allTextContents();
  const plain = await row('chart-line--a');
  const { logits } = await model.run([ids]);
  const losses = tokenLosses(logits, ids);
  expect(Math.abs(Number(plain[1]) - meanOver(losses, 0, context))).toBeLessThan(2e-3);
  expect(Math.abs(Number(plain[2]) - meanOver(losses, context, losses.length))).toBeLessThan(2e-3);
  const linear = await row('chart-line--b');
  expect(linear[0]).toBe('linear ×2');
  expect(linear[2]).not.toBe(plain[2]);
  expect(await widget.locator('.mw-readout').textContent()).toMatch(new RegExp(`^${ids.length} tokens`));
};
