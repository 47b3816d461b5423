import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { generate } from '../../src/llama/generate';
import { readLlama2c, toRotateHalf } from '../../src/llama/llama2c';
import { LlamaModel } from '../../src/llama/model';
import { TEST_BACKENDS, useBackend } from './helpers/backends';
import { referenceGreedy } from '../../src/llama/reference';

/**
 * The llama2.c test_all.py idea: two independent implementations of the same checkpoint must pick
 * the same greedy tokens. Ours runs in float32 on tfjs with a KV cache; the reference in float64.
 */
const { config, weights } = readLlama2c(new Uint8Array(readFileSync('../shared/fixtures/stories260K.bin')));
const BOS = 1;
const STEPS = 200;
let expected: number[];

beforeAll(() => {
  expected = referenceGreedy(config, weights, [BOS], STEPS);
});

test('the reference itself does not collapse into one repeated token', () => {
  expect(expected).toHaveLength(STEPS);
  expect(new Set(expected).size).toBeGreaterThan(20);
});

for (const backend of TEST_BACKENDS) {
  describe(`stories260K greedy parity on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    test(`${STEPS} greedy tokens from BOS match the float64 reference`, async () => {
      const model = LlamaModel.fromWeights(config, weights);
      const before = tf.memory().numTensors;
      const result = await generate(model, [BOS], { maxNewTokens: STEPS, doSample: false });
      expect(tf.memory().numTensors).toBe(before);
      expect(result.newIds).toEqual(expected);
      expect(result.stopReason).toBe('length');
      model.dispose();
    });

    test('the Hugging Face (rotate_half) conversion gives the same tokens', async () => {
      const converted = toRotateHalf(config, weights);
      const model = LlamaModel.fromWeights(converted.config, converted.weights);
      const result = await generate(model, [BOS], { maxNewTokens: 50, doSample: false });
      expect(result.newIds).toEqual(expected.slice(0, 50));
      model.dispose();
    });
  });
}
