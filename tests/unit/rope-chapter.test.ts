// Every identity the RoPE chapter states (src/chapters/rope.ts), in float64 and on the engine.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SHIPPED_ATTENTION, tapRow, tokenLosses } from '../../src/chapters/attention';
import {
  applyRope,
  dynamicNtkBase,
  interpolatedPosition,
  meanOver,
  movingAverage,
  ntkAwareBase,
  pairsOf,
  ropeFacts,
  ropeFrequencies,
  ropeScore,
  ropeScoreFromOffset,
  slidingWindowMask,
  STRETCH_FACTS,
  STRETCH_PROMPT,
} from '../../src/chapters/rope';
import { parseConfig } from '../../src/llama/config';
import { LlamaModel } from '../../src/llama/model';
import { createRandom, randomNormal } from '../../src/llama/rng';
import { permuteInterleavedToRotateHalf, ropeBase } from '../../src/llama/rope';
import { layerTap } from '../../src/llama/taps';
import { layerWeightNames } from '../../src/llama/weights';
import { useBackend } from './helpers/backends';
import { loadChapterModel, SHIPPED_MODEL_DIR, type ChapterModel } from './helpers/chapter-model';
import { readModelFiles } from '../../scripts/load-model';
import { tinyConfig } from './helpers/configs';
import { randomWeights } from './helpers/random-weights';

const random = createRandom(11);
const gaussianVector = (d: number) => Array.from({ length: d }, () => randomNormal(random));

describe('the rotation', () => {
  test('theta_i = base^(-2i/d): pair 0 turns 1 radian per position, the last pair base^(-(d-2)/d)', () => {
    const thetas = ropeFrequencies(32, 10000);
    expect(thetas).toHaveLength(16);
    expect(thetas[0]).toBe(1);
    expect(thetas[15]).toBeCloseTo(10000 ** (-30 / 32), 15);
    for (let i = 1; i < 16; i++) expect(thetas[i]).toBeLessThan(thetas[i - 1]);
  });

  test('the numbers the chapter states for head_dim 32, base 10000, context 256', () => {
    const facts = ropeFacts(SHIPPED_ATTENTION.headDim, 10000, SHIPPED_ATTENTION.context);
    expect(facts.pairs).toBe(16);
    expect(facts.fastestPeriod).toBeCloseTo(6.283, 3);
    expect(Math.round(facts.slowestPeriod)).toBe(35333);
    expect(facts.slowestTurnOverContextDegrees).toBeCloseTo(2.61, 2);
  });

  test('a rotation keeps each pair its length', () => {
    const q = gaussianVector(16);
    const turned = pairsOf(applyRope(q, 37, 10000), 'rotate_half');
    pairsOf(q, 'rotate_half').forEach(([a, b], i) => expect(Math.hypot(...turned[i])).toBeCloseTo(Math.hypot(a, b), 12));
  });
});

describe('q_m . k_n depends only on m - n', () => {
  test('shifting both positions leaves the score unchanged (within 1e-5), in both layouts', () => {
    for (const layout of ['rotate_half', 'interleaved'] as const) {
      const q = gaussianVector(32);
      const k = gaussianVector(32);
      for (const [m, n] of [[5, 2], [2, 5], [0, 0], [100, 37]]) {
        const score = ropeScore(q, k, m, n, 10000, layout);
        for (const shift of [1, 17, 250, 4000]) expect(Math.abs(ropeScore(q, k, m + shift, n + shift, 10000, layout) - score)).toBeLessThan(1e-5);
        // ... and equals the derivation's closed form in the offset alone
        expect(ropeScoreFromOffset(q, k, m - n, 10000, layout)).toBeCloseTo(score, 10);
      }
    }
  });

  test('but the score does change with the offset', () => {
    const q = gaussianVector(32);
    const k = gaussianVector(32);
    expect(Math.abs(ropeScore(q, k, 10, 9, 10000) - ropeScore(q, k, 10, 2, 10000))).toBeGreaterThan(1e-3);
  });
});

