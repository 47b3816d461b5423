// The matmul sweep times nothing until asked. The contract runs it small (largest n = 64, one timed
// run): the sizes are 16, 32, 64 with 2 n³ FLOPs each, every size has a rate, and each is a point.
import { expect } from 'vitest';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  expect(await widget.locator('.mw-readout').textContent()).toBe('Press Run benchmark: it times each size in turn; the page stays usable and Cancel stops it.');
  expect(await widget.locator('table tbody tr').count()).toBe(0);
  await widget.getByRole('combobox', { name: 'Largest n' }).selectOption({ label: '64' });
  await widget.getByRole('combobox', { name: 'Timed runs per size' }).selectOption({ label: '1' });
  await widget.getByRole('button', { name: 'Run benchmark' }).click();
  await widget.page().waitForFunction((el) => (el as HTMLElement).dataset.status === 'ready' && el.querySelectorAll('table tbody tr').length === 3, await widget.elementHandle(), { timeout: 120_000 });
  const rows = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(rows.map((row) => [row[0], row[1]])).toEqual([16, 32, 64].map((n) => [String(n), (2 * n ** 3).toLocaleString('en-US')]));
  for (const row of rows) expect(row[3]).toMatch(/^\d[\d.]* GFLOP\/s$/); // chained until a run lasts 20 ms, so every size has a rate
  expect(await widget.locator('svg circle').count()).toBe(3);
};
