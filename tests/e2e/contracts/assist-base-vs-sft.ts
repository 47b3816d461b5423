// Base vs SFT at its default (the cow instruction): each column's greedy reply is the engine's,
// without and with the shipped SFT adapter, and its summed ln p under both models is the engine's.
import { expect } from 'vitest';
import { chatPrompt } from '../../../src/chapters/assistant';
import { generate } from '../../../src/llama/generate';
import { chatSftAdapter, summedLogProb } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const loaded = await engine();
  const { model, tokenizer } = loaded;
  const adapter = chatSftAdapter(loaded);
  try {
    const promptIds = tokenizer.encode(chatPrompt('What sound does a cow make?'), { bos: true });
    for (const who of ['base', 'sft'] as const) {
      model.attachAdapter(who === 'sft' ? adapter : null);
      const { newIds } = await generate(model, promptIds, { maxNewTokens: 32, temperature: 0, eosTokenId: tokenizer.eosId });
      model.attachAdapter(null);
      const column = widget.locator(`[data-reply="${who}"]`);
      expect(await column.getAttribute('data-new-ids'), who).toBe(newIds.join(','));
      const ids = [...promptIds, ...newIds];
      expect(Math.abs(Number(await column.getAttribute('data-base')) - (await summedLogProb(loaded, ids, promptIds.length, null))), `${who} under base`).toBeLessThan(5e-3);
      expect(Math.abs(Number(await column.getAttribute('data-sft')) - (await summedLogProb(loaded, ids, promptIds.length, adapter))), `${who} under SFT`).toBeLessThan(5e-3);
    }
  } finally {
    model.attachAdapter(null);
    adapter.dispose();
  }
};
