// Loss against density at its default (a window of 16 over the 16 validation stories): the loss,
// the density and the full-attention loss are SPARSE_FACTS.loss, which tests/unit measures on the
// shipped model in Node.
import { expect } from 'vitest';
import { SPARSE_FACTS } from '../../../src/chapters/sparseAttention';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  const { window16, full } = SPARSE_FACTS.loss;
  expect(Math.abs(Number(await widget.locator('[data-loss]').getAttribute('data-loss')) - window16.loss)).toBeLessThan(2e-3);
  expect(Math.abs(Number(await widget.locator('[data-density]').getAttribute('data-density')) - window16.density)).toBeLessThan(5e-4);
  expect(Math.abs(Number(await widget.locator('[data-full-loss]').getAttribute('data-full-loss')) - full)).toBeLessThan(2e-3);
};
