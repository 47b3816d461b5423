// Best-of-n at its default (the Lily prompt, 12 samples at T = 1 with seeds 1-12, n = 4): each
// sample's reward is heroReward of the engine's continuation for the same seed in Node, and the
// expected best reward and the KL are the chapter's formulas over those rewards.
import { expect } from 'vitest';
import { bestOfNKl, expectedBestReward, heroReward } from '../../../src/chapters/assistant';
import { generate } from '../../../src/llama/generate';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const prompt = tokenizer.encode('Once upon a time, there was a girl named Lily. One day,', { bos: true });
  const rewards: number[] = [];
  for (let seed = 1; seed <= 12; seed++) {
    const { newIds } = await generate(model, prompt, { maxNewTokens: 40, temperature: 1, seed });
    rewards.push(heroReward('Lily', tokenizer.decode(newIds)));
  }
  const figure = widget.locator('[data-rewards]');
  expect(await figure.getAttribute('data-rewards')).toBe(rewards.join(','));
  expect(Math.abs(Number(await figure.getAttribute('data-expected')) - expectedBestReward(rewards, 4))).toBeLessThan(5e-6);
  expect(await figure.getAttribute('data-kl')).toBe(bestOfNKl(rewards, 4).toFixed(6));
};
