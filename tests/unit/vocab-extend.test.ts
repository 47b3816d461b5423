import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { LlamaModel } from '../../src/llama/model';
import { referenceForward } from '../../src/llama/reference';
import { RANDOM_ROW_STD, extendVocabulary, newRows } from '../../src/llama/vocabExtend';
import { EMBED_TOKENS, LM_HEAD } from '../../src/llama/weights';
import { Sessions } from '../../src/runtime/sessions';
import { embeddingTableOf, extendVocabularyOf } from '../../src/runtime/tokensOps';
import { useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights, relativeError } from './helpers/random-weights';

// A 4 x 3 table written out so the expected rows can be read off by hand.
const TABLE = Float32Array.from([
  1, 2, 3, //
  4, 5, 6, //
  -1, 0, 7, //
  2, -2, 0,
]);

describe('newRows', () => {
  test('mean: every new row is the mean of all old rows, (1+4-1+2)/4 = 1.5, (2+5+0-2)/4 = 1.25, 4', () => {
    const rows = newRows(TABLE, 3, [[0], [1, 2]], 'mean', 1);
    expect(Array.from(rows)).toEqual([1.5, 1.25, 4, 1.5, 1.25, 4]);
  });

  test("bytes: each new row is the mean of its own byte rows", () => {
    const rows = newRows(TABLE, 3, [[0, 1], [2, 3, 3]], 'bytes', 1);
    expect(Array.from(rows.subarray(0, 3))).toEqual([2.5, 3.5, 4.5]);
    // (-1 + 2 + 2) / 3 = 1, (0 - 2 - 2) / 3 = -4/3, 7/3
    expect(rows[3]).toBeCloseTo(1, 6);
    expect(rows[4]).toBeCloseTo(-4 / 3, 6);
    expect(rows[5]).toBeCloseTo(7 / 3, 6);
  });

  test('random: N(0, 0.02^2), the same for the same seed, different for another', () => {
    const byteIds = Array.from({ length: 500 }, () => [0]);
    const rows = newRows(TABLE, 3, byteIds, 'random', 7);
    const mean = rows.reduce((a, b) => a + b, 0) / rows.length;
    const std = Math.sqrt(rows.reduce((a, b) => a + (b - mean) ** 2, 0) / rows.length);
    expect(Math.abs(mean)).toBeLessThan(0.002); // 1500 draws: standard error 0.0005
    expect(std).toBeGreaterThan(RANDOM_ROW_STD * 0.95);
    expect(std).toBeLessThan(RANDOM_ROW_STD * 1.05);
    expect(Array.from(newRows(TABLE, 3, byteIds, 'random', 7))).toEqual(Array.from(rows));
    expect(newRows(TABLE, 3, byteIds, 'random', 8)[0]).not.toBe(rows[0]);
  });

  test('refuses a byte id outside the table and a piece with no bytes', () => {
    expect(() => newRows(TABLE, 3, [[4]], 'bytes', 1)).toThrow('byte id must be in [0, 4). Received 4.');
    expect(() => newRows(TABLE, 3, [[]], 'bytes', 1)).toThrow('has no byte tokens');
  });
});

