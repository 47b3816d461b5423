// The loss mask at its default (the cow prompt and its response): the chips are the engine's
// tokens of the SFT example, the counted ones its loss mask, and the two mean losses (response
// only, every token) are the engine's per-token losses averaged both ways (2 decimals).
import { expect } from 'vitest';
import { tokenLosses } from '../../../src/chapters/attention';
import { maskedLosses, sftExample } from '../../../src/chapters/training';
import { pieceLabel } from '../../../src/widgets/pieces';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const example = sftExample(tokenizer, '[INST] What sound does a cow make? [/INST]', ' A cow says "Moo!"');
  const { logits } = await model.run([example.ids]);
  const losses = tokenLosses(logits, example.ids);
  const chips = widget.locator('.train-chip');
  expect(await chips.locator('.train-chip__piece').allTextContents()).toEqual(example.ids.map((id) => pieceLabel(tokenizer.idToPiece(id))));
  const counted = await chips.evaluateAll((items) => items.map((item) => (item.classList.contains('train-chip--counted') ? 1 : 0)));
  expect(counted).toEqual(example.lossMask);
  const { masked, unmasked, counted: count, total } = maskedLosses(losses, example.lossMask!);
  const values = await widget.locator('dd').allTextContents();
  expect(values[0]).toBe(`${count} of ${total} predicted tokens`);
  expect(Math.abs(Number(values[1].split(' ')[0]) - masked)).toBeLessThan(5e-3);
  expect(Math.abs(Number(values[2].split(' ')[0]) - unmasked)).toBeLessThan(5e-3);
};
