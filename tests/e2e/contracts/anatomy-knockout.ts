// The knock-out at its default (layer 3, head 2 zeroed, the Lily prompt): the next token the
// knocked-out copy predicts is the one the engine predicts with the same columns of o_proj zeroed
// (knockOutWeights on the shipped weights, in Node), and the validation losses are the figures
// tests/unit/anatomy.test.ts computes in Node on the same stories.
import { expect } from 'vitest';
import { knockOutWeights } from '../../../src/llama/anatomy';
import { LlamaModel } from '../../../src/llama/model';
import { softmax } from '../../../src/llama/sampling';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode('Once upon a time, there was a little girl named Lily. She', { bos: true });
  const { weights, zeroedValues } = knockOutWeights(model.config, model.toWeightMap(), { kind: 'head', layer: 3, head: 2 });
  const knocked = LlamaModel.fromWeights(model.config, weights);
  try {
    const { logits } = await knocked.run([ids]);
    const vocab = model.config.vocab_size;
    const last = logits.data.slice((ids.length - 1) * vocab, ids.length * vocab);
    const top = last.indexOf(Math.max(...last));
    const state = widget.locator('[data-knocked-loss]');
    expect(await state.getAttribute('data-top-after')).toBe(String(top));
    expect(await widget.locator('.mw-readout').textContent()).toContain(`Zeroed ${zeroedValues.toLocaleString('en-US')} values of model.layers.3.self_attn.o_proj.weight (layer 3, head 2).`);
    const shown = (await widget.locator('tbody tr').nth(1).locator('td').last().textContent())!;
    expect(Math.abs(Number(/(\d+\.\d)%$/.exec(shown)![1]) - 100 * softmax(Float32Array.from(last))[top])).toBeLessThanOrEqual(0.051);
  } finally {
    knocked.dispose();
  }
  expect(Number(await widget.locator('[data-shipped-loss]').getAttribute('data-shipped-loss'))).toBeCloseTo(0.297, 3);
  expect(Number(await widget.locator('[data-knocked-loss]').getAttribute('data-knocked-loss'))).toBeCloseTo(0.3596, 2);
};
