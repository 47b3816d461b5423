// The logit lens and the knock-outs (src/llama/anatomy.ts) on the shipped model, against the float64 reference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { knockOutInPlace, knockOutPlan, knockOutWeights, lensStages, logitLens, type KnockOut } from '../../src/llama/anatomy';
import { softmax, tokenLogProbs } from '../../src/llama/math';
import { LlamaModel } from '../../src/llama/model';
import { matVec, ReferenceLlama, referenceForward, referenceWeights, rmsNorm } from '../../src/llama/reference';
import type { WeightMap } from '../../src/llama/weights';
import { useBackend } from './helpers/backends';
import { loadChapterModel, SHIPPED_MODEL_DIR, type ChapterModel } from './helpers/chapter-model';

let shipped: ChapterModel;
let weights: WeightMap;
let ids: number[];

beforeAll(async () => {
  await useBackend('wasm');
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

describe("the chapter's claims about our model", () => {
  test('logit lens on the default prompt: "next" from the embedding, "idi" after layers 0-2, "had" after the last; the stream grows from under 1 to over 40', async () => {
    const prompt = shipped.tokenizer.encode('Once upon a time, there was a little girl named Lily. She', { bos: true });
    expect(prompt).toHaveLength(16);
    const lens = await logitLens(shipped.model, prompt);
    const top = lens.logits.map((logits) => shipped.tokenizer.idToPiece(logits.indexOf(Math.max(...logits))));
    expect(top).toEqual(['▁next', 'idi', 'idi', 'idi', '▁had']);
    expect(lens.residualNorms[0]).toBeCloseTo(0.885, 2);
    expect(lens.residualNorms[1]).toBeCloseTo(24.5, 0);
    expect(lens.residualNorms[4]).toBeCloseTo(47.4, 0);
    const last = softmax(lens.modelLogits);
    expect(last[lens.modelLogits.indexOf(Math.max(...lens.modelLogits))]).toBeCloseTo(0.997, 3);
  });

  test('knock-outs on the 16 validation stories: shipped 0.297; layer 0 MLP 7.99 (worse than uniform, ln 1735 = 7.459); attention of layer 0 2.19; head 2 of layer 3 0.360', async () => {
    const texts: string[] = JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, '..', '..', 'data', 'validation-sample.json'), 'utf8')).texts;
    expect(texts).toHaveLength(16);
    const rows = texts.map((text) => shipped.tokenizer.encode(text, { bos: true }).slice(0, 256));
    const width = Math.max(...rows.map((row) => row.length));
    const padded = rows.map((row) => [...row, ...new Array<number>(width - row.length).fill(0)]);
    const mask = rows.map((row) => [...new Array<number>(row.length).fill(1), ...new Array<number>(width - row.length).fill(0)]);
    /** Mean next-token loss over every real token, as the runtime's loss op computes it (right padding, masked). */
    const validationLoss = async (model: LlamaModel) => {
      const { logits } = await model.run(padded, { attentionMask: mask });
      let sum = 0;
      let count = 0;
      rows.forEach((row, r) => {
        const logProbs = tokenLogProbs(logits.data.subarray(r * width * 1735, (r + 1) * width * 1735), 1735, row);
        for (const value of logProbs) (sum -= value), count++;
      });
      return sum / count;
    };
    expect(await validationLoss(shipped.model)).toBeCloseTo(0.297, 3);
    const cases: [KnockOut, number][] = [
      [{ kind: 'mlp', layer: 0 }, 7.993],
      [{ kind: 'attention', layer: 0 }, 2.191],
      [{ kind: 'head', layer: 3, head: 2 }, 0.3596],
    ];
    expect(Math.log(1735)).toBeCloseTo(7.459, 3);
    expect(cases[0][1]).toBeGreaterThan(Math.log(1735));
    for (const [target, expected] of cases) {
      const copy = LlamaModel.fromWeights(shipped.model.config, knockOutWeights(shipped.model.config, weights, target).weights);
      expect(await validationLoss(copy), JSON.stringify(target)).toBeCloseTo(expected, 2);
      copy.dispose();
    }
  }, 300_000);
});