describe('the two layouts', () => {
  test('interleaved on x equals rotate_half on x with coordinates 2i -> i, 2i+1 -> i + d/2', () => {
    const x = gaussianVector(8);
    const permuted = Array.from(permuteInterleavedToRotateHalf(Float32Array.from(x), 1, 8));
    const interleaved = applyRope(Float32Array.from(x), 9, 10000, 'interleaved');
    const rotateHalf = applyRope(permuted, 9, 10000, 'rotate_half');
    const reordered = Array.from(permuteInterleavedToRotateHalf(Float32Array.from(interleaved), 1, 8));
    reordered.forEach((value, c) => expect(rotateHalf[c]).toBeCloseTo(value, 6));
  });

  test('the engine gives the same scores for an interleaved model and its permuted rotate_half twin', async () => {
    await useBackend('cpu');
    const interleavedConfig = tinyConfig({ rope_layout: 'interleaved' });
    const weights = randomWeights(interleavedConfig, 5);
    const d = 4;
    const permuted = new Map(weights);
    for (let layer = 0; layer < interleavedConfig.num_hidden_layers; layer++) {
      const names = layerWeightNames(layer);
      for (const [name, heads] of [[names.q, interleavedConfig.num_attention_heads], [names.k, interleavedConfig.num_key_value_heads]] as const) {
        const { shape, data } = weights.get(name)!;
        permuted.set(name, { shape, data: permuteInterleavedToRotateHalf(data, heads, d) });
      }
    }
    const a = LlamaModel.fromWeights(interleavedConfig, weights);
    const b = LlamaModel.fromWeights(tinyConfig({ rope_layout: 'rotate_half' }), permuted);
    const taps = [layerTap(1, 'attn.scores')];
    const [ra, rb] = [await a.run([[1, 5, 9, 3, 7]], { taps }), await b.run([[1, 5, 9, 3, 7]], { taps })];
    a.dispose();
    b.dispose();
    const sa = Array.from(ra.taps[taps[0]].data).filter(Number.isFinite);
    const sb = Array.from(rb.taps[taps[0]].data).filter(Number.isFinite);
    expect(sa).toHaveLength(4 * 15); // 4 heads, 1 + 2 + 3 + 4 + 5 visible keys
    sa.forEach((value, i) => expect(sb[i]).toBeCloseTo(value, 5));
  });
});

describe('context extension', () => {
  test('position interpolation reads position 2m as m for factor 2', () => {
    expect(interpolatedPosition(512, 2)).toBe(256);
  });
  test('NTK-aware base and the dynamic rule match the engine', () => {
    expect(ntkAwareBase(10000, 2, 32)).toBeCloseTo(10000 * 2 ** (32 / 30), 6);
    const config = tinyConfig({ hidden_size: 128, num_attention_heads: 4, rope_theta: 10000, max_position_embeddings: 256, rope_scaling: { rope_type: 'dynamic', factor: 2 } });
    for (const length of [100, 256, 300, 512]) expect(dynamicNtkBase(10000, 2, length, 256, 32)).toBeCloseTo(ropeBase(config, length), 4);
    // at twice the context the dynamic base is the NTK-aware base for factor 3
    expect(dynamicNtkBase(10000, 2, 512, 256, 32)).toBeCloseTo(ntkAwareBase(10000, 3, 32), 6);
  });
  test('moving average and mean over a range', () => {
    expect(movingAverage([1, 2, 3, 4], 2)).toEqual([1, 1.5, 2.5, 3.5]);
    expect(meanOver([1, 2, 3, 4], 1, 3)).toBe(2.5);
  });
});

