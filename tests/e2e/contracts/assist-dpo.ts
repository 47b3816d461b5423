// DPO at its default (the cow instruction, "Moo!" chosen, "Woof!" rejected, β 0.1): the four
// summed log-probabilities of the replies under the policy (the SFT adapter) and the reference
// (the shipped model) are the engine's, and the loss is dpoLoss of them.
import { expect } from 'vitest';
import { chatPrompt, dpoLoss } from '../../../src/chapters/assistant';
import { sftExample } from '../../../src/chapters/training';
import { chatSftAdapter, summedLogProb } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const loaded = await engine();
  const adapter = chatSftAdapter(loaded);
  const scored: { policy: number; reference: number }[] = [];
  try {
    for (const reply of ['A cow says "Moo!"', 'A cow says "Woof!"']) {
      const { ids, lossMask } = sftExample(loaded.tokenizer, chatPrompt('What sound does a cow make?'), ` ${reply}`);
      const from = lossMask!.indexOf(1);
      scored.push({ policy: await summedLogProb(loaded, ids, from, adapter), reference: await summedLogProb(loaded, ids, from, null) });
    }
  } finally {
    adapter.dispose();
  }
  const numbers = widget.locator('[data-loss]');
  const shown = async (name: string) => Number(await numbers.getAttribute(`data-${name}`));
  expect(Math.abs((await shown('chosen-policy')) - scored[0].policy)).toBeLessThan(5e-3);
  expect(Math.abs((await shown('chosen-reference')) - scored[0].reference)).toBeLessThan(5e-3);
  expect(Math.abs((await shown('rejected-policy')) - scored[1].policy)).toBeLessThan(5e-3);
  expect(Math.abs((await shown('rejected-reference')) - scored[1].reference)).toBeLessThan(5e-3);
  expect(Math.abs((await shown('loss')) - dpoLoss(0.1, scored[0], scored[1]).loss)).toBeLessThan(5e-4);
};
