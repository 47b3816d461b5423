// Relative, not absolute, at its default ("cat sat", layer 0, head 0, distance 3, shift 100): the
// score of "sat" (query) on "cat" (key) is the engine's layer-0 attention score with the tokens at
// positions 0 and 3, and shifting both by 100 leaves the three shown decimals unchanged.
import { expect } from 'vitest';
import { layerTap } from '../../../src/llama/taps';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const readout = widget.locator('.mw-readout');
  const atZero = Number(await readout.getAttribute('data-at-zero'));
  const shifted = Number(await readout.getAttribute('data-shifted'));
  expect(Math.abs(atZero - shifted)).toBeLessThan(5e-4);
  // the readout shows three decimals: the same text twice
  const shown = (await readout.textContent())!.match(/score (−?\d+\.\d{3})/g)!;
  expect(shown).toHaveLength(2);
  expect(shown[0]).toBe(shown[1]);
  const ids = tokenizer.encode('cat sat', { bos: false });
  const tap = layerTap(0, 'attn.scores');
  const { taps } = await model.run([[ids[0], ids[ids.length - 1]]], { taps: [tap], positionIds: [[0, 3]] });
  expect(Math.abs(taps[tap].data[1 * 2 + 0] - atZero)).toBeLessThan(1e-3);
  expect(shown[0]).toBe(`score ${atZero.toFixed(3).replace('-', '−')}`);
};
