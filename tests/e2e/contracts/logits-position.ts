// Where the logits come from, at its default (right padding, no token generated yet): the grid is
// the three example rows padded on the right to the longest (5 words), generate() reads column 4,
// which is a pad for rows 1 and 2 and the last word of row 3; worked out here by hand.
import { expect } from 'vitest';
import { EXAMPLE_ROWS } from '../../../components/LogitsPosition';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget }) => {
  expect(EXAMPLE_ROWS.map((row) => row.length)).toEqual([4, 2, 5]);
  const grid = await widget.locator('table.pb-grid tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  expect(grid).toEqual([
    ['Once', 'upon', 'a', 'time', 'pad'],
    ['The', 'dog', 'pad', 'pad', 'pad'],
    ['Lily', 'found', 'a', 'red', 'ball'],
  ]);
  expect(await widget.locator('table.pb-grid thead .pb-read').textContent()).toBe('4');
  expect(await widget.locator('.lp-explanation li').allTextContents()).toEqual([
    'Row 1: generate() reads column 4, a pad; the row’s last token “time” is in column 3, so the first new token is predicted from the wrong place.',
    'Row 2: generate() reads column 4, a pad; the row’s last token “dog” is in column 1, so the first new token is predicted from the wrong place.',
    'Row 3: generate() reads column 4, “ball”, the row’s own last token: correct.',
  ]);
};
