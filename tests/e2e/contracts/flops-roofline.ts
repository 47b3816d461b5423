// The roofline measures nothing until asked. The contract measures it small (matmuls up to 256):
// the points are the two matrix-vector products, the matmuls, and our model's decode and prefill at
// the arithmetic intensities src/chapters/flops.ts computes for the engine's config.
import { expect } from 'vitest';
import { decodeIntensity, prefillIntensity } from '../../../src/chapters/flops';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { config } = (await engine()).model;
  await widget.getByRole('combobox', { name: 'Largest matmul n' }).selectOption({ label: '256' });
  await widget.getByRole('button', { name: 'Measure this device' }).click();
  await widget.page().waitForFunction((el) => (el as HTMLElement).dataset.status === 'ready' && el.querySelectorAll('table tbody tr').length > 0, await widget.elementHandle(), { timeout: 120_000 });
  const points = await widget.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  expect(points.map((row) => row[0])).toEqual(['matvec 2048×4096', 'matvec 4096×2048', 'matmul 64', 'matmul 128', 'matmul 256', 'decode', 'prefill 26']);
  expect(points[5][1]).toBe(decodeIntensity(config, 26 + 12).toPrecision(3));
  expect(points[6][1]).toBe(prefillIntensity(config, 26).toPrecision(3));
  expect(points[2][1]).toBe((64 / 6).toPrecision(3)); // 2 n³ FLOPs over 3 n² four-byte numbers
  expect(await widget.locator('.chart-ceiling').count()).toBe(1);
  expect(await widget.locator('.mw-readout').textContent()).toMatch(/^Measured ceilings: /);
};
