import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { KVCache } from '../../src/llama/kvcache';
import { LlamaModel, positionIdsFromMask } from '../../src/llama/model';
import { TEST_BACKENDS, useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights, relativeError } from './helpers/random-weights';

/** Logits of every position from one full forward: [batch][position] -> Float32Array(vocab). */
async function fullForwardLogits(model: LlamaModel, ids: number[][], mask: number[][]): Promise<Float32Array[][]> {
  const { logits } = await model.run(ids, { attentionMask: mask, positionIds: positionIdsFromMask(mask) });
  const [batch, seq, vocab] = logits.shape;
  return Array.from({ length: batch }, (_, b) => Array.from({ length: seq }, (_, s) => logits.data.slice((b * seq + s) * vocab, (b * seq + s + 1) * vocab)));
}

for (const backend of TEST_BACKENDS) {
  describe(`KV cache on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    for (const layout of ['rotate_half', 'interleaved'] as const) {
      test(`prefill 3 then 1 token at a time matches the full forward at every step (${layout}, GQA, left padding)`, async () => {
        const config = tinyConfig({ rope_layout: layout });
        const model = LlamaModel.fromWeights(config, randomWeights(config, 21));
        const ids = [
          [5, 9, 3, 12, 30, 7, 1, 18],
          [0, 0, 4, 4, 22, 13, 8, 2],
        ];
        const mask = [
          [1, 1, 1, 1, 1, 1, 1, 1],
          [0, 0, 1, 1, 1, 1, 1, 1],
        ];
        const positions = positionIdsFromMask(mask);
        const expected = await fullForwardLogits(model, ids, mask);
        const before = tf.memory().numTensors;
        const cache = new KVCache(config.num_hidden_layers);
        const chunks = [[0, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8]];
        for (const [start, end] of chunks) {
          const result = tf.tidy(() => {
            const { logits } = model.forward(tf.tensor2d(ids.map((row) => row.slice(start, end)), undefined, 'int32'), {
              cache,
              attentionMask: tf.tensor2d(mask.map((row) => row.slice(0, end)), undefined, 'int32'),
              positionIds: tf.tensor2d(positions.map((row) => row.slice(start, end)), undefined, 'int32'),
              // taps are disposed with this tidy; they must not take the cache entries with them
              taps: ['layers.0.attn.k_rotated', 'layers.1.attn.v'],
            });
            return logits;
          });
          expect(cache.length).toBe(end);
          const data = result.dataSync();
          result.dispose();
          for (let b = 0; b < 2; b++) {
            for (let s = start; s < end; s++) {
              const offset = (b * (end - start) + (s - start)) * config.vocab_size;
              expect(relativeError(data.slice(offset, offset + config.vocab_size), expected[b][s])).toBeLessThan(1e-5);
            }
          }
        }
        // the cache holds [batch, kv_heads, length, head_dim] per layer: 2 layers x (keys + values)
        expect(cache.keys[1]!.shape).toEqual([2, 2, 8, 4]);
        expect(tf.memory().numTensors).toBe(before + 4);
        cache.dispose();
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });
    }
  });
}

test('selectRows reorders and duplicates batch rows', async () => {
  await useBackend('cpu');
  const cache = new KVCache(1);
  cache.set(0, tf.tensor4d([1, 2, 3], [3, 1, 1, 1]), tf.tensor4d([10, 20, 30], [3, 1, 1, 1]));
  cache.selectRows([2, 2, 0]);
  expect([...cache.keys[0]!.dataSync()]).toEqual([3, 3, 1]);
  expect([...cache.values[0]!.dataSync()]).toEqual([30, 30, 10]);
  cache.dispose();
  expect(cache.length).toBe(0);
});
