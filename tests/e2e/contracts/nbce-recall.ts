// Name recall waits for its button (10 stories by default). The contract runs it on one story
// (chunks of 32, β 0.25): each method's count is the engine's, continuing long story 0 in Node.
import { expect } from 'vitest';
import { longStory, namesHero, recallMethods, recallText } from '../../../src/chapters/nbce';
import { nbceGenerateOf } from '../../../src/runtime/nbceOps';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const methods = recallMethods(32, 0.25);
  expect(await widget.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent ?? '')))).toEqual(methods.map((m) => [m.label, '–']));
  const stories = widget.getByRole('slider', { name: 'Stories', exact: true });
  await stories.fill('1');
  await stories.dispatchEvent('change');
  await widget.getByRole('button', { name: 'Run on 1 story' }).click();
  await widget.page().waitForFunction((el) => el.querySelector('.mw-readout')?.textContent?.startsWith('Done'), await widget.elementHandle(), { timeout: 120_000 });
  const story = longStory(0);
  const expected: string[][] = [];
  for (const method of methods) {
    const node = await nbceGenerateOf(model, tokenizer, { context: story.context, question: story.question, maxNewTokens: 3, ...method });
    expected.push([method.label, recallText(namesHero(node.text, story.hero) ? 1 : 0, 1)]);
  }
  expect(await widget.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent ?? '')))).toEqual(expected);
};
