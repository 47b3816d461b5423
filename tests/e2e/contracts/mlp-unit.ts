// One unit at its default (layer 2, unit 291, largest values): the table lists the validation
// stories' top contexts that the engine's gated MLP products give (unitTopContexts), each value
// to 3 decimals, the first context's bracketed token being the story's token there.
import { expect } from 'vitest';
import { unitTopContexts } from '../../../src/chapters/activations';
import { pieceLabel } from '../../../src/widgets/pieces';
import { validationUnitRows } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

const shown = (value: number, digits: number) => value.toFixed(digits).replace('-', '−');

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const { stories, rows } = await validationUnitRows(await engine(), 2);
  const expected = unitTopContexts(rows, model.config.intermediate_size, 291, 12, 1);
  const pageRows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(pageRows.map((row) => [row[0], row[2]])).toEqual(expected.map((c) => [String(c.row + 1), shown(c.value, 3)]));
  expect(pageRows[0][1]).toContain(`[${pieceLabel(tokenizer.pieces[stories[expected[0].row][expected[0].position]])}]`);
};
