// The ranks train only when asked (2 ranks, 6 steps by default). The contract trains them one step:
// each rank's local loss and the all-reduced loss are those of the same two ranks run in Node on the
// shipped weights, the ranks read different rows, and their weights stay equal.
import { expect } from 'vitest';
import { expectClose } from '../helpers/chapterSite';
import { nodeDataParallelRanks } from '../helpers/contractParts';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  expect(await widget.locator('.dp-rows').textContent()).toBe('Press Train: the ranks start, load the model and train; nothing runs before.');
  await widget.getByRole('spinbutton', { name: 'Steps' }).fill('1');
  await widget.getByRole('button', { name: 'Train' }).click();
  await widget.page().waitForFunction(
    (el) => (el as HTMLElement).dataset.status !== 'loading' && !el.querySelector<HTMLButtonElement>('.dp-controls button')!.disabled && el.querySelectorAll('tbody tr').length > 0,
    await widget.elementHandle(),
    { timeout: 120_000 },
  );
  const shown = (await widget.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent ?? '')))).map((r) => r.slice(1, 4).map(Number));
  const [expected] = nodeDataParallelRanks(await engine(), 1);
  expect(shown).toHaveLength(1);
  expectClose(shown[0], [...expected.local, expected.reduced], 2e-4);
  expect(Math.abs(shown[0][0] - shown[0][1])).toBeGreaterThan(1e-3); // different rows, different losses
  expect(await widget.locator('.dp-rows').textContent()).toBe('Rows of step 0: rank 0: rows 0, 2, 4, 6; rank 1: rows 1, 3, 5, 7.');
  expect(await widget.locator('.dp-same').getAttribute('data-equal')).toBe('true');
};
