// Every number the long-context chapter states about the shipped model, recomputed on its weights.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  FILLER_SENTENCES, LONG_STORY_QUESTION, longStory, namesHero, NBCE_FACTS, RECALL_NEW_TOKENS, recallMethods, recallText,
} from '../../src/chapters/nbce';
import { nbceDistributionsOf, nbceGenerateOf } from '../../src/runtime/nbceOps';
import { nbcePool } from '../../src/llama/nbce';
import { BOY_NAMES, GIRL_NAMES } from '../../scripts/corpus/words';
import { useBackend } from './helpers/backends';
import { loadChapterModel, type ChapterModel } from './helpers/chapter-model';

let shipped: ChapterModel;
beforeAll(async () => {
  await useBackend('wasm');
  shipped = loadChapterModel();
});
afterAll(() => shipped.model.dispose());

const seeds = Array.from({ length: NBCE_FACTS.stories }, (_, seed) => seed);

describe('longStory', () => {
  test('is deterministic, names the hero only in the introduction, and ends with the question', () => {
    expect(longStory(3)).toEqual(longStory(3));
    expect(longStory(3).text).not.toBe(longStory(4).text);
    for (const seed of seeds) {
      const story = longStory(seed);
      expect([...GIRL_NAMES, ...BOY_NAMES] as string[]).toContain(story.hero);
      expect(story.text.split(story.hero).length - 1).toBe(2);
      expect(story.intro.split(story.hero).length - 1).toBe(2);
      expect(story.context.startsWith(story.intro)).toBe(true);
      expect(story.text.endsWith(` ${LONG_STORY_QUESTION}`)).toBe(true);
      // the filler names nobody
      for (const sentence of FILLER_SENTENCES) for (const name of [...GIRL_NAMES, ...BOY_NAMES]) expect(namesHero(sentence, name)).toBe(false);
    }
    // fewer filler sentences: the same story cut short
    expect(longStory(2).context.startsWith(longStory(2, 5).context)).toBe(true);
    expect(() => longStory(-1)).toThrow('the seed must be a whole number');
  });

  test('is longer than the context on the shipped tokenizer', () => {
    const lengths = seeds.map((seed) => shipped.tokenizer.encode(longStory(seed).text).length);
    expect(Math.min(...lengths)).toBe(NBCE_FACTS.tokens.min);
    expect(Math.max(...lengths)).toBe(NBCE_FACTS.tokens.max);
    expect(NBCE_FACTS.tokens.min).toBeGreaterThan(shipped.model.config.max_position_embeddings);
  });

  test('namesHero matches whole words only, and recallText words a count', () => {
    expect(namesHero(' Karl went to', 'Karl')).toBe(true);
    expect(namesHero(' Karla went', 'Karl')).toBe(false);
    expect(namesHero('"Karl!"', 'Karl')).toBe(true);
    expect(recallText(3, 4)).toBe('3 of 4 (75%)');
    expect(recallText(0, 0)).toBe('0 of 0 (0%)');
  });
});

async function recalled(method: Parameters<typeof nbceGenerateOf>[2], filler?: number): Promise<number> {
  let hits = 0;
  for (const seed of seeds) {
    const story = longStory(seed, filler);
    const result = await nbceGenerateOf(shipped.model, shipped.tokenizer, { ...method, context: story.context, question: story.question, maxNewTokens: RECALL_NEW_TOKENS });
    if (namesHero(result.text, story.hero)) hits++;
  }
  return hits;
}

