// The traffic counter at its default (N = 1024, d = 64, 192 KiB on chip = 98,304 numbers): the
// counts are the HBM accesses of src/llama/flashAttention.ts's formulas, in words.
import { expect } from 'vitest';
import { countInWords } from '../../../src/chapters/flash';
import { flashHbmAccesses, standardHbmAccesses, totalAccesses } from '../../../src/llama/flashAttention';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  const sram = (192 * 1024) / 2; // 192 KiB of 2-byte numbers
  const standard = totalAccesses(standardHbmAccesses(1024, 64));
  const flash = totalAccesses(flashHbmAccesses(1024, 64, sram));
  const results = (await widget.locator('.flash-results').textContent())!;
  expect(results).toContain(`Standard: ${countInWords(standard)}`);
  expect(results).toContain(`FlashAttention: ${countInWords(flash)}`);
  expect((standard / flash).toFixed(1)).toBe('5.6');
  expect(results).toContain('5.6× less');
};
