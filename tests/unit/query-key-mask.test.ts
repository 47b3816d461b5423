/**
 * The edited attention mask ("Mask it" in the attention chapter): queryKeyMask replaces the causal
 * rule. Checked against referenceMaskedForward, a float64 forward that goes layer by layer.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { checkQueryKeyMask } from '../../src/llama/attention';
import { LlamaModel } from '../../src/llama/model';
import { TEST_BACKENDS, useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights, relativeError } from './helpers/random-weights';
import { referenceForward, referenceMaskedForward } from '../../src/llama/reference';

const ids = [3, 17, 8, 30, 1, 22, 9];
const n = ids.length;
const matrix = (sees: (q: number, k: number) => boolean) => ids.map((_, q) => ids.map((_, k) => (sees(q, k) ? 1 : 0)));
const masks: Record<string, (q: number, k: number) => boolean> = {
  'no mask (every token sees every token)': () => true,
  'causal, given explicitly': (q, k) => k <= q,
  // an edit a reader could make: token 3 is hidden from everyone after it, and token 5 peeks at 6
  edited: (q, k) => (k <= q && !(k === 3 && q > 3)) || (q === 5 && k === 6),
};

test('the layer-by-layer reference with the causal rule equals the token-by-token reference', () => {
  const config = tinyConfig();
  const weights = randomWeights(config, 5);
  const layered = referenceMaskedForward(config, weights, ids, (q, k) => k <= q);
  const stepped = referenceForward(config, weights, ids);
  expect(relativeError(layered.logits.flatMap((l) => [...l]), stepped.logits.flatMap((l) => [...l]))).toBeLessThan(1e-12);
});

for (const backend of TEST_BACKENDS) {
  describe(`queryKeyMask vs the float64 reference on ${backend}`, () => {
    for (const [name, sees] of Object.entries(masks)) {
      test(name, async () => {
        await useBackend(backend);
        const config = tinyConfig();
        const weights = randomWeights(config, 9);
        const model = LlamaModel.fromWeights(config, weights);
        const before = tf.memory().numTensors;
        const { logits, taps } = await model.run([ids], { queryKeyMask: matrix(sees), taps: ['layers.0.attn.probs', 'layers.1.attn.probs'] });
        expect(tf.memory().numTensors).toBe(before);
        const expected = referenceMaskedForward(config, weights, ids, sees);
        expect(relativeError(logits.data, expected.logits.flatMap((l) => [...l]))).toBeLessThan(1e-4);
        expect(relativeError(taps['layers.1.attn.probs'].data, expected.probs[1].flat(2))).toBeLessThan(1e-4);
        // hidden keys get exactly zero probability
        const probs = taps['layers.0.attn.probs'].data;
        for (let h = 0; h < config.num_attention_heads; h++) {
          for (let q = 0; q < n; q++) for (let k = 0; k < n; k++) if (!sees(q, k)) expect(probs[(h * n + q) * n + k]).toBe(0);
        }
        model.dispose();
      });
    }

    test('without the causal rule the first token already depends on the last one', async () => {
      await useBackend(backend);
      const config = tinyConfig();
      const model = LlamaModel.fromWeights(config, randomWeights(config, 9));
      const open = matrix(() => true);
      const a = await model.run([ids], { queryKeyMask: open });
      const b = await model.run([[...ids.slice(0, -1), 2]], { queryKeyMask: open });
      const causalA = await model.run([ids]);
      const causalB = await model.run([[...ids.slice(0, -1), 2]]);
      const first = (r: { logits: { data: Float32Array } }) => r.logits.data.subarray(0, config.vocab_size);
      expect(relativeError(first(a), first(b))).toBeGreaterThan(1e-3);
      expect(relativeError(first(causalA), first(causalB))).toBe(0);
      model.dispose();
    });
  });
}

describe('checkQueryKeyMask says what is wrong', () => {
  test('wrong row count', () => expect(() => checkQueryKeyMask([[1]], 2, 0)).toThrow('queryKeyMask has 1 rows. Expected one per query token: 2'));
  test('wrong row length', () => expect(() => checkQueryKeyMask([[1], [1, 1]], 2, 0)).toThrow('queryKeyMask row 0 has 1 entries. Expected one per key: 2'));
  test('a value other than 0 or 1', () => expect(() => checkQueryKeyMask([[0.5, 0], [1, 1]], 2, 0)).toThrow('queryKeyMask[0][0] is 0.5'));
  test('a row that hides every key', () => expect(() => checkQueryKeyMask([[1, 0], [0, 0]], 2, 0)).toThrow('queryKeyMask row 1 hides every key'));
  test('a good mask comes back flattened', () => expect([...checkQueryKeyMask([[1, 0], [1, 1]], 2, 0)]).toEqual([1, 0, 1, 1]));
});
