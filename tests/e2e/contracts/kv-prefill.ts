// Prefill against decode at its default (the Lily story, 5 lengths, 8 decode steps): the prompt
// lengths timed are the first total/5, 2 total/5, ... tokens of the story as the tokenizer in Node
// cuts it (total: the story, at most the context less the 8 steps); the timings are this device's,
// so they are only checked to be positive and consistent (per-token prefill = first token / length).
import { expect } from 'vitest';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode(await widget.getByRole('textbox', { name: 'Prompt' }).inputValue(), { bos: true });
  const total = Math.min(ids.length, model.config.max_position_embeddings - 8);
  expect(total).toBeGreaterThan(100);
  const lengths = [1, 2, 3, 4, 5].map((i) => Math.round((i * total) / 5));
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => Number((td.textContent ?? '').replace('−', '-')))));
  expect(rows.map((row) => row[0])).toEqual(lengths);
  for (const [length, first, later, perToken] of rows) {
    expect(first).toBeGreaterThan(0);
    expect(later).toBeGreaterThan(0);
    expect(Math.abs(perToken - first / length)).toBeLessThanOrEqual(0.0005 + 0.005 / length);
  }
};
