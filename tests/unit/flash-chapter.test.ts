// The FlashAttention chapter: on the shipped model, tiled attention over the real q, k, v taps of
// every layer and head equals the engine's attention (its probabilities times v, and through o_proj
// its attn.out tap); the online softmax of a real row against the two-pass softmax; the memory
// the backward keeps; and the numbers the prose states.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  A100_SRAM_FP16_NUMBERS,
  countInWords,
  FLASH_PROMPT,
  flashTaps,
  headInputs,
  onlineSoftmax,
  PAPER_FIGURES,
  probsTimesValues,
  savedForBackward,
} from '../../src/chapters/flash';
import { flashBlockSizes, flashHbmAccesses, maxAbsDifference, standardAttention, standardHbmAccesses, tiledAttention, totalAccesses } from '../../src/llama/flashAttention';
import exercises from '../../src/exercises/15-flash-attention';
import type { ChoiceExercise, NumericExercise, WidgetExercise } from '../../src/exercises/types';
import { schema as memorySchema, sramNumbers } from '../../components/FlashMemory';
import type { LlamaModel } from '../../src/llama/model';
import { layerTap } from '../../src/llama/taps';
import type { Tokenizer } from '../../src/llama/tokenizer';
import { useBackend } from './helpers/backends';
import { loadChapterModel } from './helpers/chapter-model';

let model: LlamaModel;
let tokenizer: Tokenizer;

beforeAll(async () => {
  await useBackend('cpu');
  ({ model, tokenizer } = loadChapterModel());
});
afterAll(() => model?.dispose());

