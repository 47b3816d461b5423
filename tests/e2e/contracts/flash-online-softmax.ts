// The online softmax at its default (FLASH_PROMPT, layer 0, head 0, the last query, chunks of 4):
// the chunks and their running maxima are onlineSoftmax over the engine's attention-score row.
import { expect } from 'vitest';
import { FLASH_PROMPT, onlineSoftmax } from '../../../src/chapters/flash';
import { layerTap } from '../../../src/llama/taps';
import { expectClose } from '../helpers/chapterSite';
import { shownNumber } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode(FLASH_PROMPT, { bos: true });
  const n = ids.length;
  const tap = layerTap(0, 'attn.scores');
  const row = Array.from((await model.run([ids], { taps: [tap] })).taps[tap].data.subarray((n - 1) * n, n * n));
  const expected = onlineSoftmax(row, 4);
  expect(Math.abs(expected.chunks.at(-1)!.runningMax - Math.max(...row))).toBeLessThan(1e-6);
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((r) => r[0])).toEqual(expected.chunks.map((c) => `${c.start}–${c.end - 1}`));
  expectClose(rows.map((r) => shownNumber(r[2])), expected.chunks.map((c) => c.runningMax), 2e-3);
  const grew = expected.chunks.filter((c, i) => i > 0 && c.rescale < 1).length;
  expect(await widget.locator('.mw-readout').textContent()).toContain(`reads ${n} keys in ${Math.ceil(n / 4)} chunks; the maximum grew ${grew} time(s) after the first chunk.`);
};
