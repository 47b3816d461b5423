// The attention map at its default (NAME_HEAD_PROMPT, layer 0, head 0, the last query): its text
// alternative's probability column is the engine's attention row, printed with 4 decimals.
import { expect } from 'vitest';
import { NAME_HEAD_PROMPT } from '../../../src/chapters/attention';
import type { WidgetContract } from '../helpers/contracts';
import { expectClose } from '../helpers/chapterSite';
import { engineAttentionRow } from '../helpers/contractParts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { tokenizer } = await engine();
  const probs = (await widget.locator('table.mw-hidden tbody tr td:nth-child(3)').allTextContents()).map(Number);
  expectClose(probs, await engineAttentionRow(await engine(), NAME_HEAD_PROMPT, 0, 0, -1), 2e-4);
  const tokens = Number(await widget.locator('[data-widget-stage]').getAttribute('data-tokens'));
  expect(tokens).toBe(tokenizer.encode(NAME_HEAD_PROMPT, { bos: true }).length);
};
