// Looking inside the engine: the KV cache's shapes, bytes and contents (against the float64
// reference's rotated keys and values), the FLOP count of a timed matmul, and the kernels of one
// decode step counted from the model's structure.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, test } from 'vitest';
import { kvCacheInfo, profileDecodeStep, timeMatmul } from '../../src/llama/inspect';
import { KVCache } from '../../src/llama/kvcache';
import { readLlama2c } from '../../src/llama/llama2c';
import { LlamaModel } from '../../src/llama/model';
import { ReferenceLlama } from '../../src/llama/reference';
import { TEST_BACKENDS, useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights } from './helpers/random-weights';

afterAll(async () => {
  await useBackend('cpu');
});

describe.each(TEST_BACKENDS)('inspection on %s', (backend) => {
  test('kvCacheInfo: shape per layer, bytes, dtype, and one head equal to the reference keys (after RoPE) and values', async () => {
    await useBackend(backend);
    const config = tinyConfig(); // 2 layers, 2 KV heads of 4
    const weights = randomWeights(config, 8);
    const model = LlamaModel.fromWeights(config, weights);
    const ids = [1, 9, 4, 22, 7];
    const cache = new KVCache(config.num_hidden_layers);
    expect((await kvCacheInfo(cache)).totalBytes).toBe(0);
    tf.tidy(() => {
      model.forward(tf.tensor2d([ids.slice(0, 3)], undefined, 'int32'), { cache });
    });
    tf.tidy(() => {
      model.forward(tf.tensor2d([ids.slice(3)], undefined, 'int32'), { cache }); // the cache grows
    });
    const before = tf.memory().numTensors;
    const info = await kvCacheInfo(cache, { layer: 1, head: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(info.length).toBe(5);
    expect(info.dtype).toBe('float32');
    expect(info.layers.map((l) => l.keysShape)).toEqual([[1, 2, 5, 4], [1, 2, 5, 4]]);
    expect(info.layers[0].valuesShape).toEqual([1, 2, 5, 4]);
    expect(info.layers[0].bytes).toBe(2 * 2 * 5 * 4 * 4); // keys + values, 2 heads, 5 tokens, d 4, 4 bytes
    expect(info.totalBytes).toBe(2 * 320);

    const reference = new ReferenceLlama(config, weights);
    const keys: number[][] = [];
    const values: number[][] = [];
    ids.forEach((id, position) => {
      reference.step(id, position);
      keys.push(Array.from(reference.lastTaps.get('layers.1.attn.k_rotated')!.slice(4, 8))); // head 1 of (KV * d)
      values.push(Array.from(reference.lastTaps.get('layers.1.attn.v')!.slice(4, 8)));
    });
    const close = (rows: number[][]) => rows.map((row) => row.map((v) => expect.closeTo(v, 4)));
    expect(info.contents!.keys).toEqual(close(keys));
    expect(info.contents!.values).toEqual(close(values));

    await expect(kvCacheInfo(cache, { layer: 2, head: 0 })).rejects.toThrow('kvCacheInfo: layer 2 is outside [0, 2)');
    await expect(kvCacheInfo(cache, { layer: 0, head: 2 })).rejects.toThrow('kvCacheInfo: head 2 is outside [0, 2)');
    cache.dispose();
    model.dispose();
  });

  test('timeMatmul returns finite times and 2 m k n FLOPs, leaking nothing', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const timing = await timeMatmul(3, 5, 7, { reps: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(timing).toMatchObject({ m: 3, k: 5, n: 7, flops: 210, reps: 3, backend });
    expect(Number.isFinite(timing.ms) && timing.ms >= 0).toBe(true);
    expect(timing.gflops).toBeCloseTo(210 / (timing.ms / 1000) / 1e9, 6);
    await expect(timeMatmul(0, 5, 7)).rejects.toThrow('timeMatmul: m must be a positive integer. Received 0.');
  });

  /**
   * A frozen model's decode step on wasm or cpu is one kernel, GlassLlamaDecodeStep
   * (decodeKernels.ts), whatever the layer count: embedding row, every layer, final norm and
   * lm_head, with the new keys and values written into the cache's buffers.
   */
  test.each([
    ['the tiny test model (2 layers)', 2],
    ['stories260K (5 layers)', 5],
  ])('profileDecodeStep on %s: one GlassLlamaDecodeStep kernel', async (_, layers) => {
    await useBackend(backend);
    const model =
      layers === 2
        ? LlamaModel.fromWeights(tinyConfig(), randomWeights(tinyConfig(), 2))
        : (() => {
            const { config, weights } = readLlama2c(new Uint8Array(readFileSync('../shared/fixtures/stories260K.bin')));
            return LlamaModel.fromWeights(config, weights);
          })();
    expect(model.config.num_hidden_layers).toBe(layers);
    const before = tf.memory().numTensors;
    const profile = await profileDecodeStep(model, [1, 5, 3, 8]);
    expect(tf.memory().numTensors).toBe(before);
    expect(profile.kernels.map((k) => [k.name, k.count])).toEqual([['GlassLlamaDecodeStep', 1]]);
    expect(profile.kernelCount).toBe(1);
    expect(profile.cachedTokens).toBe(5); // the prompt and the warm-up step
    model.dispose();
  });
});
