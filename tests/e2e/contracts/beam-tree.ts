// The tree at its default ("Once upon a time, there was a", 3 beams, greedy, samples with seeds 1
// and 2, 6 new tokens): each path's text is the engine's generate() with the same options in Node,
// and its Σ log p (2 decimals) is the engine's log-probabilities of its tokens.
import { expect } from 'vitest';
import { generate } from '../../../src/llama/generate';
import { tokenLogProbs } from '../../../src/llama/math';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const prompt = tokenizer.encode('Once upon a time, there was a', { bos: true });
  const decoders = [
    { name: 'beam search (3 beams)', options: { numBeams: 3, temperature: 0 } },
    { name: 'greedy', options: { temperature: 0 } },
    { name: 'sample, seed 1', options: { temperature: 1, seed: 1 } },
    { name: 'sample, seed 2', options: { temperature: 1, seed: 2 } },
  ];
  const lines = (await widget.locator('.mw-readout').allTextContents()).map((line) => line.replace(/\s+/g, ' ').trim());
  expect(lines).toHaveLength(decoders.length);
  for (const [i, decoder] of decoders.entries()) {
    const { newIds } = await generate(model, prompt, { maxNewTokens: 6, ...decoder.options });
    expect(newIds).toHaveLength(6);
    const ids = [...prompt, ...newIds];
    const { logits } = await model.run([ids]);
    const total = tokenLogProbs(logits.data, model.config.vocab_size, ids, prompt.length).reduce((a, b) => a + b, 0);
    const text = new TextDecoder().decode(tokenizer.bytesOf(newIds)).trim();
    const match = /^(.+?): (.*) \(Σ log p = (−?\d+\.\d\d)/.exec(lines[i])!;
    expect([match[1], match[2]], decoder.name).toEqual([decoder.name, text]);
    expect(Math.abs(Number(match[3].replace('−', '-')) - total), decoder.name).toBeLessThanOrEqual(0.0055);
  }
};
