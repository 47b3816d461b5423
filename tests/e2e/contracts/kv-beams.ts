// Beams at their default (BEAMS_PROMPT, 4 beams, 12 tokens, the last step shown): the table lists
// the live beams of the engine's beam search in Node (its rows, parents, continuations and summed
// log-probabilities to 3 decimals), or its finished hypotheses when no beam is live.
import { expect } from 'vitest';
import { BEAMS_PROMPT } from '../../../components/KvBeams';
import { beamSearchOf } from '../../../src/runtime/kvcacheOps';
import { shownNumber } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

const shown = (value: number) => value.toFixed(3).replace('-', '−');

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const search = await beamSearchOf(model, tokenizer.encode(BEAMS_PROMPT, { bos: true }), { numBeams: 4, maxNewTokens: 12 });
  const { beams: live, finished } = search.steps.at(-1)!;
  const expected = live.length
    ? live.map((beam, row) => [String(row + 1), String(beam.parent + 1), tokenizer.decode(beam.tokens), shown(beam.logProb)])
    : finished.map((h, i) => [`finished ${i + 1}`, '–', tokenizer.decode(h.tokens), shown(h.score * h.tokens.length)]);
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => row.slice(0, 3))).toEqual(expected.map((row) => row.slice(0, 3)));
  rows.forEach((row, i) => expect(Math.abs(shownNumber(row[3]) - shownNumber(expected[i][3])), `row ${i + 1}`).toBeLessThanOrEqual(1.5e-3));
  expect(await widget.locator('.mw-readout').first().textContent()).toMatch(new RegExp(`^Step ${search.steps.length} of ${search.steps.length}: `));
};
