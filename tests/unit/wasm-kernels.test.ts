// The wasm kernel patches (src/llama/wasmKernels.ts) give the numbers the cpu backend gives.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LoraAdapter } from '../../src/llama/lora';
import type { LoraTargetModule } from '../../src/llama/loraConfig';
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

describe('wasm training kernels with a LoRA adapter', () => {
  test('adapter gradients on patched wasm equal those on cpu', async () => {
    const config = tinyConfig();
    const batch = toyCorpus().randomBatch(2, 10, 5, 0);
    const lora = { r: 2, lora_alpha: 4, target_modules: ['q_proj', 'o_proj', 'down_proj'] as LoraTargetModule[] };
    const gradientsOn = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      if (backend === 'wasm') {
        useFastWasmMatMul();
        useFastWasmEmbeddingGradient();
      }
      const model = LlamaModel.init(config, 4, { trainable: false });
      // B = 0 would zero every gradient of A, so B gets fixed nonzero values
      const fresh = LoraAdapter.init(config, lora, 6);
      const weights = fresh.toWeightMap();
      fresh.dispose();
      for (const [name, tensor] of weights) if (name.includes('lora_B')) tensor.data.forEach((_, i) => (tensor.data[i] = 0.1 * Math.sin(i + 1)));
      const adapter = LoraAdapter.fromWeights(config, lora, weights, { trainable: true });
      model.attachAdapter(adapter);
      const { loss, grads } = lossAndGradients(model, batch, { embeddingLookup: backend === 'wasm' ? 'gather' : 'onehot' });
      const plain = Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, Array.from(g.dataSync())]));
      tf.dispose(Object.values(grads));
      adapter.dispose();
      model.dispose();
      return { loss, plain };
    };
    const cpu = await gradientsOn('cpu');
    const wasm = await gradientsOn('wasm');
    expect(wasm.loss).toBeCloseTo(cpu.loss, 5);
    expect(Object.keys(wasm.plain).sort()).toEqual(Object.keys(cpu.plain).sort());
    for (const [name, values] of Object.entries(cpu.plain)) {
      expect(Math.max(...values.map(Math.abs)), name).toBeGreaterThan(1e-5);
      expect(Math.max(...values.map((v, i) => Math.abs(v - wasm.plain[name][i]))), name).toBeLessThan(1e-5);
    }
  });
});
