// Every answer of src/exercises/16-sparse-attention.ts, checked against the chapter's maths and
// the shipped model.
import { afterAll, beforeAll, expect, test } from 'vitest';
import exercises from '../../src/exercises/16-sparse-attention';
import { argmax } from '../../src/chapters/attention';
import { causalPairs, maskPairs, nameDistance, patternDensity, patternMask, patternPairs, recallStory, settingsOf } from '../../src/chapters/sparseAttention';
import { softmax } from '../../src/llama/math';
import { schema as maskSchema } from '../../components/SparseMask';
import { schema as recallSchema } from '../../components/SparseRecall';
import { useBackend } from './helpers/backends';
import { loadChapterModel, type ChapterModel } from './helpers/chapter-model';

const byId = Object.fromEntries(exercises.map((e) => [e.id, e]));

let chapter: ChapterModel;
beforeAll(async () => {
  await useBackend('wasm');
  chapter = loadChapterModel();
});
afterAll(() => chapter?.model.dispose());

test('three exercises, one of each kind', () => {
  expect(exercises.map((e) => e.kind).sort()).toEqual(['choice', 'numeric', 'widget']);
});

test('window-pairs: 3,976 pairs, 12.1% of 32,896', () => {
  const exercise = byId['window-pairs'];
  if (exercise.kind !== 'numeric') throw new Error('window-pairs is numeric');
  const settings = settingsOf({ pattern: 'window', window: 16 });
  expect(patternPairs(256, settings)).toBe(exercise.answer);
  expect(maskPairs(patternMask(256, settings))).toBe(exercise.answer);
  expect(causalPairs(256)).toBe(32_896);
  expect(((100 * exercise.answer) / causalPairs(256)).toFixed(1)).toBe('12.1');
});

test('smallest-window: w = 21 names Tom (97%), w = 20 does not', async () => {
  const exercise = byId['smallest-window'];
  if (exercise.kind !== 'choice') throw new Error('smallest-window is a choice');
  const { tokenizer, model } = chapter;
  const ids = tokenizer.encode(recallStory('Tom', 3), { bos: true });
  const tom = tokenizer.encode('Tom', { bos: false })[0];
  expect(nameDistance(ids, tom).distance).toBe(20);
  const last = async (window: number) => {
    const { logits } = await model.run([ids], { queryKeyMask: patternMask(ids.length, settingsOf({ pattern: 'window', window })) });
    const row = Array.from(logits.data.subarray((ids.length - 1) * logits.shape[2], ids.length * logits.shape[2]));
    return { top: argmax(row), probability: softmax(row)[tom] };
  };
  const answer = Number(exercise.choices[exercise.answer]);
  expect(answer).toBe(21);
  const at = await last(answer);
  expect(at.top).toBe(tom);
  expect(Math.round(at.probability * 100)).toBe(97);
  expect((await last(answer - 1)).top).not.toBe(tom);
  // every smaller choice hides the name from the last token
  for (const choice of exercise.choices.map(Number).filter((w) => w < answer)) expect(patternMask(ids.length, settingsOf({ pattern: 'window', window: choice }))[ids.length - 1][ids.length - 1 - 20]).toBe(0);
  expect(exercise.run?.state).toMatchObject({ window: answer });
  expect(recallSchema.window.max).toBeGreaterThanOrEqual(answer);
}, 60_000);

test('strided-two-percent: exactly the strides 55 to 256 keep under 2% at 65,536 tokens', () => {
  const exercise = byId['strided-two-percent'];
  if (exercise.kind !== 'widget') throw new Error('strided-two-percent is a widget exercise');
  const goal = exercise.goal.stride as { min: number; max: number };
  expect(goal.max).toBe(maskSchema.stride.max);
  for (let stride = 1; stride <= maskSchema.stride.max; stride++) {
    const under = patternDensity(65_536, settingsOf({ pattern: 'strided', stride })) < 0.02;
    expect(under, `stride ${stride}`).toBe(stride >= goal.min && stride <= goal.max);
  }
  expect((100 * patternDensity(65_536, settingsOf({ pattern: 'strided', stride: 181 }))).toFixed(1)).toBe('1.1');
});
