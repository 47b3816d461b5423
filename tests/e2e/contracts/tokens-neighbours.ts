// The neighbours at their default ("red"): the table lists the engine's nearest embedding rows to
// ▁red by cosine (ids, and cosines to 3 decimals), and the map draws the sampled pieces plus ▁red
// and its neighbours, verbs in their colour.
import { expect } from 'vitest';
import { PER_GROUP } from '../../../components/TokensNeighbours';
import { nearestByCosine, pieceGroup, sampleRows } from '../../../src/chapters/tokens';
import { EMBED_TOKENS } from '../../../src/llama/weights';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const table = Float32Array.from(model.params.get(EMBED_TOKENS)!.dataSync() as Float32Array);
  const red = tokenizer.pieces.indexOf('▁red');
  const expected = nearestByCosine(table, model.config.hidden_size, red, 8);
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => Number(row[1]))).toEqual(expected.map((n) => n.id));
  rows.forEach((row, i) => expect(Math.abs(Number(row[2].replace('−', '-')) - expected[i].cosine), `row ${i + 1}`).toBeLessThan(5e-4));
  const drawn = new Set([...sampleRows(tokenizer.pieces, PER_GROUP), red, ...expected.map((n) => n.id)]);
  expect(await widget.locator('circle').count()).toBe(drawn.size);
  const verbs = [...drawn].filter((id) => pieceGroup(tokenizer.pieces[id]) === 'verb').length;
  expect(verbs).toBeGreaterThan(50);
  expect(await widget.locator('circle.tok-dot--verb').count()).toBe(verbs);
};
