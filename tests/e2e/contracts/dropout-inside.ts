// Inside dropout at its default (p = 0.5, draw 1, 200 draws averaged): the table (wide, or one row
// per value on a phone) is dropoutDraw(EXAMPLE_ACTIVATIONS, 0.5, createRandom(1)) and
// runningMeans(..., 200, 1) of src/chapters/dropout.ts, and each kept output is its input times
// 1/(1 - p) = 2 while each dropped one is 0.
import { expect } from 'vitest';
import { EXAMPLE_ACTIVATIONS } from '../../../components/DropoutInside';
import { dropoutDraw, runningMeans } from '../../../src/chapters/dropout';
import { createRandom } from '../../../src/llama/rng';
import type { WidgetContract } from '../helpers/contracts';

const format = (value: number) => (value === 0 ? '0' : value.toFixed(2));

export const contract: WidgetContract = async ({ widget }) => {
  const x = EXAMPLE_ACTIVATIONS;
  const one = dropoutDraw(x, 0.5, createRandom(1));
  const means = runningMeans(x, 0.5, 200, 1)[199];
  const table = widget.locator('table.di-table');
  const cells = await table.locator('tr').evaluateAll((trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  // [input, mask, output, mean] per value, whichever way the table is laid out
  const tall = (await table.getAttribute('class'))!.includes('di-table--tall');
  const perValue = tall ? cells : x.map((_, i) => cells.map((row) => row[i]));
  expect(perValue).toEqual(x.map((value, i) => [format(value), one.keep[i] ? 'keep' : 'drop', format(one.output[i]), format(means[i])]));
  perValue.forEach(([input, mask, output]) => expect(Math.abs(Number(output) - (mask === 'keep' ? 2 * Number(input) : 0))).toBeLessThan(0.015));
  const kept = one.keep.filter(Boolean).length;
  expect(await table.locator('caption').textContent()).toBe(`Draw 1: ${kept} of ${x.length} values kept, each scaled by 1/(1 − 0.50) = 2.00`);
};
