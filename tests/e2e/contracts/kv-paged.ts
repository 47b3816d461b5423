// Paged memory at its default (6 requests sampled at T = 1 with seeds 1-6, up to 200 new tokens,
// blocks of 16, prompt blocks shared, 1024 slots): each request's length is the engine's for the
// same seed, and the block tables and fit counts are the allocator's (src/chapters/kvcache.ts).
import { expect } from 'vitest';
import { PAGED_PROMPT } from '../../../components/KvPaged';
import { contiguousLayout, pagedLayout, requestsThatFit } from '../../../src/chapters/kvcache';
import { generate } from '../../../src/llama/generate';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const prompt = tokenizer.encode(PAGED_PROMPT, { bos: true });
  const trace = [];
  for (let seed = 1; seed <= 6; seed++) {
    const result = await generate(model, prompt, { maxNewTokens: 200, temperature: 1, seed, eosTokenId: 2 });
    trace.push({ promptTokens: prompt.length, newTokens: result.newIds.length, maxNewTokens: 200, group: 0 });
  }
  const paged = pagedLayout(trace, 16, { sharePrefix: true });
  const lines = await widget.locator('.kv-tables p').allTextContents();
  expect(lines.slice(1)).toEqual(trace.map((r, i) => `request ${i + 1} (${r.promptTokens} + ${r.newTokens} tokens): [${paged.blockTables[i].join(', ')}]`));
  expect(await widget.locator('h4').allTextContents()).toEqual([
    `Contiguous, reserved to prompt + max_new_tokens (${prompt.length} + 200): ${requestsThatFit(trace, 1024, { kind: 'contiguous' })} of 6 requests fit`,
    `Paged, blocks of 16 tokens, prompt blocks shared: ${requestsThatFit(trace, 1024, { kind: 'paged', blockSize: 16, sharePrefix: true })} of 6 requests fit`,
  ]);
  expect(await widget.locator('.mw-readout').textContent()).toContain(`Contiguous: ${contiguousLayout(trace).reservedSlots} slots reserved`);
};
