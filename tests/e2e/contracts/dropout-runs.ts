// Ten runs at its default (DEFAULT_PROMPT, model.train(), p = 0.10, seeds 1-10): the text
// alternative's mean, min and max next-token probability of each of the six top tokens are those
// of the engine's ten train-mode forwards with the same seeds in Node (0.1 %), and the runs differ.
import { expect } from 'vitest';
import { DEFAULT_PROMPT, RUNS, softmaxRow, tokenSpreads } from '../../../src/chapters/dropout';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode(DEFAULT_PROMPT, { bos: true });
  const vocab = model.config.vocab_size;
  const runs: Float64Array[] = [];
  for (let r = 0; r < RUNS; r++) {
    const { logits } = await model.run([ids], { training: true, dropoutRate: 0.1, seed: 1 + r });
    runs.push(softmaxRow(logits.data.subarray((ids.length - 1) * vocab, ids.length * vocab)));
  }
  const spreads = tokenSpreads(runs, 6);
  expect(spreads[0].max - spreads[0].min).toBeGreaterThan(0); // dropout moves the probabilities
  expect(await widget.locator('[data-widget-stage]').getAttribute('data-identical')).toBe('false');
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows).toHaveLength(spreads.length);
  rows.forEach((row, i) => {
    const shown = row.slice(1, 4).map((cell) => Number(cell.replace('%', '')) / 100);
    const expected = [spreads[i].mean, spreads[i].min, spreads[i].max];
    shown.forEach((value, k) => expect(Math.abs(value - expected[k]), `row ${i + 1} ${row[0]}, column ${k + 2}`).toBeLessThanOrEqual(6e-4));
    const id = spreads[i].tokenId; // labelled by its text with its leading space, a byte token by its piece
    expect(JSON.parse(row[0])).toBe((tokenizer.isByteToken(id) ? '' : new TextDecoder().decode(tokenizer.bytesOf([id]))) || tokenizer.pieces[id]);
  });
};
