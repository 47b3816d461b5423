// The growing cache at its default ("Once upon a time", 40 greedy steps, layer 0, KV head 0, the
// last step shown): the generated text, the per-step cache sizes and the cache's shape are the
// engine's decodeTimeline in Node.
import { expect } from 'vitest';
import { decodeTimeline } from '../../../src/llama/decodeTimeline';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const prompt = tokenizer.encode('Once upon a time', { bos: true });
  const node = await decodeTimeline(model, prompt, { steps: 40, layer: 0, head: 0 });
  const tokens = prompt.length + node.steps.length;
  expect(node.steps).toHaveLength(40);
  expect(await widget.locator('.dw-text').textContent()).toBe(tokenizer.decode([...prompt, ...node.steps.map((s) => s.tokenId)]));
  const bytes = node.steps.at(-1)!.cacheBytes;
  expect(await widget.locator('.mw-readout').first().textContent()).toContain(`Step 40: the cache holds ${tokens} tokens, ${bytes / 1024} KiB`);
  const width = model.config.hidden_size / model.config.num_attention_heads;
  expect(await widget.locator('.kv-grids h4').allTextContents()).toEqual([`Keys (after RoPE), layer 0, KV head 0: [${tokens} × ${width}]`, `Values, layer 0, KV head 0: [${tokens} × ${width}]`]);
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => row.slice(0, 3))).toEqual(node.steps.map((s) => [String(s.index), String(s.cachedTokens), String(s.cacheBytes)]));
};