describe('extendVocabulary', () => {
  const config = tinyConfig();
  const weights = randomWeights(config, 3);
  let backendBefore = '';

  beforeAll(async () => {
    backendBefore = tf.getBackend();
    await useBackend('cpu');
  });
  afterAll(async () => {
    if (backendBefore) await tf.setBackend(backendBefore);
  });

  test('grows the embedding and the untied output by N rows and keeps the old rows', () => {
    const grown = extendVocabulary(config, weights, [[3, 4], [5]], 'bytes', 1);
    expect(grown.config.vocab_size).toBe(34);
    for (const name of [EMBED_TOKENS, LM_HEAD]) {
      const { shape, data } = grown.weights.get(name)!;
      expect(shape).toEqual([34, 16]);
      expect(Array.from(data.subarray(0, 32 * 16))).toEqual(Array.from(weights.get(name)!.data));
      // row 33 = the old row 5 of the same matrix
      expect(Array.from(data.subarray(33 * 16, 34 * 16))).toEqual(Array.from(weights.get(name)!.data.subarray(5 * 16, 6 * 16)));
    }
    expect(weights.get(EMBED_TOKENS)!.shape).toEqual([32, 16]); // the input is not changed
  });

  test('a tied model grows only its embedding', () => {
    const tied = tinyConfig({ tie_word_embeddings: true });
    const tiedWeights = randomWeights(tied, 4);
    const grown = extendVocabulary(tied, tiedWeights, [[1]], 'mean', 1);
    expect(grown.weights.get(EMBED_TOKENS)!.shape).toEqual([33, 16]);
    expect(grown.weights.has(LM_HEAD)).toBe(false);
  });

  test('the grown model computes what the float64 reference computes, old logits unchanged', () => {
    const grown = extendVocabulary(config, weights, [[3, 4], [5]], 'bytes', 1);
    const ids = [1, 33, 7, 32, 9];
    const model = LlamaModel.fromWeights(grown.config, grown.weights);
    try {
      const logits = tf.tidy(() => model.forward(tf.tensor2d([ids], [1, ids.length], 'int32')).logits.arraySync() as number[][][]);
      const reference = referenceForward(grown.config, grown.weights, ids).logits;
      expect(relativeError(logits[0].flat(), reference.flatMap((row) => Array.from(row)))).toBeLessThan(1e-4);
      // Without the new ids, the first 32 logits are the old model's.
      const old = referenceForward(config, weights, [1, 7, 9]).logits;
      const again = referenceForward(grown.config, grown.weights, [1, 7, 9]).logits;
      for (let i = 0; i < 3; i++) expect(Array.from(again[i].subarray(0, 32))).toEqual(Array.from(old[i]));
    } finally {
      model.dispose();
    }
  });

  test('refuses an unknown init', () => {
    expect(() => extendVocabulary(config, weights, [[1]], 'zeros' as never, 1)).toThrow('init must be one of random, mean, bytes. Received zeros.');
  });
});

describe('the tokens ops (src/runtime/tokensOps.ts)', () => {
  const config = tinyConfig();
  let backendBefore = '';
  beforeAll(async () => {
    backendBefore = tf.getBackend();
    await useBackend('cpu');
  });
  afterAll(async () => {
    if (backendBefore) await tf.setBackend(backendBefore);
  });

  test('extendVocabulary forks a grown session that trains on the new ids; dropping it frees every tensor', async () => {
    const shipped = LlamaModel.fromWeights(config, randomWeights(config, 5));
    const sessions = new Sessions(() => shipped);
    const before = tf.memory().numTensors;
    const forked = extendVocabularyOf(sessions, { name: 'grown', byteIds: [[3, 4], [5]], init: 'bytes', seed: 1 });
    expect(forked.vocabSize).toBe(34);
    // two new rows of 16 in the embedding and two in the output layer
    expect(forked.parameters).toBe([...shipped.params.values()].reduce((sum, t) => sum + t.size, 0) + 2 * 2 * 16);
    expect(embeddingTableOf(sessions.model('grown'), 'input').shape).toEqual([34, 16]);
    expect(Array.from(embeddingTableOf(sessions.model('grown'), 'output').data.subarray(33 * 16, 34 * 16))).toEqual(
      Array.from(embeddingTableOf(shipped, 'output').data.subarray(5 * 16, 6 * 16)),
    );
    const examples = [{ ids: [1, 32, 33, 7, 32, 9, 33, 2, 1, 33, 32, 2] }];
    const context = { progress: () => {}, cancelled: () => false, step: async () => true, cancelReadAfter: () => undefined };
    const result = await sessions.trainSteps(
      { session: 'grown', examples, batchSize: 1, seqLength: 8, seed: 1, steps: 2, schedule: { peakLearningRate: 1e-2, warmupSteps: 1, totalSteps: 2, finalFraction: 1 }, maxGradNorm: 1 },
      context,
    );
    expect(result.losses).toHaveLength(2);
    sessions.drop('grown');
    expect(tf.memory().numTensors).toBe(before);
    expect(() => extendVocabularyOf(sessions, { name: 'none', byteIds: [], init: 'mean', seed: 1 })).toThrow('add between 1 and 256 pieces. Received 0.');
    expect(() => embeddingTableOf(shipped, 'middle' as never)).toThrow('which must be "input" or "output". Received middle.');
    shipped.dispose();
  });
});
