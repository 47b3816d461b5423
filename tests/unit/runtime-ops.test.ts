// The runtime's LoRA and inspection ops (src/runtime/sessions.ts, inspectOps.ts) in Node on the
// wasm backend, called exactly as worker.ts calls them: LoRA on a forked session against the
// float64 reference, saving and reloading an adapter, the refusals; the KV cache against the
// forward's taps; the FLOP counts against a count made from the weight shapes. The same ops go
// through the real worker once in tests/e2e/runtime.test.ts.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectedWeightShapes } from '../../src/llama/weights';
import { LlamaModel } from '../../src/llama/model';
import { readSafetensors } from '../../src/llama/safetensors';
import { referenceForward } from '../../src/llama/reference';
import type { TokenizedExample } from '../../src/llama/train';
import { kvCacheOf, MATMUL_MAX_VALUES, profileDecodeStepOf, timeMatmulOf } from '../../src/runtime/inspectOps';
import type { TrainArgs, TrainProgress } from '../../src/runtime/messages';
import { Sessions, type StepContext } from '../../src/runtime/sessions';
import { useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights } from './helpers/random-weights';

const config = tinyConfig(); // hidden 16, 2 layers, 4 heads of 4, 2 KV heads, intermediate 24, vocab 32
const weights = randomWeights(config, 11);
const PROMPT = [1, 7, 19, 4, 26, 3];
const LORA = { r: 2, lora_alpha: 4, target_modules: ['q_proj', 'v_proj', 'down_proj'] as ('q_proj' | 'v_proj' | 'down_proj')[] };

let shipped: LlamaModel;
let sessions: Sessions;

beforeAll(async () => {
  await useBackend('wasm');
  shipped = LlamaModel.fromWeights(config, weights);
  sessions = new Sessions(() => shipped);
});
afterAll(async () => {
  sessions.dropAll();
  shipped.dispose();
  await useBackend('cpu');
});

/** A worker context that never cancels; progress is recorded. */
function context(progress: TrainProgress[] = []): StepContext<TrainProgress> {
  return { progress: (value) => progress.push(value), cancelled: () => false, step: async () => true, cancelReadAfter: () => undefined };
}

function trainArgs(session: string, steps: number): TrainArgs {
  const examples: TokenizedExample[] = Array.from({ length: 12 }, (_, i) => ({ ids: [1, ...Array.from({ length: 9 }, (_, j) => 3 + ((i + j * 5) % 29)), 2] }));
  return {
    session,
    examples,
    batchSize: 2,
    seqLength: 8,
    seed: 3,
    steps,
    schedule: { peakLearningRate: 0.05, warmupSteps: 1, totalSteps: steps, finalFraction: 0.1 },
    maxGradNorm: 1,
  };
}

async function logitsOf(session?: string): Promise<Float32Array> {
  return (await sessions.model(session).run([PROMPT])).logits.data;
}

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i] - b[i]));
  return most;
}

