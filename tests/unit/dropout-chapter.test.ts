// The eval() chapter's dropout maths (src/chapters/dropout.ts) with fixed seeds, and the engine's
// dropout in train mode (keep rate, 1/(1-p) scaling) and eval mode (bit-for-bit repeatable).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  allRunsIdentical,
  describeBadRate,
  dropoutDraw,
  dropoutStd,
  meanTokenLoss,
  perplexity,
  runningMeans,
  softmaxRow,
  tokenSpreads,
} from '../../src/chapters/dropout';
import { layerTap } from '../../src/llama/taps';
import { createRandom } from '../../src/llama/rng';
import { storyExamples } from '../../scripts/eval';
import { VALIDATION_SAMPLE_PATH, cutAtSentence, validationSample, type ValidationSample } from '../../scripts/make-validation-sample';
import { useBackend } from './helpers/backends';
import { loadChapterModel, type ChapterModel } from './helpers/chapter-model';

describe('describeBadRate', () => {
  test.each([0, 0.1, 0.5, 0.9, 0.999])('p = %s is a dropout rate', (p) => expect(describeBadRate(p)).toBeNull());
  test('p = 1 would divide by zero', () => {
    expect(describeBadRate(1)).toBe('The dropout rate p must be in [0, 1): p = 1 would drop every value and divide by 1 - p = 0. Received 1.');
  });
  test('negative and non-numbers are refused', () => {
    expect(describeBadRate(-0.1)).toBe('The dropout rate p must be in [0, 1): p = -0.1 is not a probability. Received -0.1.');
    expect(describeBadRate(Number.NaN)).toBe('The dropout rate must be a number in [0, 1). Received NaN.');
  });
});

describe('dropoutDraw (inverted dropout)', () => {
  test('keeps each value with probability 1 - p (100 000 draws, seed 7)', () => {
    const p = 0.3;
    const n = 100_000;
    const { keep } = dropoutDraw(new Array(n).fill(1), p, createRandom(7));
    const keepRate = keep.reduce((a, b) => a + b, 0) / n;
    // standard error sqrt(p (1 - p) / n) = 0.00145; 4 of them
    expect(Math.abs(keepRate - (1 - p))).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });

  test('kept values are scaled by exactly 1 / (1 - p), dropped ones are 0', () => {
    const x = [0.5, -1.2, 2, 0.8, -0.3, 1.1, 0.4, -2.5];
    const { keep, output } = dropoutDraw(x, 0.5, createRandom(3));
    expect(keep.some((k) => k === 0) && keep.some((k) => k === 1)).toBe(true);
    output.forEach((value, i) => expect(value).toBe(keep[i] ? x[i] * 2 : 0));
  });

  test('p = 0 keeps everything unchanged', () => {
    expect(dropoutDraw([1, -2, 3], 0, createRandom(1)).output).toEqual([1, -2, 3]);
  });

  test('p outside [0, 1) throws the message', () => {
    expect(() => dropoutDraw([1], 1, createRandom(1))).toThrow('would drop every value');
  });
});

describe('runningMeans', () => {
  test('the mean over many draws converges to x (the expected value is preserved)', () => {
    const x = [1, -0.5, 2, 0.25];
    const p = 0.4;
    const draws = 4000;
    const means = runningMeans(x, p, draws, 11);
    expect(means).toHaveLength(draws);
    x.forEach((value, i) => {
      expect(Math.abs(means[draws - 1][i] - value)).toBeLessThan(4 * dropoutStd(value, p, draws));
    });
    // after a single draw each mean is either 0 or x / (1 - p)
    means[0].forEach((m, i) => expect([0, x[i] / (1 - p)]).toContain(m));
  });

  test('dropoutStd is |x| sqrt(p / ((1 - p) n))', () => {
    expect(dropoutStd(2, 0.5)).toBeCloseTo(2, 12);
    expect(dropoutStd(-1, 0.2, 4)).toBeCloseTo(0.25, 12);
  });
});

describe('spreads and losses', () => {
  test('tokenSpreads orders by mean and measures min, max, std', () => {
    const spreads = tokenSpreads([
      [0.5, 0.3, 0.2],
      [0.7, 0.1, 0.2],
    ], 2);
    expect(spreads.map((s) => s.tokenId)).toEqual([0, 1]);
    expect(spreads[0].mean).toBeCloseTo(0.6, 12);
    expect(spreads[0].min).toBe(0.5);
    expect(spreads[0].max).toBe(0.7);
    expect(spreads[0].std).toBeCloseTo(0.1, 12);
  });
  test('allRunsIdentical compares bits', () => {
    expect(allRunsIdentical([Float32Array.of(1, 2), Float32Array.of(1, 2)])).toBe(true);
    expect(allRunsIdentical([Float32Array.of(1, 2), Float32Array.of(1, 2.0000002)])).toBe(false);
  });
  test('softmaxRow sums to 1 and keeps order', () => {
    const p = softmaxRow([1, 2, 3]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[2]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), 12);
  });
  test('meanTokenLoss weights every token equally; perplexity = e^loss', () => {
    expect(meanTokenLoss([[1, 2, 3], [6]])).toBe(3);
    expect(perplexity(Math.log(7))).toBeCloseTo(7, 12);
  });
});

