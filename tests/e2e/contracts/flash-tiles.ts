// The tiled step-through at its default (FLASH_PROMPT, layer 0, head 0, 8 × 8 tiles, tile 1): the
// first tile holds queries 0-7 against keys 0-7; each row's running max m and running sum ℓ are
// max and sum of exp(s - m) over the engine's attention scores of keys 0..i, and each row is final
// (it has seen all its keys). The end-of-run line gives the engine-against-tiled difference.
import { expect } from 'vitest';
import { FLASH_PROMPT } from '../../../src/chapters/flash';
import { layerTap } from '../../../src/llama/taps';
import { expectClose } from '../helpers/chapterSite';
import { shownNumber } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode(FLASH_PROMPT, { bos: true });
  const n = ids.length;
  expect(n).toBe(24);
  const tap = layerTap(0, 'attn.scores');
  const scores = (await model.run([ids], { taps: [tap] })).taps[tap].data; // head 0 first: [n, n]
  const rowMax: number[] = [];
  const rowSum: number[] = [];
  for (let i = 0; i < 8; i++) {
    const seen = Array.from({ length: i + 1 }, (_, j) => scores[i * n + j]);
    const m = Math.max(...seen);
    rowMax.push(m);
    rowSum.push(seen.reduce((sum, s) => sum + Math.exp(s - m), 0));
  }
  expect(await widget.locator('.mw-readout').first().textContent()).toMatch(/^Tile 1 of 9 \(3 × 3 blocks\): queries 0–7 against keys 0–7; loads Q₀ and O₀/);
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => row[5])).toEqual(new Array(8).fill('final'));
  expectClose(rows.map((row) => shownNumber(row[2])), rowMax, 2e-3);
  expectClose(rows.map((row) => shownNumber(row[4])), rowSum, 2e-4);
  const final = (await widget.locator('.flash-final').textContent())!;
  expect(final).toMatch(/^8 of 24 output rows are final after tile 1\./);
  expect(final).toContain('3 of 9 tiles were skipped by the causal mask.');
  expect(Number(/standard attention \(the engine’s softmax · V\) is ([\d.e+-]+);/.exec(final)![1])).toBeLessThan(1e-5);
};
