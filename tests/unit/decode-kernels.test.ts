// The fused decode kernels (src/llama/decodeKernels.ts) against the float64 reference, step by
// step: a frozen model's decode steps take them, a trainable model's take the tfjs ops, and both
// must give the reference's logits.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import type { LlamaConfig } from '../../src/llama/config';
import { DECODE_ATTENTION, hasDecodeKernels } from '../../src/llama/decodeKernels';
import { stepLogits } from '../../src/llama/generate';
import { profileDecodeStep } from '../../src/llama/inspect';
import { KVCache } from '../../src/llama/kvcache';
import { LlamaModel } from '../../src/llama/model';
import { ReferenceLlama } from '../../src/llama/reference';
import { TEST_BACKENDS, useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights } from './helpers/random-weights';

const PROMPT = [1, 7, 3];
const FED = [12, 30, 5, 19, 2, 8];

/** Logits of the prompt's last position, then of each fed token, from one model with a cache. */
async function decodeLogits(model: LlamaModel): Promise<Float32Array[]> {
  const cache = new KVCache(model.config.num_hidden_layers);
  try {
    const rows = [(await stepLogits(model, [PROMPT], cache))[0]];
    for (const token of FED) rows.push((await stepLogits(model, [[token]], cache))[0]);
    return rows;
  } finally {
    cache.dispose();
  }
}

function referenceLogits(config: LlamaConfig, seed: number): Float64Array[] {
  const reference = new ReferenceLlama(config, randomWeights(config, seed));
  const rows = PROMPT.map((token, position) => reference.step(token, position));
  return [rows.at(-1)!, ...FED.map((token, i) => reference.step(token, PROMPT.length + i))];
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const CASES: [string, LlamaConfig][] = [
  ['silu, GQA (4 heads, 2 KV heads), rotate_half', tinyConfig()],
  ['silu, interleaved RoPE, 4 KV heads', tinyConfig({ rope_layout: 'interleaved', num_key_value_heads: 4 })],
  ['gelu (the MLP keeps its ops)', tinyConfig({ hidden_act: 'gelu' })],
];

for (const backend of TEST_BACKENDS) {
  describe(`fused decode kernels on ${backend}`, () => {
    test('are registered on the wasm and cpu backends', async () => {
      await useBackend(backend);
      expect(hasDecodeKernels()).toBe(true);
      expect(tf.getKernel(DECODE_ATTENTION, backend)?.backendName).toBe(backend);
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
      const attentionKernels = (await profileDecodeStep(frozen, PROMPT)).kernels.find((k) => k.name === DECODE_ATTENTION)?.count;
      expect(attentionKernels).toBe(config.num_hidden_layers);
      expect((await profileDecodeStep(trainable, PROMPT)).kernels.some((k) => k.name === DECODE_ATTENTION)).toBe(false);
      expect(fused).toHaveLength(FED.length + 1);
      for (const [step, row] of expected.entries()) {
        expect(maxAbsDifference(fused[step], row)).toBeLessThan(1e-4);
        expect(maxAbsDifference(unfused[step], row)).toBeLessThan(1e-4);
      }
      frozen.dispose();
      trainable.dispose();
    });
  });
}
