// The one-kernel decode step (src/llama/decodeKernels.ts) and the KV cache buffers it writes in
// place (src/llama/kvcache.ts), against the float64 reference step by step: a frozen model's
// decode steps take the kernel, a trainable model's take the tfjs ops, and both must give the
// reference's logits.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import type { LlamaConfig } from '../../src/llama/config';
import { DECODE_STEP, hasDecodeStep } from '../../src/llama/decodeKernels';
import { generate, stepLogits } from '../../src/llama/generate';
import { kvCacheInfo, profileDecodeStep } from '../../src/llama/inspect';
import { KVCache } from '../../src/llama/kvcache';
import { LlamaModel } from '../../src/llama/model';
import { ReferenceLlama } from '../../src/llama/reference';
import { TEST_BACKENDS, useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights } from './helpers/random-weights';

const PROMPT = [1, 7, 3];
const FED = [12, 30, 5, 19, 2, 8];

/** Logits of the prompt's last position, then of each fed token, from one model with a cache. */
async function decodeLogits(model: LlamaModel, prompt = PROMPT, fed = FED): Promise<Float32Array[]> {
  const cache = new KVCache(model.config.num_hidden_layers);
  try {
    const rows = [(await stepLogits(model, [prompt], cache))[0]];
    for (const token of fed) rows.push((await stepLogits(model, [[token]], cache))[0]);
    return rows;
  } finally {
    cache.dispose();
  }
}

