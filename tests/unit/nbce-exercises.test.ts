// The long-context chapter's exercises (src/exercises/17-long-context.ts), every answer checked
// against the pooling maths or the shipped model.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import exercises from '../../src/exercises/17-long-context';
import { longStory, namesHero } from '../../src/chapters/nbce';
import { nbcePool } from '../../src/llama/nbce';
import { nbceDistributionsOf, nbceGenerateOf } from '../../src/runtime/nbceOps';
import { useBackend } from './helpers/backends';
import { loadChapterModel, type ChapterModel } from './helpers/chapter-model';

let shipped: ChapterModel;
beforeAll(async () => {
  await useBackend('wasm');
  shipped = loadChapterModel();
});
afterAll(() => shipped.model.dispose());

const byId = (id: string) => exercises.find((e) => e.id === id)!;
const story = longStory(0);

describe('long-context exercises', () => {
  test('one of each kind, unique ids', () => {
    expect(new Set(exercises.map((e) => e.kind))).toEqual(new Set(['choice', 'numeric', 'widget']));
    expect(new Set(exercises.map((e) => e.id)).size).toBe(exercises.length);
  });

  test('average-pooling: the continuation does not name the hero', async () => {
    const exercise = byId('average-pooling');
    if (exercise.kind !== 'choice') throw new Error('kind');
    const state = exercise.run!.state;
    const result = await nbceGenerateOf(shipped.model, shipped.tokenizer, {
      context: story.context, question: story.question, method: 'nbce', chunkSize: state.chunk as number, beta: state.beta as number, pooling: 'average', maxNewTokens: 8,
    });
    expect(story.hero).toBe('Karl');
    expect(namesHero(result.text, story.hero)).toBe(exercise.answer === 0);
  });

  test('naive-bayes-score: the pooling maths gives the answer', () => {
    const exercise = byId('naive-bayes-score');
    if (exercise.kind !== 'numeric') throw new Error('kind');
    const step = nbcePool([[Math.log(0.5), Math.log(0.5)], [Math.log(0.2), Math.log(0.8)]], [Math.log(0.4), Math.log(0.6)], { pooling: 'average', beta: 1 });
    expect(Math.exp(step.scores[0])).toBeCloseTo(exercise.answer, 12);
  });

  test('chunk-count: rows NBCE runs on story 0 with chunks of 32', async () => {
    const exercise = byId('chunk-count');
    if (exercise.kind !== 'numeric') throw new Error('kind');
    const result = await nbceDistributionsOf(shipped.model, shipped.tokenizer, { context: story.context, question: story.question, chunkSize: 32 });
    expect(result.logits.length).toBe(exercise.answer);
    expect(result.contextIds.length).toBe(361);
    expect(result.chunks.at(-1)).toEqual([352, 361]);
  });

  test('chunks-too-long: every chunk size the goal allows (slider steps of 8) loses the name at the top, and the start keeps it', async () => {
    const exercise = byId('chunks-too-long');
    if (exercise.kind !== 'widget') throw new Error('kind');
    const heroId = shipped.tokenizer.encode(story.hero, { bos: false })[0];
    const topAt = async (chunkSize: number) => {
      const { logits } = await nbceDistributionsOf(shipped.model, shipped.tokenizer, { context: story.context, question: story.question, chunkSize });
      const { logProbs } = nbcePool(logits.slice(1), logits[0], { pooling: 'lowestEntropy', beta: 0.25 });
      return logProbs.indexOf(Math.max(...logProbs));
    };
    expect(await topAt(exercise.start!.chunk as number)).toBe(heroId);
    const min = (exercise.goal.chunk as { min: number }).min;
    for (let chunk = min; chunk <= 224; chunk += 8) expect({ chunk, top: await topAt(chunk) }).not.toEqual({ chunk, top: heroId });
  });
});
