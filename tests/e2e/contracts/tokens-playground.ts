// The playground at its default text: the first row is our tokenizer's pieces and the second the
// full Llama 2 vocabulary's, both tokenized again in Node.
import { expect } from 'vitest';
import { tokenView } from '../../../src/chapters/tokens';
import { fullLlamaTokenizerJSON } from '../../../src/llama/llama2Vocabulary';
import { Tokenizer } from '../../../src/llama/tokenizer';
import { pieceLabel } from '../../../src/widgets/pieces';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { tokenizer } = await engine();
  const text = 'Once upon a time, a little cat 小猫 saw a 🦙.';
  const row = (n: number) => widget.locator('.tok-row').nth(n).locator('.tok-chip__piece').allTextContents();
  expect(await row(0)).toEqual(tokenView(tokenizer, text).map((token) => pieceLabel(token.piece)));
  expect(await row(1)).toEqual(tokenView(new Tokenizer(fullLlamaTokenizerJSON()), text).map((token) => pieceLabel(token.piece)));
};