describe('LoRA ops on a session', () => {
  test('attachLora + trainSteps train only the adapter; the adapted logits equal W x + (alpha/r) B A x in float64; save, load and detach', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const base = await logitsOf();
    sessions.fork('tuned');
    const summary = sessions.attachLora({ session: 'tuned', config: LORA, seed: 4 });
    // per layer: q (2x16 + 16x2), v (2x16 + 8x2), down (2x24 + 16x2)
    expect(summary).toEqual({ config: LORA, parameters: 2 * (64 + 48 + 80), trainable: true });
    expect(largestDifference(await logitsOf('tuned'), base)).toBeLessThan(1e-5); // B = 0 at first

    const progress: TrainProgress[] = [];
    const result = await sessions.trainSteps(trainArgs('tuned', 3), context(progress));
    expect(result).toMatchObject({ stepsRun: 3, stepsDone: 3, stopReason: 'steps' });
    expect(progress.map((p) => p.step)).toEqual([0, 1, 2]);

    // the base weights of the session did not move; the shipped model's logits are as before
    const tunedModel = sessions.model('tuned');
    for (const [name, { data }] of tunedModel.toWeightMap()) expect(largestDifference(data, weights.get(name)!.data), name).toBe(0);
    expect(await logitsOf()).toEqual(base);

    // the adapted logits against the float64 reference, which adds (alpha/r) B (A x) projection by projection
    const files = sessions.saveAdapter({ session: 'tuned' });
    const adapterWeights = readSafetensors(files['adapter_model.safetensors']);
    expect([...adapterWeights.keys()]).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight');
    expect(JSON.parse(files['adapter_config.json'])).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: LORA.target_modules });
    const tuned = await logitsOf('tuned');
    const reference = referenceForward(config, weights, PROMPT, { lora: { config: LORA, weights: adapterWeights } }).logits;
    expect(largestDifference(tuned, reference.flatMap((row) => Array.from(row)))).toBeLessThan(1e-4);
    expect(largestDifference(tuned, base)).toBeGreaterThan(1e-2); // training changed the adapted model

    // reloaded on a fresh fork: the same logits; a fork of the adapted session merges B A into W
    sessions.fork('reloaded');
    expect(sessions.loadAdapter({ session: 'reloaded', files })).toEqual(summary);
    expect(largestDifference(await logitsOf('reloaded'), tuned)).toBeLessThan(1e-5);
    sessions.fork('merged', 'tuned');
    expect(largestDifference(await logitsOf('merged'), tuned)).toBeLessThan(1e-4);

    // detached: the base logits again, and the next trainSteps trains every weight from step 0
    expect(sessions.detachLora({ session: 'tuned' })).toBeNull();
    expect(largestDifference(await logitsOf('tuned'), base)).toBeLessThan(1e-5);
    expect((await sessions.trainSteps(trainArgs('tuned', 1), context())).stepsDone).toBe(1);
    expect(largestDifference(sessions.model('tuned').toWeightMap().get('model.norm.weight')!.data, weights.get('model.norm.weight')!.data)).toBeGreaterThan(0);

    for (const name of ['tuned', 'reloaded', 'merged']) sessions.drop(name);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  test('refusals: the frozen default session, a second adapter, a bad config, no adapter, an adapter for another shape', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const refusal = (action: () => unknown) => {
      try {
        action();
      } catch (error) {
        return (error as Error).message;
      }
      return 'ran';
    };
    sessions.fork('s');
    expect(refusal(() => sessions.attachLora({ session: 'default', config: LORA, seed: 1 }))).toBe(
      'The default session is the shipped model, which is frozen: fork it to attach an adapter.',
    );
    expect(refusal(() => sessions.attachLora({ session: 's', config: { ...LORA, r: 0 }, seed: 1 }))).toBe(
      'LoraConfig.r: received 0, expected a positive integer',
    );
    expect(refusal(() => sessions.attachLora({ session: 's', config: { ...LORA, target_modules: ['wq' as 'q_proj'] }, seed: 1 }))).toBe(
      'LoraConfig.target_modules: received ["wq"], expected a non-empty list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj',
    );
    expect(refusal(() => sessions.saveAdapter({ session: 's' }))).toBe('Session "s" has no LoRA adapter (attach one with attachLora or loadAdapter).');
    expect(refusal(() => sessions.detachLora({ session: 'nope' }))).toBe('No session named "nope" (sessions: default, s).');
    sessions.attachLora({ session: 's', config: LORA, seed: 1 });
    expect(refusal(() => sessions.attachLora({ session: 's', config: LORA, seed: 2 }))).toBe('Session "s" has a LoRA adapter already: detach it first.');
    const files = sessions.saveAdapter({ session: 's' });
    sessions.drop('s');

    // a model with hidden_size 8 (2 heads of 4): the same adapter's q_proj A is [2, 16], it needs [2, 8]
    const narrowConfig = tinyConfig({ hidden_size: 8, num_attention_heads: 2, num_key_value_heads: 2 });
    const narrow = LlamaModel.fromWeights(narrowConfig, randomWeights(narrowConfig, 2));
    const other = new Sessions(() => narrow);
    other.fork('n');
    expect(refusal(() => other.loadAdapter({ session: 'n', files }))).toBe(
      'This adapter does not fit session "n": LoRA adapter: tensor base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight has shape [2,16], the model and r = 2 need [2,8]',
    );
    expect(refusal(() => other.loadAdapter({ session: 'n', files: { ...files, 'adapter_config.json': '{"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "use_dora": true}' } }))).toBe(
      'LoraConfig.use_dora: received true, expected false (DoRA is not supported)',
    );
    expect(refusal(() => other.loadAdapter({ session: 'n', files: { ...files, 'adapter_config.json': '{r: 2' } }))).toMatch(/^adapter_config\.json is not JSON: /);
    other.dropAll();
    narrow.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

describe('inspection ops', () => {
  test('kvCache: shape per layer, bytes and one head equal the keys after RoPE and the values of a forward without cache', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const info = await kvCacheOf(shipped, PROMPT, { layer: 1, head: 1 });
    const kvHeads = 2;
    const d = 4;
    expect(info.length).toBe(6);
    expect(info.dtype).toBe('float32');
    expect(info.layers.map((layer) => layer.keysShape)).toEqual([[1, kvHeads, 6, d], [1, kvHeads, 6, d]]);
    expect(info.layers.map((layer) => layer.bytes)).toEqual([2 * kvHeads * 6 * d * 4, 2 * kvHeads * 6 * d * 4]);
    expect(info.totalBytes).toBe(768);

    const { taps } = await shipped.run([PROMPT], { taps: ['layers.1.attn.k_rotated', 'layers.1.attn.v'] });
    const headRows = (tap: { data: Float32Array }) => Array.from({ length: 6 }, (_, t) => Array.from(tap.data.subarray((1 * 6 + t) * d, (1 * 6 + t + 1) * d)));
    expect(largestDifference(info.contents!.keys.flat(), headRows(taps['layers.1.attn.k_rotated']).flat())).toBeLessThan(1e-5);
    expect(largestDifference(info.contents!.values.flat(), headRows(taps['layers.1.attn.v']).flat())).toBeLessThan(1e-5);
    expect(info.contents!.keys.flat().some((value) => value !== 0)).toBe(true);

    await expect(kvCacheOf(shipped, PROMPT, { layer: 0, head: 2 })).rejects.toThrow('kvCacheInfo: head 2 is outside [0, 2)');
    await expect(kvCacheOf(shipped, [1, 40])).rejects.toThrow('Token id 40 (row 0) is outside the vocabulary [0, 32)');
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  test('timeMatmul carries 2 m k n FLOPs and refuses a product too big for the worker', async () => {
    const timing = await timeMatmulOf({ m: 3, k: 5, n: 7, reps: 2 });
    expect(timing).toMatchObject({ m: 3, k: 5, n: 7, flops: 210, reps: 2, backend: 'wasm' });
    expect(MATMUL_MAX_VALUES).toBe(16_777_216);
    await expect(timeMatmulOf({ m: 4096, k: 4096, n: 4096 })).rejects.toThrow(
      'timeMatmul: [4096, 4096] × [4096, 4096] needs 50,331,648 values; at most 16,777,216 (64 MiB of float32).',
    );
    await expect(timeMatmulOf({ m: 0, k: 5, n: 7 })).rejects.toThrow('timeMatmul: m must be a positive integer. Received 0.');
  });

  test('profileDecodeStep: one kernel (GlassLlamaDecodeStep), and FLOPs = 2 x every matrix weight read + 4 x heads x head_dim x keys per layer', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const profile = await profileDecodeStepOf(shipped, PROMPT);
    expect(profile.kernelCount).toBe(1);
    expect(profile.cachedTokens).toBe(PROMPT.length + 1); // the prompt and the warm-up step
    // independent count: one multiply-add per weight of every matrix the step multiplies by
    // (every 2-D weight but the embedding table, which is only read by row)
    const matrixWeights = [...expectedWeightShapes(config)]
      .filter(([name, shape]) => shape.length === 2 && name !== 'model.embed_tokens.weight')
      .reduce((sum, [, shape]) => sum + shape[0] * shape[1], 0);
    const keys = PROMPT.length + 2;
    const attention = 2 * 4 * 2 * 2 * 4 * keys; // layers x heads x (scores + weighted values) x 2 x head_dim x keys
    expect(profile.flops).toEqual({
      projections: 2 * matrixWeights - 2 * 16 * 32,
      attention,
      lmHead: 2 * 16 * 32,
      total: 2 * matrixWeights + attention,
    });
    expect(profile.flops.total).toBe(2 * (2 * (16 * 32 + 16 * 16 + 16 * 24 * 3)) + 2 * 16 * 32 + attention);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