describe('what the chapter says about the shipped model', () => {
  test('the plain model copies the name over a few sentences, not over many (stories that fit the context)', async () => {
    const { nearFiller, near, farFiller, far } = NBCE_FACTS.plainRecall;
    expect(await recalled({ method: 'truncate' } as never, nearFiller)).toBe(near);
    expect(await recalled({ method: 'truncate' } as never, farFiller)).toBe(far);
  });

  test('the recall table: truncation and interpolation lose the name, NBCE with lowest entropy and small chunks brings it back', async () => {
    const [truncate, interpolate, lowest, average] = recallMethods(32, 0.25);
    expect(await recalled(truncate as never)).toBe(NBCE_FACTS.recall.truncate);
    expect(await recalled(interpolate as never)).toBe(NBCE_FACTS.recall.interpolate);
    expect(await recalled(lowest as never)).toBe(NBCE_FACTS.recall.lowestEntropy32);
    expect(await recalled(average as never)).toBe(NBCE_FACTS.recall.average32);
    expect(await recalled(recallMethods(128, 0.25)[2] as never)).toBe(NBCE_FACTS.recall.lowestEntropy128);
  });

  test('seed 0, chunks of 32: the chunk with the name is the surest, and the first token is the name', async () => {
    const story = longStory(0);
    expect(story.hero).toBe(NBCE_FACTS.seed0.hero);
    const result = await nbceGenerateOf(shipped.model, shipped.tokenizer, {
      context: story.context, question: story.question, method: 'nbce', chunkSize: 32, pooling: 'lowestEntropy', beta: 0.25, maxNewTokens: 2,
    });
    expect(result.chunks).toHaveLength(NBCE_FACTS.seed0.chunks);
    const [first] = result.steps;
    expect(first.winner).toBe(NBCE_FACTS.seed0.winner);
    expect(first.chunkEntropies![0]).toBeLessThan(NBCE_FACTS.seed0.winnerEntropyBelow);
    expect(Math.min(...first.chunkEntropies!.slice(1))).toBeGreaterThan(NBCE_FACTS.seed0.othersAbove);
    expect(first.text.trim()).toBe(shipped.tokenizer.decode([first.tokenId]));
    expect(result.text.trim().startsWith(story.hero)).toBe(true);
    // over the widget's 8 tokens, other chunks win later steps; truncation and interpolation write another name
    const eight = await nbceGenerateOf(shipped.model, shipped.tokenizer, {
      context: story.context, question: story.question, method: 'nbce', chunkSize: 32, pooling: 'lowestEntropy', beta: 0.25, maxNewTokens: 8,
    });
    expect(new Set(eight.steps.map((s) => s.winner)).size).toBeGreaterThan(1);
    for (const method of ['truncate', 'interpolate'] as const) {
      const other = await nbceGenerateOf(shipped.model, shipped.tokenizer, { context: story.context, question: story.question, method, maxNewTokens: 8 });
      const firstWord = other.text.trim().split(/[^A-Za-z]/)[0];
      expect({ method, isName: ([...GIRL_NAMES, ...BOY_NAMES] as string[]).includes(firstWord), isHero: firstWord === story.hero }).toEqual({ method, isName: true, isHero: false });
    }
    // the distributions op gives the same first step when pooled in the page
    const distributions = await nbceDistributionsOf(shipped.model, shipped.tokenizer, { context: story.context, question: story.question, chunkSize: 32 });
    const pooled = nbcePool(distributions.logits.slice(1), distributions.logits[0], { pooling: 'lowestEntropy', beta: 0.25 });
    expect(pooled.winner).toBe(0);
    pooled.entropies.forEach((h, k) => expect(h).toBeCloseTo(first.chunkEntropies![k], 4));
    // averaged, the chunks that never saw the name outvote the one that did
    const averaged = nbcePool(distributions.logits.slice(1), distributions.logits[0], { pooling: 'average', beta: 0.25 });
    expect(averaged.logProbs.indexOf(Math.max(...averaged.logProbs))).not.toBe(first.tokenId);
    expect(Math.exp(pooled.logProbs[first.tokenId])).toBeCloseTo(first.probability, 4);
  });

  test('the ops refuse bad input with a message', async () => {
    const { model, tokenizer } = shipped;
    await expect(nbceGenerateOf(model, tokenizer, { context: 'Once', question: '  ', method: 'nbce', maxNewTokens: 2 })).rejects.toThrow('The question is empty');
    await expect(nbceGenerateOf(model, tokenizer, { context: 'Once', question: 'One day,', method: 'nbce', maxNewTokens: 40 })).rejects.toThrow('maxNewTokens must be a whole number from 1 to 32');
    await expect(nbceGenerateOf(model, tokenizer, { context: 'The sun was warm. '.repeat(300), question: 'One day,', method: 'nbce', maxNewTokens: 2 })).rejects.toThrow(
      /^This text is 1,[0-9]{3} tokens; these figures read at most 1,024 \(4 times the context of 256\)\.$/,
    );
  });
});