describe('on the shipped model', () => {
  test('the default prompt is 24 tokens with <s>: in 8 × 8 tiles, 9 tiles of which the causal mask skips 3', () => {
    const n = tokenizer.encode(FLASH_PROMPT, { bos: true }).length;
    expect(n).toBe(24);
    const rows = Array.from({ length: n }, (_, i) => [i % 3, 1]);
    const tiled = tiledAttention(rows, rows, rows, { rowBlock: 8, colBlock: 8 });
    expect([tiled.tiles, tiled.skippedTiles]).toEqual([9, 3]);
  });

  test('every layer and head: tiled float32 attention on the q, k, v taps equals the engine’s P·V within 1e-5, for tiles 1×1, 4×4, 3×5, 7×2 and 24×24', async () => {
    const ids = tokenizer.encode(FLASH_PROMPT, { bos: true });
    const config = model.config;
    const taps = [...Array(config.num_hidden_layers).keys()].flatMap((layer) => [...flashTaps(layer), layerTap(layer, 'attn.out')]);
    const { taps: plain } = await model.run([ids], { taps });
    let largest = 0;
    for (let layer = 0; layer < config.num_hidden_layers; layer++) {
      const heads: number[][][] = [];
      for (let head = 0; head < config.num_attention_heads; head++) {
        const { q, k, v, probs } = headInputs(plain, layer, head, config.num_attention_heads, config.num_key_value_heads);
        const engine = probsTimesValues(probs, v);
        // the float64 reference on the same taps agrees with the engine's softmax too
        expect(maxAbsDifference(standardAttention(q, k, v).output, engine)).toBeLessThan(1e-5);
        for (const [rowBlock, colBlock] of [[1, 1], [4, 4], [3, 5], [7, 2], [24, 24]]) {
          const tiled = tiledAttention(q, k, v, { rowBlock, colBlock });
          largest = Math.max(largest, maxAbsDifference(tiled.output, engine));
        }
        heads.push(tiledAttention(q, k, v, { rowBlock: 4, colBlock: 4 }).output);
      }
      // the heads side by side, times o_proj, give the model's attention output (attn.out)
      const oProj = model.params.get(`model.layers.${layer}.self_attn.o_proj.weight`)!; // [hidden, heads · d]
      const concatenated = tf.tensor2d(ids.map((_, t) => heads.flatMap((head) => head[t])));
      const projected = tf.matMul(concatenated, oProj, false, true);
      const out = plain[layerTap(layer, 'attn.out')];
      const expected = ids.map((_, t) => Array.from(out.data.subarray(t * config.hidden_size, (t + 1) * config.hidden_size)));
      expect(maxAbsDifference(projected.arraySync() as number[][], expected)).toBeLessThan(1e-4);
      tf.dispose([concatenated, projected]);
    }
    expect(largest).toBeLessThan(1e-5);
    expect(largest).toBeGreaterThan(0); // float32 rounding in a different order: not bit for bit
  });

  test('the online softmax of the last token’s row (layer 0, head 0) in chunks of 4 equals the two-pass softmax', async () => {
    const ids = tokenizer.encode(FLASH_PROMPT, { bos: true });
    const { taps } = await model.run([ids], { taps: [layerTap(0, 'attn.scores')] });
    const scores = taps[layerTap(0, 'attn.scores')];
    const n = ids.length;
    const row = Array.from(scores.data.subarray((n - 1) * n, n * n)); // head 0, last query
    const online = onlineSoftmax(row, 4);
    expect(online.chunks.length).toBe(6);
    expect(online.maxDifference).toBeLessThan(1e-15);
    expect(online.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(online.chunks.at(-1)!.runningMax).toBe(Math.max(...row));
  });
});

describe('online softmax', () => {
  test('by hand: [1, 3, 2, 5] in chunks of 2', () => {
    const { chunks, probs, maxDifference } = onlineSoftmax([1, 3, 2, 5], 2);
    // chunk 1: m = 3, ℓ = e^-2 + 1; chunk 2: m = 5, ℓ = (e^-2 + 1)e^-2 + e^-3 + 1
    expect(chunks[0]).toMatchObject({ start: 0, end: 2, chunkMax: 3, runningMax: 3, rescale: 1 });
    expect(chunks[0].runningSum).toBeCloseTo(Math.exp(-2) + 1, 15);
    expect(chunks[1]).toMatchObject({ start: 2, end: 4, chunkMax: 5, runningMax: 5 });
    expect(chunks[1].rescale).toBeCloseTo(Math.exp(-2), 15);
    expect(chunks[1].runningSum).toBeCloseTo((Math.exp(-2) + 1) * Math.exp(-2) + Math.exp(-3) + 1, 15);
    const total = Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(5);
    expect(probs[3]).toBeCloseTo(Math.exp(5) / total, 15);
    expect(maxDifference).toBeLessThan(1e-15);
  });

  test('masked scores add nothing; scores past 88.7 overflow the naive float32 sum but not the online one', () => {
    expect(onlineSoftmax([0, -Infinity], 1).probs).toEqual([1, 0]);
    const large = onlineSoftmax([90, 89, 80], 2);
    expect(large.naiveFloat32Sum).toBe(Infinity);
    expect(large.probs[0]).toBeCloseTo(1 / (1 + Math.exp(-1) + Math.exp(-10)), 14);
    expect(() => onlineSoftmax([1], 0)).toThrow('The chunk must be a whole number of at least 1; received 0.');
  });
});

describe('numbers the prose states', () => {
  test('an A100 SM’s 192 KB of SRAM holds 98,304 fp16 numbers; with d = 64 Algorithm 1 takes B_c = 384, B_r = 64', () => {
    expect(A100_SRAM_FP16_NUMBERS).toBe(98_304);
    expect(flashBlockSizes(A100_SRAM_FP16_NUMBERS, 64)).toEqual({ colBlock: 384, rowBlock: 64 });
  });

  test('N = 1024, d = 64: standard 4.46 million numbers moved, FlashAttention 801 thousand; N = 4096: 68.2 million and 9.63 million', () => {
    const sram = A100_SRAM_FP16_NUMBERS;
    expect(countInWords(totalAccesses(standardHbmAccesses(1024, 64)))).toBe('4.46 million');
    expect(countInWords(totalAccesses(flashHbmAccesses(1024, 64, sram)))).toBe('801 thousand');
    expect(countInWords(totalAccesses(standardHbmAccesses(4096, 64)))).toBe('68.2 million');
    expect(countInWords(totalAccesses(flashHbmAccesses(4096, 64, sram)))).toBe('9.63 million');
  });

  test('ratios the prose states: 5.6× at N = 1024, 7.1× at 4096; the N² terms are 94% of standard at N = 1024, d = 64', () => {
    const ratio = (n: number) => totalAccesses(standardHbmAccesses(n, 64)) / totalAccesses(flashHbmAccesses(n, 64, A100_SRAM_FP16_NUMBERS));
    expect(ratio(1024).toFixed(1)).toBe('5.6');
    expect(ratio(4096).toFixed(1)).toBe('7.1');
    expect(ratio(16_384)).toBeGreaterThan(ratio(4096));
    expect(((4 * 1024 ** 2) / totalAccesses(standardHbmAccesses(1024, 64))).toFixed(2)).toBe('0.94');
  });

  test('d = 256 with 16 KiB (M = 8,192 < 12d²): tiles of 8 keys, and the tiled algorithm moves more than standard', () => {
    expect(flashBlockSizes(8192, 256)).toEqual({ colBlock: 8, rowBlock: 8 });
    expect(8192).toBeLessThan(12 * 256 ** 2);
    expect(totalAccesses(flashHbmAccesses(1024, 256, 8192))).toBeGreaterThan(totalAccesses(standardHbmAccesses(1024, 256)));
  });

  test('the backward keeps P (2 GiB in fp16) or one log-sum-exp per row (4 MiB in fp32) for Fig. 2’s setting: seq 1024, 16 heads, batch 64', () => {
    const saved = savedForBackward(1024, 16, 64);
    expect(saved.probs * 2).toBe(2 * 1024 ** 3);
    expect(saved.logSumExp * 4).toBe(4 * 1024 ** 2);
  });

  test('the cited figures: Fig. 2 reads 8× fewer HBM bytes and runs 3× faster with 13% more FLOPs', () => {
    const { standard, flash } = PAPER_FIGURES.flashFig2;
    expect(standard.hbmGB / flash.hbmGB).toBeCloseTo(8.02, 2);
    expect(standard.ms / flash.ms).toBeCloseTo(3.0, 1);
    expect(flash.gflops / standard.gflops).toBeCloseTo(1.13, 2);
  });
});

const byId = <T>(id: string) => exercises.find((e) => e.id === id) as T;

describe('exercises of 15-flash-attention', () => {
  test('at least three, with every kind, unique ids', () => {
    expect(exercises.length).toBeGreaterThanOrEqual(3);
    expect(new Set(exercises.map((e) => e.kind))).toEqual(new Set(['choice', 'numeric', 'widget']));
    expect(new Set(exercises.map((e) => e.id)).size).toBe(exercises.length);
    expect(exercises.some((e) => e.kind === 'choice' && e.run)).toBe(true);
  });

  test('exact-or-not: 5 × 5 tiles on layer 0, head 0 differ from the model’s attention by less than 1e-5, but not by 0', async () => {
    const exercise = byId<ChoiceExercise>('exact-or-not');
    const ids = tokenizer.encode(FLASH_PROMPT, { bos: true });
    const { taps } = await model.run([ids], { taps: flashTaps(0) });
    const config = model.config;
    const { q, k, v, probs } = headInputs(taps, 0, 0, config.num_attention_heads, config.num_key_value_heads);
    const difference = maxAbsDifference(tiledAttention(q, k, v, { rowBlock: 5, colBlock: 5 }).output, probsTimesValues(probs, v));
    expect(difference).toBeLessThan(1e-5);
    expect(difference).toBeGreaterThan(0);
    expect(exercise.answer).toBe(1);
    expect(exercise.run).toEqual({ widget: 'flash-tiles', state: { rows: 5, cols: 5, tile: 0 } });
  });

  test('rescale-by-hand: e^(3 − 5)', () => {
    const exercise = byId<NumericExercise>('rescale-by-hand');
    const factor = onlineSoftmax([1, 3, 2, 5], 2).chunks[1].rescale;
    expect(Math.abs(factor - exercise.answer)).toBeLessThanOrEqual(exercise.tolerance);
  });

  test('passes-over-q: ⌈4096 / 384⌉ = 11, and the count uses 11 passes', () => {
    const exercise = byId<NumericExercise>('passes-over-q');
    const { colBlock } = flashBlockSizes(98_304, 64);
    expect(Math.ceil(4096 / colBlock)).toBe(exercise.answer);
    // the widget's 192 KiB is this M
    expect(sramNumbers(exercise.run!.state.sram as number)).toBe(98_304);
    const n = 4096;
    const d = 64;
    expect(totalAccesses(flashHbmAccesses(n, d, 98_304))).toBe(3 * n * d + 2 * n + 11 * (3 * n * d + 4 * n));
  });

  test('overflow: ×100 on the real row overflows the naive float32 sum, the online softmax still equals the two-pass one', async () => {
    const exercise = byId<ChoiceExercise>('overflow');
    const ids = tokenizer.encode(FLASH_PROMPT, { bos: true });
    const { taps } = await model.run([ids], { taps: [layerTap(0, 'attn.scores')] });
    const n = ids.length;
    const row = Array.from(taps[layerTap(0, 'attn.scores')].data.subarray((n - 1) * n, n * n)).map((s) => s * 100);
    const online = onlineSoftmax(row, 4);
    expect(online.naiveFloat32Sum).toBe(Infinity);
    expect(online.maxDifference).toBeLessThan(1e-12);
    expect(exercise.answer).toBe(1);
  });

  test('when-tiling-pays: at d = 256, N = 1024, 256 KiB moves more than standard, 512 KiB fewer; the figures in the explanation', () => {
    const exercise = byId<WidgetExercise>('when-tiling-pays');
    const standard = totalAccesses(standardHbmAccesses(1024, 256));
    const at = (kib: number) => totalAccesses(flashHbmAccesses(1024, 256, sramNumbers(kib)));
    for (const kib of [16, 32, 64, 128, 256]) expect(at(kib)).toBeGreaterThan(standard);
    for (const kib of [512, 1024]) expect(at(kib)).toBeLessThan(standard);
    expect(exercise.goal.sram).toEqual({ min: 512 });
    expect(exercise.start!.sram).toBe(16);
    expect(memorySchema.sram.max).toBe(1024);
    expect([countInWords(at(256)), countInWords(standard), countInWords(at(512))]).toEqual(['7.11 million', '5.24 million', '3.95 million']);
    for (const text of ['7.11 million', '5.24 million', '3.95 million']) expect(exercise.explanation).toContain(text);
  });
});
