// The activation explorer at its default (beta 1, read-out at x = -1.28): the read-out's swish
// value and derivative are x sigma(x) and its derivative computed here in float64, and the minimum
// is siluMinimum() (4 decimals).
import { expect } from 'vitest';
import { siluMinimum } from '../../../src/chapters/activations';
import type { WidgetContract } from '../helpers/contracts';

const shown = (value: number, digits: number) => value.toFixed(digits).replace('-', '−');

export const contract: WidgetContract = async ({ widget }) => {
  const x = -1.28;
  const sigma = 1 / (1 + Math.exp(-x));
  const swish = x * sigma;
  const derivative = sigma + x * sigma * (1 - sigma);
  const { x: at, value } = siluMinimum();
  expect(Math.abs(at - -1.2785)).toBeLessThan(1e-3); // the minimum of x sigma(x), found independently of the page
  const readout = (await widget.locator('.mw-readout').textContent())!;
  expect(readout).toContain(`x = ${shown(x, 2)}: swish ${shown(swish, 4)}, derivative ${shown(derivative, 4)}, ReLU 0.0000,`);
  expect(readout).toContain(`Minimum ${shown(value, 4)} at x = ${shown(at, 4)}.`);
};
