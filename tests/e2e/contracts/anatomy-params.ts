// The parameter calculator at its default (our model's config): the total is the number of values
// in the shipped model's weights, counted in Node.
import { expect } from 'vitest';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model } = await engine();
  let total = 0;
  for (const tensor of model.params.values()) total += tensor.size;
  expect(total).toBe(1_182_592);
  expect(await widget.locator('[data-total]').getAttribute('data-total')).toBe(String(total));
  expect(await widget.locator('.an-total').textContent()).toContain(total.toLocaleString('en-US'));
};