describe('the widgets recompute the engine', () => {
  let chapter: ChapterModel;
  beforeAll(async () => {
    await useBackend('cpu');
    chapter = loadChapterModel();
  });
  afterAll(() => chapter?.model.dispose());

  test('rope(q tap, m, base) equals the q_rotated tap (the rotating-pairs widget)', async () => {
    const { model, tokenizer } = chapter;
    const ids = tokenizer.encode('The cat sat on the mat.', { bos: true });
    const taps = [layerTap(0, 'attn.q'), layerTap(0, 'attn.q_rotated')];
    const { taps: out } = await model.run([ids], { taps });
    const position = ids.length - 1;
    for (let head = 0; head < model.config.num_attention_heads; head++) {
      const mine = applyRope(tapRow(out[taps[0]], head, position), position, model.config.rope_theta, model.config.rope_layout);
      const engine = tapRow(out[taps[1]], head, position);
      mine.forEach((value, c) => expect(engine[c]).toBeCloseTo(value, 4));
    }
  });

  test('the engine with shifted position ids gives the same scores in every layer (the relative-position widget)', async () => {
    const { model, tokenizer } = chapter;
    const ids = tokenizer.encode('cat sat', { bos: false });
    const layers = model.config.num_hidden_layers;
    const taps = Array.from({ length: layers }, (_, layer) => layerTap(layer, 'attn.scores'));
    const near = await model.run([ids, ids], { taps, positionIds: [ids.map((_, i) => i), ids.map((_, i) => 40 + i)] });
    for (const tap of taps) {
      const { shape, data } = near.taps[tap];
      const rowSize = data.length / shape[0];
      const finite = (row: number) => Array.from(data.subarray(row * rowSize, (row + 1) * rowSize)).filter(Number.isFinite);
      const [atZero, atForty] = [finite(0), finite(1)];
      expect(atZero.length).toBeGreaterThan(0);
      atZero.forEach((value, i) => expect(Math.abs(atForty[i] - value)).toBeLessThan(1e-4));
    }
  });
});

describe('the stretch figure, as the chapter reads it', () => {
  test('slidingWindowMask hides keys `window` or more positions back, and the future', () => {
    expect(slidingWindowMask(4, 2)).toEqual([
      [1, 0, 0, 0],
      [1, 1, 0, 0],
      [0, 1, 1, 0],
      [0, 0, 1, 1],
    ]);
  });

  test('on the default text the loss past 256 comes from distances of 256 or more; neither stretch helps without fine-tuning', async () => {
    await useBackend('wasm');
    const { config, weights, tokenizer } = readModelFiles(SHIPPED_MODEL_DIR);
    const ids = tokenizer!.encode(STRETCH_PROMPT, { bos: true });
    const context = config.max_position_embeddings;
    const facts = STRETCH_FACTS;
    expect(ids.length).toBe(facts.tokens);
    const storyLengths = STRETCH_PROMPT.split('\n').map((story) => tokenizer!.encode(story, { bos: true }).length);
    expect(Math.max(...storyLengths)).toBe(facts.longestStory);
    expect(facts.longestStory).toBeLessThan(context); // a window of the context loses nothing a story needs
    const round = (x: number) => Math.round(x * 1000) / 1000;
    const measure = async (ropeScaling: { rope_type: 'linear' | 'dynamic'; factor: number } | null, queryKeyMask?: number[][]) => {
      const model = LlamaModel.fromWeights(parseConfig({ ...config, rope_scaling: ropeScaling }), weights);
      try {
        const losses = tokenLosses((await model.run([ids], queryKeyMask ? { queryKeyMask } : {})).logits, ids);
        return { inside: round(meanOver(losses, 0, context)), past: round(meanOver(losses, context, losses.length)) };
      } finally {
        model.dispose();
      }
    };
    expect(await measure(null)).toEqual(facts.asTrained);
    expect(await measure(null, slidingWindowMask(ids.length, context))).toEqual(facts.window);
    expect(await measure({ rope_type: 'linear', factor: facts.factor })).toEqual(facts.linear);
    expect(await measure({ rope_type: 'dynamic', factor: facts.factor })).toEqual(facts.dynamic);
  }, 300_000);
});
