// Degeneration at its default (the little-dog prompt, 120 tokens each: greedy, temperature 0.30 and
// top-p 0.90 with seed 1, distinct-2): each continuation is the engine's generate() with the same
// options in Node, and the table gives its distinct-2 (distinct bigrams over bigrams, counted here)
// and length. Greedy repeats itself most, as the text alternative says.
import { expect } from 'vitest';
import { generate } from '../../../src/llama/generate';
import type { WidgetContract } from '../helpers/contracts';

/** Distinct n-grams over n-grams, written out here. */
function distinct(ids: number[], n: number): number {
  const grams = new Set<string>();
  for (let i = 0; i + n <= ids.length; i++) grams.add(ids.slice(i, i + n).join(' '));
  return grams.size / (ids.length - n + 1);
}

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const prompt = tokenizer.encode('Once upon a time, there was a little dog. The dog', { bos: true });
  const strategies = [
    { name: 'greedy', options: { temperature: 0 } },
    { name: 'temperature 0.30', options: { temperature: 0.3, seed: 1 } },
    { name: 'top-p 0.90', options: { temperature: 1, topP: 0.9, seed: 1 } },
  ];
  const expected: string[][] = [];
  const values: number[] = [];
  for (const strategy of strategies) {
    const { newIds } = await generate(model, prompt, { maxNewTokens: 120, ...strategy.options });
    values.push(distinct(newIds, 2));
    expected.push([strategy.name, values.at(-1)!.toFixed(3), String(newIds.length)]);
  }
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows).toEqual(expected);
  expect(values[0]).toBeLessThan(Math.min(values[1], values[2]));
};
