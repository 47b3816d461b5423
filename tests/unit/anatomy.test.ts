// The logit lens and the knock-outs (src/llama/anatomy.ts) on the shipped model, against the float64 reference.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { knockOutInPlace, knockOutPlan, knockOutWeights, lensStages, logitLens } from '../../src/llama/anatomy';
import { LlamaModel } from '../../src/llama/model';
import { matVec, ReferenceLlama, referenceForward, referenceWeights, rmsNorm } from '../../src/llama/reference';
import type { WeightMap } from '../../src/llama/weights';
import { useBackend } from './helpers/backends';
import { loadChapterModel, type ChapterModel } from './helpers/chapter-model';

let shipped: ChapterModel;
let weights: WeightMap;
let ids: number[];

beforeAll(async () => {
  await useBackend('cpu');
  shipped = loadChapterModel();
  weights = shipped.model.toWeightMap();
  ids = shipped.tokenizer.encode('Once upon a time, there was a little girl named Lily. She', { bos: true });
});
afterAll(() => shipped.model.dispose());

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

describe('logitLens', () => {
  test("after the last layer it is the model's own logits", async () => {
    const lens = await logitLens(shipped.model, ids);
    expect(lens.stages).toEqual(lensStages(4));
    expect(lens.logits).toHaveLength(5);
    expect(maxDifference(lens.logits[4], lens.modelLogits)).toBeLessThan(1e-4);
  });

  test('every stage equals final norm and lm_head on the float64 reference residual, at a middle position', async () => {
    const position = 5;
    const lens = await logitLens(shipped.model, ids, position);
    const config = shipped.model.config;
    const reference = new ReferenceLlama(config, weights);
    for (let i = 0; i <= position; i++) reference.step(ids[i], i);
    const w = referenceWeights(config, weights);
    lens.stages.forEach((stage, s) => {
      const residual = reference.lastTaps.get(stage)!;
      const expected = matVec(w.lmHead, rmsNorm(residual, w.finalNorm, config.rms_norm_eps), config.vocab_size);
      expect(maxDifference(lens.logits[s], expected)).toBeLessThan(1e-3);
      expect(lens.residualNorms[s]).toBeCloseTo(Math.hypot(...residual), 3);
    });
    // the embedding's guess is not the model's: the stages differ
    expect(maxDifference(lens.logits[0], lens.logits[4])).toBeGreaterThan(1);
  });

  test('refuses a position outside the prompt and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    await expect(logitLens(shipped.model, ids, ids.length)).rejects.toThrow(`position ${ids.length} is outside the prompt's ${ids.length} tokens`);
    await logitLens(shipped.model, ids, 0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('knock-outs', () => {
  test('a head is its o_proj columns: layer 3 head 2 zeroes columns 64..96 of every row', () => {
    expect(knockOutPlan(shipped.model.config, { kind: 'head', layer: 3, head: 2 })).toEqual({ name: 'model.layers.3.self_attn.o_proj.weight', columns: [64, 96] });
    const { weights: out, zeroedValues } = knockOutWeights(shipped.model.config, weights, { kind: 'head', layer: 3, head: 2 });
    expect(zeroedValues).toBe(128 * 32);
    const o = out.get('model.layers.3.self_attn.o_proj.weight')!.data;
    expect(o[5 * 128 + 64]).toBe(0);
    expect(o[5 * 128 + 63]).toBe(weights.get('model.layers.3.self_attn.o_proj.weight')!.data[5 * 128 + 63]);
    expect(weights.get('model.layers.3.self_attn.o_proj.weight')!.data[5 * 128 + 64]).not.toBe(0); // the original is untouched
  });

  test("zeroing a head's o_proj columns removes exactly that head's term from the attention output (reference)", () => {
    const config = shipped.model.config;
    const { weights: out } = knockOutWeights(config, weights, { kind: 'head', layer: 0, head: 1 });
    const full = new ReferenceLlama(config, weights);
    const knocked = new ReferenceLlama(config, out);
    full.step(ids[0], 0);
    knocked.step(ids[0], 0);
    // at layer 0 the input is the same embedding, so the difference is W_o[:, 32..64] · head 1's output
    const heads = full.lastTaps.get('layers.0.attn.out')!;
    const headOut = (() => {
      // o_proj of a vector that holds only head 1's output
      const attnV = full.lastTaps.get('layers.0.attn.v')!; // one token: every head's output is its KV head's value
      const slice = new Float64Array(128);
      slice.set(attnV.subarray(0, 32), 32); // head 1 reads KV head 0 (2 query heads per KV head)
      return matVec(Float64Array.from(weights.get('model.layers.0.self_attn.o_proj.weight')!.data), slice, 128);
    })();
    const knockedOut = knocked.lastTaps.get('layers.0.attn.out')!;
    expect(maxDifference(heads.map((v, i) => v - headOut[i]), knockedOut)).toBeLessThan(1e-9);
  });

  test('knocked out in place, a trainable copy computes what the reference computes on the knocked-out weights', async () => {
    const config = shipped.model.config;
    for (const target of [{ kind: 'mlp', layer: 1 }, { kind: 'head', layer: 3, head: 0 }] as const) {
      const copy = LlamaModel.fromWeights(config, weights, { trainable: true });
      const before = tf.memory().numTensors;
      knockOutInPlace(copy, target);
      expect(tf.memory().numTensors).toBe(before);
      const { logits } = await copy.run([ids.slice(0, 8)]);
      const expected = referenceForward(config, knockOutWeights(config, weights, target).weights, ids.slice(0, 8)).logits;
      const original = referenceForward(config, weights, ids.slice(0, 8)).logits;
      expect(maxDifference(logits.data.subarray(7 * 1735), expected[7])).toBeLessThan(1e-3);
      expect(maxDifference(expected[7], original[7])).toBeGreaterThan(0.1);
      copy.dispose();
    }
  });

  test('without the final norm weight every logit is 0: the next token is uniform, loss ln 1735', async () => {
    const copy = LlamaModel.fromWeights(shipped.model.config, weights, { trainable: true });
    expect(knockOutInPlace(copy, { kind: 'final_norm' })).toBe(128);
    const { logits } = await copy.run([ids.slice(0, 3)]);
    expect(Math.max(...logits.data.map(Math.abs))).toBe(0);
    copy.dispose();
  });

  test('refuses a frozen model, a layer or head the model lacks', () => {
    expect(() => knockOutInPlace(shipped.model, { kind: 'mlp', layer: 0 })).toThrow('this model is frozen');
    expect(() => knockOutPlan(shipped.model.config, { kind: 'mlp', layer: 4 })).toThrow('layer 4 is outside the model\'s layers 0 to 3');
    expect(() => knockOutPlan(shipped.model.config, { kind: 'head', layer: 0, head: 4 })).toThrow('head 4 is outside the model\'s heads 0 to 3');
  });
});

describe('the ops (as the worker runs them)', () => {
  test('knockOut forks a copy with the piece zeroed, replaces it on a second call, leaves the shipped model alone', async () => {
    const { Sessions } = await import('../../src/runtime/sessions');
    const { knockOutSession, logitLensOf } = await import('../../src/runtime/anatomyOps');
    const sessions = new Sessions(() => shipped.model);
    const before = tf.memory().numTensors;
    expect(knockOutSession(sessions, { name: 'ko', target: { kind: 'mlp', layer: 0 } })).toEqual({ name: 'ko', tensor: 'model.layers.0.mlp.down_proj.weight', zeroedValues: 128 * 352 });
    expect(knockOutSession(sessions, { name: 'ko', target: { kind: 'final_norm' } }).tensor).toBe('model.norm.weight');
    expect(sessions.names()).toEqual(['default', 'ko']);
    const lens = await logitLensOf(sessions.model('ko'), ids.slice(0, 4));
    expect(Math.max(...lens.modelLogits.map(Math.abs))).toBe(0);
    const own = await logitLensOf(shipped.model, ids.slice(0, 4));
    expect(Math.max(...own.modelLogits.map(Math.abs))).toBeGreaterThan(1);
    expect(() => knockOutSession(sessions, { name: 'default', target: { kind: 'final_norm' } })).toThrow('name the knocked-out copy something else');
    expect(() => knockOutSession(sessions, { name: 'ko2', target: { kind: 'attention', layer: 9 } })).toThrow('layer 9 is outside');
    expect(sessions.names()).toEqual(['default', 'ko']);
    sessions.drop('ko');
    expect(tf.memory().numTensors).toBe(before);
  });
});
