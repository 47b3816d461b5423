// The MLP at its default (SiLU as trained, layer 1, the Lily prompt): the share of negative gate
// pre-activations and of SiLU(g) · up, the prompt's loss and the most likely next tokens are the
// engine's.
import { expect } from 'vitest';
import { negativeShare } from '../../../src/chapters/activations';
import { meanLoss, tokenLogProbs } from '../../../src/llama/math';
import { softmax } from '../../../src/llama/sampling';
import type { WidgetContract } from '../helpers/contracts';

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode('Once upon a time, there was a little girl named', { bos: true });
  const taps = ['layers.1.mlp.gate', 'layers.1.mlp.act', 'layers.1.mlp.up'] as const;
  const result = await model.run([ids], { taps: [...taps] });
  const gate = result.taps[taps[0]].data;
  const up = result.taps[taps[2]].data;
  const product = result.taps[taps[1]].data.map((value, i) => value * up[i]);
  const headings = await widget.locator('h3').allTextContents();
  expect(headings[0]).toBe(`Layer 1: gate pre-activations g (${percent(negativeShare(gate))} negative)`);
  expect(headings[1]).toBe(`SiLU(g) · up (${percent(negativeShare(product))} negative)`);
  const vocab = model.config.vocab_size;
  const loss = meanLoss(tokenLogProbs(result.logits.data, vocab, ids));
  const readout = (await widget.locator('.mw-readout').textContent())!;
  expect(Math.abs(Number(/as trained: (\d+\.\d{3}) nats/.exec(readout)![1]) - loss)).toBeLessThanOrEqual(1.5e-3);
  // The text alternative: the top tokens' probabilities, best first.
  const probabilities = softmax(Float32Array.from(result.logits.data.subarray((ids.length - 1) * vocab, ids.length * vocab)));
  const best = [...probabilities].map((p, id) => [p, id] as const).sort((a, b) => b[0] - a[0]);
  const cells = await widget.locator('table.mw-hidden tbody tr td:nth-child(2)').allTextContents();
  expect(cells.length).toBeGreaterThan(0);
  cells.forEach((cell, i) => expect(Math.abs(Number(cell.replace('%', '')) - 100 * best[i][0]), `row ${i}`).toBeLessThanOrEqual(0.051));
};