function referenceLogits(config: LlamaConfig, seed: number, prompt = PROMPT, fed = FED): Float64Array[] {
  const reference = new ReferenceLlama(config, randomWeights(config, seed));
  const rows = prompt.map((token, position) => reference.step(token, position));
  return [rows.at(-1)!, ...fed.map((token, i) => reference.step(token, prompt.length + i))];
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const CASES: [string, LlamaConfig][] = [
  ['silu, GQA (4 heads, 2 KV heads), rotate_half', tinyConfig()],
  ['silu, interleaved RoPE, 4 KV heads', tinyConfig({ rope_layout: 'interleaved', num_key_value_heads: 4 })],
  ['gelu (erf), MQA', tinyConfig({ hidden_act: 'gelu', num_key_value_heads: 1 })],
  ['gelu_tanh, linear RoPE scaling', tinyConfig({ hidden_act: 'gelu_pytorch_tanh', rope_scaling: { rope_type: 'linear', factor: 4 } })],
  ['relu, head_dim 6 (not a multiple of 4)', tinyConfig({ hidden_act: 'relu', hidden_size: 24 })],
];

for (const backend of TEST_BACKENDS) {
  describe(`one-kernel decode step on ${backend}`, () => {
    test('is registered on the wasm and cpu backends', async () => {
      await useBackend(backend);
      expect(hasDecodeStep()).toBe(true);
      expect(tf.getKernel(DECODE_STEP, backend)?.backendName).toBe(backend);
    });

    test.each(CASES)('%s: decode-step logits equal the float64 reference, fused and unfused', async (_, config) => {
      await useBackend(backend);
      const expected = referenceLogits(config, 4);
      const frozen = LlamaModel.fromWeights(config, randomWeights(config, 4));
      const trainable = LlamaModel.fromWeights(config, randomWeights(config, 4), { trainable: true });
      const before = tf.memory().numTensors;
      const fused = await decodeLogits(frozen);
      const unfused = await decodeLogits(trainable);
      expect(tf.memory().numTensors).toBe(before);
      expect((await profileDecodeStep(frozen, PROMPT)).kernels).toEqual([expect.objectContaining({ name: DECODE_STEP, count: 1 })]);
      expect((await profileDecodeStep(trainable, PROMPT)).kernels.some((k) => k.name === DECODE_STEP)).toBe(false);
      expect(fused).toHaveLength(FED.length + 1);
      for (const [step, row] of expected.entries()) {
        expect(maxAbsDifference(fused[step], row)).toBeLessThan(1e-4);
        expect(maxAbsDifference(unfused[step], row)).toBeLessThan(1e-4);
      }
      frozen.dispose();
      trainable.dispose();
    });

    test('from BOS alone past the buffers\' first 64 positions (they grow) with dynamic NTK RoPE: every step equals the reference', async () => {
      await useBackend(backend);
      const config = tinyConfig({ max_position_embeddings: 32, rope_scaling: { rope_type: 'dynamic', factor: 2 } });
      const fed = Array.from({ length: 79 }, (_, i) => (i * 7 + 3) % config.vocab_size);
      const expected = referenceLogits(config, 9, [1], fed);
      const model = LlamaModel.fromWeights(config, randomWeights(config, 9));
      const before = tf.memory().numTensors;
      const fused = await decodeLogits(model, [1], fed);
      expect(tf.memory().numTensors).toBe(before);
      for (const [step, row] of expected.entries()) expect(maxAbsDifference(fused[step], row)).toBeLessThan(1e-4);
      model.dispose();
    });

    test('a cache written in place reads like one built by concat: shapes, contents, then a tapped forward and selectRows on it', async () => {
      await useBackend(backend);
      const config = tinyConfig();
      const weights = randomWeights(config, 5);
      const model = LlamaModel.fromWeights(config, weights);
      const reference = new ReferenceLlama(config, weights);
      const tokens = [1, 9, 4, 22, 17];
      const before = tf.memory().numTensors;
      const cache = new KVCache(config.num_hidden_layers);
      await stepLogits(model, [tokens.slice(0, 2)], cache); // prefill: the general forward
      for (const token of tokens.slice(2)) await stepLogits(model, [[token]], cache); // three one-kernel steps
      // the reference's rotated keys and values of layer 1, KV head 1 (head_dim 4), per position
      const referenceRows = tokens.map((token, position) => {
        reference.step(token, position);
        return { keys: reference.lastTaps.get('layers.1.attn.k_rotated')!.slice(4, 8), values: reference.lastTaps.get('layers.1.attn.v')!.slice(4, 8) };
      });
      expect(cache.length).toBe(5);
      expect(cache.keys[1]!.shape).toEqual([1, 2, 5, 4]);
      expect(cache.values[0]!.shape).toEqual([1, 2, 5, 4]);
      // layer 1, KV head 1: the rotated keys and the values of all five positions
      const info = await kvCacheInfo(cache, { layer: 1, head: 1 });
      expect(info.layers[0]).toEqual({ layer: 0, keysShape: [1, 2, 5, 4], valuesShape: [1, 2, 5, 4], bytes: 2 * 2 * 5 * 4 * 4 });
      for (let position = 0; position < 5; position++) {
        expect(maxAbsDifference(info.contents!.keys[position], referenceRows[position].keys)).toBeLessThan(1e-5);
        expect(maxAbsDifference(info.contents!.values[position], referenceRows[position].values)).toBeLessThan(1e-5);
      }
      // a forward with taps takes the general path on the same cache, then the kernel again
      const tapped = tf.tidy(() => {
        const { logits, taps } = model.forward(tf.tensor2d([[11]], undefined, 'int32'), { cache, taps: ['logits'] });
        taps.get('logits')!.dispose();
        return logits;
      });
      expect(maxAbsDifference(tapped.dataSync(), reference.step(11, 5))).toBeLessThan(1e-4);
      tapped.dispose();
      expect(maxAbsDifference((await stepLogits(model, [[3]], cache))[0], reference.step(3, 6))).toBeLessThan(1e-4);
      // beam search's reorder: two copies of the one row, each continuing like the reference
      cache.selectRows([0, 0]);
      expect(cache.keys[0]!.shape).toEqual([2, 2, 7, 4]);
      const [first, second] = await stepLogits(model, [[6], [6]], cache);
      const expected = reference.step(6, 7);
      expect(maxAbsDifference(first, expected)).toBeLessThan(1e-4);
      expect(maxAbsDifference(second, expected)).toBeLessThan(1e-4);
      cache.dispose();
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });

    test('20 greedy tokens of generate on the one-kernel path are the reference\'s', async () => {
      await useBackend(backend);
      const config = tinyConfig();
      const weights = randomWeights(config, 6);
      const model = LlamaModel.fromWeights(config, weights);
      const reference = new ReferenceLlama(config, weights);
      const ids = [1];
      let logits = reference.step(1, 0);
      for (let step = 0; step < 20; step++) {
        const next = logits.indexOf(Math.max(...logits));
        ids.push(next);
        logits = reference.step(next, ids.length - 1);
      }
      const before = tf.memory().numTensors;
      const { newIds } = await generate(model, [1], { maxNewTokens: 20, temperature: 0 });
      expect(newIds).toEqual(ids.slice(1));
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  });
}
