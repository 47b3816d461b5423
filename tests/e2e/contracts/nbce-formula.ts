// The formula at its default (long story 0, chunks of 32, lowest-entropy pooling, β 0.25): one row
// per distribution (the question alone, then each chunk), each chunk's entropy and the pooled top
// token are nbcePool over the engine's nbceDistributions in Node.
import { expect } from 'vitest';
import { longStory } from '../../../src/chapters/nbce';
import { nbcePool } from '../../../src/llama/nbce';
import { nbceDistributionsOf } from '../../../src/runtime/nbceOps';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const story = longStory(0);
  const distributions = await nbceDistributionsOf(model, tokenizer, { context: story.context, question: story.question, chunkSize: 32 });
  expect(await widget.locator('tbody tr').count()).toBe(distributions.logits.length);
  const pooled = nbcePool(distributions.logits.slice(1), distributions.logits[0], { pooling: 'lowestEntropy', beta: 0.25 });
  const entropies = (await widget.locator('tbody tr td:nth-child(3)').allTextContents()).slice(1).map(Number);
  expect(entropies).toEqual(pooled.entropies.map((h) => Number(h.toFixed(2))));
  expect(await widget.locator('.mw-readout').textContent()).toContain(`Top token: ␣${story.hero} (${(100 * Math.exp(Math.max(...pooled.logProbs))).toFixed(1)}%)`);
};
