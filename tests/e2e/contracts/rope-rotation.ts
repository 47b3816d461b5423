// Rotating pairs at its default (the prompt's last token, layer 0, head 0, position 5, base 10000):
// the text alternative lists each pair's angle 5 theta_i and the pair after rotating the engine's
// q (attn.q tap) by RoPE at position 5, printed with 3 decimals.
import { expect } from 'vitest';
import { tapRow } from '../../../src/chapters/attention';
import { applyRope, pairsOf, ropeFrequencies } from '../../../src/chapters/rope';
import { layerTap } from '../../../src/llama/taps';
import { expectClose } from '../helpers/chapterSite';
import { columnNumbers } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode('Once upon a time there was a fox.', { bos: true });
  const tap = layerTap(0, 'attn.q');
  const { taps } = await model.run([ids], { taps: [tap] });
  const q = tapRow(taps[tap], 0, ids.length - 1);
  const thetas = ropeFrequencies(q.length, 10000);
  const after = pairsOf(applyRope(q, 5, 10000, model.config.rope_layout), model.config.rope_layout);
  const table = widget.locator('table.mw-hidden');
  expect(await table.locator('tbody tr').count()).toBe(q.length / 2);
  expectClose(await columnNumbers(table, 3), thetas.map((theta) => 5 * theta), 1e-3);
  expectClose(await columnNumbers(table, 4), after.map(([x]) => x), 1e-3);
  expectClose(await columnNumbers(table, 5), after.map(([, y]) => y), 1e-3);
};
