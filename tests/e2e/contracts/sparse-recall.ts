// Name recall at its default (Tom, 3 weather sentences, a window of 16, no global token): the name's
// distance from the last token, and p(Tom) at the last token with full attention and with the
// window, are the engine's in Node; the window sweep's point w = D + 1 reaches the name.
import { expect } from 'vitest';
import { patternMask, recallStory, settingsOf } from '../../../src/chapters/sparseAttention';
import { softmax } from '../../../src/llama/math';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { model, tokenizer } = await engine();
  const story = tokenizer.encode(recallStory('Tom', 3), { bos: true });
  const tom = tokenizer.encode('Tom', { bos: false })[0];
  const probability = async (window?: number) => {
    const { logits } = await model.run([story], window ? { queryKeyMask: patternMask(story.length, settingsOf({ pattern: 'window', window })) } : {});
    const vocab = logits.shape[2];
    return softmax(logits.data.subarray((story.length - 1) * vocab, story.length * vocab))[tom];
  };
  const distance = story.length - 1 - story.indexOf(tom);
  const state = widget.locator('[data-distance]');
  expect(Number(await state.getAttribute('data-distance'))).toBe(distance);
  expect(Math.abs(Number(await state.getAttribute('data-full-probability')) - (await probability()))).toBeLessThan(1e-3);
  expect(Math.abs(Number(await state.getAttribute('data-masked-probability')) - (await probability(16)))).toBeLessThan(1e-3);
  const curve = (await widget.locator('[data-curve]').getAttribute('data-curve'))!.split(',').map(Number);
  expect(curve.length).toBe(story.length);
  expect(Math.abs(curve[distance] - (await probability(distance + 1)))).toBeLessThan(1e-3);
};