describe('dropout in the engine', () => {
  let chapter: ChapterModel;
  let ids: number[][];
  beforeAll(async () => {
    await useBackend('wasm');
    chapter = loadChapterModel();
    const row = chapter.tokenizer.encode('Once upon a time there was a little fox who loved to run.');
    ids = Array.from({ length: 6 }, () => row);
  }, 60_000);
  afterAll(() => chapter?.model.dispose());

  test('train mode keeps a fraction 1 - p of the attention branch and scales it by 1 / (1 - p)', async () => {
    const p = 0.25;
    const attnOut = layerTap(0, 'attn.out');
    const residual = layerTap(0, 'attn_residual');
    const { taps } = await chapter.model.run(ids, { training: true, dropoutRate: p, seed: 5, taps: ['embed', attnOut, residual] });
    const branch = taps[attnOut].data; // before dropout
    const input = taps.embed.data;
    const added = taps[residual].data; // input + dropout(branch)
    let kept = 0;
    let dropped = 0;
    for (let i = 0; i < branch.length; i++) {
      const scaled = branch[i] / (1 - p);
      const delta = added[i] - input[i];
      const tolerance = 1e-5 * (1 + Math.abs(input[i]) + Math.abs(scaled));
      if (Math.abs(scaled) < 10 * tolerance) continue; // too small to tell kept from dropped
      if (Math.abs(delta - scaled) <= tolerance) kept++;
      else if (Math.abs(delta) <= tolerance) dropped++;
      else throw new Error(`element ${i}: added ${delta}, neither 0 nor ${scaled}`);
    }
    const n = kept + dropped;
    expect(n).toBeGreaterThan(500);
    expect(Math.abs(kept / n - (1 - p))).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });

  test('eval mode is bit-for-bit repeatable and ignores the rate', async () => {
    const first = await chapter.model.run(ids, { training: false, dropoutRate: 0.5 });
    const second = await chapter.model.run(ids, { training: false, dropoutRate: 0.5 });
    const plain = await chapter.model.run(ids);
    expect(allRunsIdentical([first.logits.data, second.logits.data, plain.logits.data])).toBe(true);
  });

  test('train mode: the same seed repeats, another seed changes the logits', async () => {
    const a = await chapter.model.run(ids, { training: true, dropoutRate: 0.1, seed: 1 });
    const b = await chapter.model.run(ids, { training: true, dropoutRate: 0.1, seed: 1 });
    const c = await chapter.model.run(ids, { training: true, dropoutRate: 0.1, seed: 2 });
    expect(allRunsIdentical([a.logits.data, b.logits.data])).toBe(true);
    expect(allRunsIdentical([a.logits.data, c.logits.data])).toBe(false);
  });

  test('nothing leaks', async () => {
    const before = tf.memory().numTensors;
    await chapter.model.run(ids, { training: true, dropoutRate: 0.3, seed: 9, taps: ['embed'] });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the validation sample of the forgotten-eval figure', () => {
  const sample = JSON.parse(readFileSync(VALIDATION_SAMPLE_PATH, 'utf8')) as ValidationSample;

  test('holds the sixteen stories the chapter mentions, in a few kilobytes', () => {
    expect(sample.texts).toHaveLength(16);
    expect(new Set(sample.texts).size).toBe(16);
    expect(readFileSync(VALIDATION_SAMPLE_PATH).length).toBeLessThan(8 * 1024);
    for (const text of sample.texts) expect(text.length).toBeLessThanOrEqual(360);
  });

  // The validation split is generated in memory (scripts/corpus.ts is deterministic), so this
  // runs on a fresh clone without `npm run corpus`.
  test('is exactly what scripts/make-validation-sample.ts writes from the validation split', () => {
    const texts = storyExamples('validation').map((example) => example.text);
    expect(sample.texts).toEqual(validationSample(texts, 16, 360, sample.seed));
  }, 120_000);

  test('cutAtSentence cuts after the last full sentence that fits', () => {
    expect(cutAtSentence('One. Two! Three?', 100)).toBe('One. Two! Three?');
    expect(cutAtSentence('One. Two! Three? Four.', 14)).toBe('One. Two!');
    expect(cutAtSentence('"Hi!" she said. Then more text here.', 20)).toBe('"Hi!" she said.');
  });
});
