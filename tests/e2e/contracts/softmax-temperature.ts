// Temperature at its default (T = 1): the bars' text alternative gives softmax(z) of the example
// logits, each to 0.1 %, computed again here in float64.
import { expect } from 'vitest';
import { EXAMPLE_LOGITS } from '../../../components/SoftmaxTemperature';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  expect(await widget.getByRole('slider', { name: 'Temperature T' }).inputValue()).toBe('1');
  const label = (await widget.locator('svg[role="img"]').getAttribute('aria-label'))!;
  const shown = label.split(', ').map((entry) => /^(.+): (\d+\.\d)%$/.exec(entry)!);
  expect(shown.map((match) => match[1])).toEqual(EXAMPLE_LOGITS.map((token) => token.label));
  const total = EXAMPLE_LOGITS.reduce((sum, token) => sum + Math.exp(token.logit), 0);
  shown.forEach((match, i) => expect(Math.abs(Number(match[2]) - (100 * Math.exp(EXAMPLE_LOGITS[i].logit)) / total), match[1]).toBeLessThanOrEqual(0.051));
  expect(shown[0][2]).toBe('45.8'); // softmax([3.2, 2.6, 2.1, 1.4, 1.0, -0.5])[0] = 0.4582
};
