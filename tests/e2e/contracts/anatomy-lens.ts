// The logit lens at its default (the Lily prompt, the last token): the top token at every stage
// and the residual stream's length are the engine's logitLens.
import { expect } from 'vitest';
import { logitLens } from '../../../src/llama/anatomy';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode('Once upon a time, there was a little girl named Lily. She', { bos: true });
  const lens = await logitLens(model, ids);
  const top = lens.logits.map((logits) => logits.indexOf(Math.max(...logits)));
  expect(await widget.locator('[data-top]').getAttribute('data-top')).toBe(top.join(','));
  const norms = (await widget.locator('[data-norms]').getAttribute('data-norms'))!.split(',').map(Number);
  expect(norms).toHaveLength(lens.residualNorms.length);
  norms.forEach((value, i) => expect(Math.abs(value - lens.residualNorms[i]), `stage ${i}`).toBeLessThan(1e-2));
  expect(await widget.locator('tbody tr').count()).toBe(model.config.num_hidden_layers + 1);
};
