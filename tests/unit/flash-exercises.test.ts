// The FlashAttention chapter's exercises (src/exercises/15-flash-attention.ts): every answer
// against the engine's tiled attention, the HBM counts and the shipped model.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import exercises from '../../src/exercises/15-flash-attention';
import type { ChoiceExercise, NumericExercise, WidgetExercise } from '../../src/exercises/types';
import { countInWords, FLASH_PROMPT, flashTaps, headInputs, onlineSoftmax, probsTimesValues } from '../../src/chapters/flash';
import { flashBlockSizes, flashHbmAccesses, maxAbsDifference, standardHbmAccesses, tiledAttention, totalAccesses } from '../../src/llama/flashAttention';
import type { LlamaModel } from '../../src/llama/model';
import { layerTap } from '../../src/llama/taps';
import type { Tokenizer } from '../../src/llama/tokenizer';
import { schema as memorySchema, sramNumbers } from '../../components/FlashMemory';
import { useBackend } from './helpers/backends';
import { loadChapterModel } from './helpers/chapter-model';

const byId = <T>(id: string) => exercises.find((e) => e.id === id) as T;

let model: LlamaModel;
let tokenizer: Tokenizer;
beforeAll(async () => {
  await useBackend('cpu');
  ({ model, tokenizer } = loadChapterModel());
});
afterAll(() => model?.dispose());

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
