// The next-token bars at their default ("Once upon a time, there was a", T = 1, top-k 50, no other
// processor): the model's probabilities are softmax of the engine's last logits (float64 here),
// and after the processors the top 50 keep their share renormalised over those 50; the other
// tokens are removed by top-k.
import { expect } from 'vitest';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const ids = tokenizer.encode('Once upon a time, there was a', { bos: true });
  const vocab = model.config.vocab_size;
  const { logits } = await model.run([ids]);
  const last = Array.from(logits.data.subarray((ids.length - 1) * vocab, ids.length * vocab));
  const top = Math.max(...last);
  const exps = last.map((z) => Math.exp(z - top));
  const total = exps.reduce((a, b) => a + b, 0);
  const probabilities = exps.map((e) => e / total);
  const order = probabilities.map((p, id) => [p, id] as const).sort((a, b) => b[0] - a[0]);
  const keptMass = order.slice(0, 50).reduce((sum, [p]) => sum + p, 0);
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows).toHaveLength(12);
  const percent = (cell: string) => Number(cell.replace('%', ''));
  rows.forEach((row, i) => {
    expect(Math.abs(percent(row[1]) - 100 * order[i][0]), `row ${i + 1} ${row[0]}`).toBeLessThanOrEqual(0.051);
    expect(Math.abs(percent(row[2]) - (100 * order[i][0]) / keptMass), `row ${i + 1} ${row[0]} after top-k`).toBeLessThanOrEqual(0.051);
  });
  expect(await widget.locator('.mw-readout').first().textContent()).toMatch(new RegExp(`^50 of ${vocab} tokens can be drawn; removed: ${vocab - 50} by top-k\\.`));
};
