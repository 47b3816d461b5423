// One head, step by step, at its default ("The cat sat on the mat.", layer 0, head 0, the last
// query): the softmax column is the engine's attention row (4 decimals) and the widget's own check
// against the model's attn.probs tap agrees.
import { expect } from 'vitest';
import { expectClose } from '../helpers/chapterSite';
import { engineAttentionRow } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const prompt = 'The cat sat on the mat.';
  const softmax = (await widget.locator('table.mw-table tbody tr td:nth-child(5)').allTextContents()).map(Number);
  expect(softmax).toHaveLength((await engine()).tokenizer.encode(prompt, { bos: true }).length);
  expectClose(softmax, await engineAttentionRow(await engine(), prompt, 0, 0, -1), 2e-4);
  expect(Number(await widget.locator('.mw-check').getAttribute('data-gap'))).toBeLessThan(1e-4);
};
