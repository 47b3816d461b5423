// The wasm kernel patches (src/llama/wasmKernels.ts) give the numbers the cpu backend gives.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LlamaModel } from '../../src/llama/model';
import { createRandom } from '../../src/llama/rng';
import { lossAndGradients } from '../../src/llama/train';
import { useFastWasmEmbeddingGradient, useFastWasmMatMul } from '../../src/llama/wasmKernels';
import { useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { toyCorpus } from './helpers/training';

beforeAll(async () => {
  await useBackend('cpu'); // the expected products
});

afterAll(async () => {
  await useBackend('cpu');
});

describe('wasm training kernels', () => {
  test('useFastWasmMatMul gives the same products as the cpu backend, transposed and batched', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[5, 7], [3, 7], false, true],
      [[7, 5], [7, 3], true, false],
      [[2, 3, 6, 4], [2, 3, 6, 4], false, true],
      [[2, 3, 6, 6], [2, 3, 6, 4], true, false],
      [[4, 6, 5], [5, 3], false, false],
      [[1, 6, 5], [4, 5, 3], false, false],
    ];
    // The same numbers on both backends (tf.randomNormal differs between them).
    const random = (shape: number[], seed: number) => {
      const next = createRandom(seed);
      return tf.tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => 2 * next() - 1), shape);
    };
    const expected = cases.map(([a, b, ta, tb], i) => tf.tidy(() => tf.matMul(random(a, i), random(b, 100 + i), ta, tb).arraySync()));
    await useBackend('wasm');
    useFastWasmMatMul();
    const before = tf.memory().numTensors;
    cases.forEach(([a, b, ta, tb], i) => {
      const product = tf.tidy(() => tf.matMul(random(a, i), random(b, 100 + i), ta, tb).arraySync());
      expect(JSON.stringify(product, (_, v) => (typeof v === 'number' ? Number(v.toFixed(4)) : v))).toBe(
        JSON.stringify(expected[i], (_, v) => (typeof v === 'number' ? Number(v.toFixed(4)) : v)),
      );
    });
    expect(tf.memory().numTensors).toBe(before);
    await useBackend('cpu');
  });

  test('useFastWasmEmbeddingGradient: gather training gives the one-hot gradients', async () => {
    await useBackend('wasm');
    useFastWasmMatMul();
    useFastWasmEmbeddingGradient();
    const config = tinyConfig();
    const model = LlamaModel.init(config, 9);
    const batch = toyCorpus().randomBatch(2, 10, 3, 0);
    const viaOneHot = lossAndGradients(model, batch, { embeddingLookup: 'onehot' });
    const viaGather = lossAndGradients(model, batch, { embeddingLookup: 'gather' });
    expect(viaGather.loss).toBeCloseTo(viaOneHot.loss, 5);
    const table = 'model.embed_tokens.weight';
    const a = viaOneHot.grads[table].dataSync();
    const b = viaGather.grads[table].dataSync();
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i])))).toBeLessThan(1e-6);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(1e-4);
    tf.dispose([...Object.values(viaOneHot.grads), ...Object.values(viaGather.grads)]);
    model.dispose();
    await useBackend('cpu');
  });
});
