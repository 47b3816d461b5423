// The padding chapter's rules (src/chapters/padding.ts) on hand-written cases, and its claims
// about batched generation checked on the model the chapter ships (or the tiny one before then).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  DEFAULT_PROMPTS,
  BATCH_NEW_TOKENS,
  describeBadPrompts,
  firstDifference,
  huggingFaceWarnsRightPadding,
  logitsSources,
  padBatch,
  positionIdsFromMask,
  shownColumns,
  splitPrompts,
} from '../../src/chapters/padding';
import { generate, generateBatch } from '../../src/llama/generate';
import { positionIdsFromMask as enginePositionIdsFromMask } from '../../src/llama/model';
import { createRandom } from '../../src/llama/rng';
import { layerTap } from '../../src/llama/taps';
import { useBackend } from './helpers/backends';
import { loadChapterModel, type ChapterModel } from './helpers/chapter-model';

describe('padBatch', () => {
  test('left padding puts the pads first and zeros them in the mask', () => {
    expect(padBatch([[5, 6, 7], [8]], 'left', 0)).toEqual({
      input: [[5, 6, 7], [0, 0, 8]],
      attentionMask: [[1, 1, 1], [0, 0, 1]],
    });
  });
  test('right padding puts them last', () => {
    expect(padBatch([[5, 6, 7], [8]], 'right', 2)).toEqual({
      input: [[5, 6, 7], [8, 2, 2]],
      attentionMask: [[1, 1, 1], [1, 0, 0]],
    });
  });
});

describe('positionIdsFromMask (cumsum(mask) - 1, padding filled with 1)', () => {
  // Hand-computed with Hugging Face's rule: position_ids = mask.cumsum(-1) - 1; masked_fill_(mask == 0, 1)
  test.each([
    { mask: [[1, 1, 1, 1]], expected: [[0, 1, 2, 3]] },
    { mask: [[0, 0, 1, 1, 1]], expected: [[1, 1, 0, 1, 2]] },
    { mask: [[1, 1, 1, 0, 0]], expected: [[0, 1, 2, 1, 1]] },
    { mask: [[0, 1, 0, 1]], expected: [[1, 0, 1, 1]] },
    { mask: [[0, 0, 0]], expected: [[1, 1, 1]] },
  ])('$mask -> $expected', ({ mask, expected }) => {
    expect(positionIdsFromMask(mask)).toEqual(expected);
  });

  test('agrees with the engine on random masks', () => {
    const random = createRandom(4);
    const masks = Array.from({ length: 20 }, () => Array.from({ length: 3 }, () => Array.from({ length: 7 }, () => (random() < 0.6 ? 1 : 0))));
    for (const mask of masks) expect(positionIdsFromMask(mask)).toEqual(enginePositionIdsFromMask(mask));
  });

  test('with left padding every row starts at 0 where its text starts', () => {
    const { attentionMask } = padBatch([[4, 4, 4, 4], [4], [4, 4]], 'left', 0);
    expect(positionIdsFromMask(attentionMask)).toEqual([
      [0, 1, 2, 3],
      [1, 1, 1, 0],
      [1, 1, 0, 1],
    ]);
  });
});

describe('logitsSources', () => {
  test('generate() reads the last column: the last real token with left padding, a pad with right padding', () => {
    const left = padBatch([[5, 6, 7], [8]], 'left', 0).attentionMask;
    const right = padBatch([[5, 6, 7], [8]], 'right', 0).attentionMask;
    expect(logitsSources(left)).toEqual([
      { readColumn: 2, lastRealColumn: 2, correct: true },
      { readColumn: 2, lastRealColumn: 2, correct: true },
    ]);
    expect(logitsSources(right)).toEqual([
      { readColumn: 2, lastRealColumn: 2, correct: true },
      { readColumn: 2, lastRealColumn: 0, correct: false },
    ]);
  });
});

describe('shownColumns (the padded batch on a narrow screen)', () => {
  const show = (width: number, count: number, mask: number[][]) =>
    shownColumns(width, count, logitsSources(mask)).map((c) => ('column' in c ? String(c.column) : `${c.gap.from}-${c.gap.to}`)).join(' ');

  test('everything fits: every column, no gap', () => {
    expect(show(4, 4, [[0, 1, 1, 1], [1, 1, 1, 1]])).toBe('0 1 2 3');
    expect(show(4, 9, [[0, 1, 1, 1]])).toBe('0 1 2 3');
  });

  test('left padding, 11 columns, 6 fit: column 0, a gap, the last five (the read column last)', () => {
    const mask = [[0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]];
    expect(show(11, 6, mask)).toBe('0 1-5 6 7 8 9 10');
  });

  test('right padding keeps each row\'s last real token, even in the middle', () => {
    const mask = [[1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]];
    expect(show(11, 4, mask)).toBe('0 1 2-2 3 4-9 10');
  });

  test('one column: the read column alone', () => {
    expect(show(5, 1, [[1, 1, 1, 1, 1]])).toBe('0-3 4');
  });
});

describe("Hugging Face's right-padding warning", () => {
  test('fires when a last column holds the pad id', () => {
    expect(huggingFaceWarnsRightPadding(padBatch([[5, 6, 7], [8]], 'right', 2).input, 2)).toBe(true);
    expect(huggingFaceWarnsRightPadding(padBatch([[5, 6, 7], [8]], 'left', 2).input, 2)).toBe(false);
  });
  test('misses right padding done with another id than generate() knows', () => {
    expect(huggingFaceWarnsRightPadding(padBatch([[5, 6, 7], [8]], 'right', 0).input, 2)).toBe(false);
  });
  test('fires on correct left padding when a prompt ends with the pad id (eos used as pad)', () => {
    expect(huggingFaceWarnsRightPadding(padBatch([[5, 6, 2], [8]], 'left', 2).input, 2)).toBe(true);
  });
  test('stays silent for one row, or without a pad id', () => {
    expect(huggingFaceWarnsRightPadding([[5, 2]], 2)).toBe(false);
    expect(huggingFaceWarnsRightPadding([[5, 2], [2, 2]], null)).toBe(false);
  });
});

describe('the batch builder input', () => {
  test('one prompt per line; a final newline adds none', () => {
    expect(splitPrompts('a\r\nb\n')).toEqual(['a', 'b']);
    expect(splitPrompts('a\n\nb')).toEqual(['a', '', 'b']);
  });
  test.each([
    { prompts: ['only one'], message: 'Enter at least 2 prompts, one per line: a batch of one needs no padding.' },
    { prompts: ['a', 'b', 'c', 'd', 'e'], message: 'This batch has 5 prompts; the figure takes at most 4, one per line.' },
    { prompts: ['a', '  '], message: 'Prompt 2 is empty: write some text on every line, or delete the line.' },
    { prompts: ['a', 'x'.repeat(121)], message: 'Prompt 2 has 121 characters; keep each prompt under 121.' },
    { prompts: ['a\u0007b', 'c'], message: 'Prompt 1 contains a control character; remove it.' },
  ])('$message', ({ prompts, message }) => {
    expect(describeBadPrompts(prompts)).toBe(message);
  });
  test('emoji, CJK and the chapter defaults are fine', () => {
    expect(describeBadPrompts(['🦙 llama', '小羊'])).toBeNull();
    expect(describeBadPrompts([...DEFAULT_PROMPTS])).toBeNull();
  });
});

describe('batched generation on the chapter model', () => {
  let chapter: ChapterModel;
  let prompts: number[][];
  /** Each prompt generated alone: what every batched row should reproduce. */
  let alone: number[][];

  beforeAll(async () => {
    await useBackend('wasm');
    chapter = loadChapterModel();
    prompts = DEFAULT_PROMPTS.map((text) => chapter.tokenizer.encode(text));
    alone = [];
    for (const prompt of prompts) {
      alone.push((await generate(chapter.model, prompt, { maxNewTokens: BATCH_NEW_TOKENS, temperature: 0 })).newIds);
    }
  }, 120_000);
  afterAll(() => chapter?.model.dispose());

  test('the default prompts have three different lengths', () => {
    expect(new Set(prompts.map((p) => p.length)).size).toBe(3);
  });

  test('left padding with the mask and mask-derived positions equals each prompt generated alone, token for token', async () => {
    const { newIds } = await generateBatch(chapter.model, prompts, {
      paddingSide: 'left',
      useAttentionMask: true,
      usePositionIdsFromMask: true,
      maxNewTokens: BATCH_NEW_TOKENS,
    });
    expect(newIds).toEqual(alone);
  });

  test('right padding without the mask or position correction changes the continuation of every padded row', async () => {
    const { newIds } = await generateBatch(chapter.model, prompts, {
      paddingSide: 'right',
      useAttentionMask: false,
      usePositionIdsFromMask: false,
      maxNewTokens: BATCH_NEW_TOKENS,
    });
    const longest = prompts.findIndex((p) => p.length === Math.max(...prompts.map((q) => q.length)));
    prompts.forEach((_, row) => {
      // The longest row has no padding, and causal attention keeps the other rows out of it.
      if (row === longest) expect(newIds[row]).toEqual(alone[row]);
      else expect(firstDifference(newIds[row], alone[row])).toBeGreaterThanOrEqual(0);
    });
  });

  test("with rotary positions, left padding and the mask alone give the same logits (RoPE sees only q - k)", async () => {
    const { input, attentionMask } = padBatch(prompts, 'left', 0);
    const shifted = await chapter.model.run(input, { attentionMask });
    const corrected = await chapter.model.run(input, { attentionMask, positionIds: positionIdsFromMask(attentionMask) });
    const width = input[0].length;
    const vocab = chapter.model.config.vocab_size;
    let largest = 0;
    let scale = 0;
    attentionMask.forEach((row, r) =>
      row.forEach((real, t) => {
        if (!real) return;
        for (let v = 0; v < vocab; v++) {
          const at = (r * width + t) * vocab + v;
          largest = Math.max(largest, Math.abs(shifted.logits.data[at] - corrected.logits.data[at]));
          scale = Math.max(scale, Math.abs(corrected.logits.data[at]));
        }
      }),
    );
    // float32 rounding of angles at other positions, nothing more
    expect(largest).toBeLessThan(1e-4 * Math.max(1, scale));
    expect(scale).toBeGreaterThan(0);
  });

  test('training with right padding is fine: the real positions see no pad, even without a mask', async () => {
    const { input, attentionMask } = padBatch(prompts, 'right', 0);
    const batched = await chapter.model.run(input);
    const width = input[0].length;
    const vocab = chapter.model.config.vocab_size;
    for (const [row, prompt] of prompts.entries()) {
      const single = await chapter.model.run([prompt]);
      const realColumns = attentionMask[row].filter(Boolean).length;
      expect(realColumns).toBe(prompt.length);
      const batchedRow = batched.logits.data.subarray(row * width * vocab, (row * width + prompt.length) * vocab);
      let largest = 0;
      batchedRow.forEach((value, i) => (largest = Math.max(largest, Math.abs(value - single.logits.data[i]))));
      expect(largest).toBeLessThan(1e-4);
    }
  });

  test('the leading pads\' own query rows are fully masked: -Infinity gives 0/0, the engine\'s finite bias and zeroing give 0 rows and finite logits', async () => {
    // A float64 softmax of a row where every key is masked with a true -Infinity: the max is
    // -Infinity, every exp(score - max) is exp(NaN), the sum is NaN: 0/0.
    const softmaxMasked = (scores: number[], allowed: number[], masked: number) => {
      const shifted = scores.map((score, j) => (allowed[j] ? score : masked));
      const max = Math.max(...shifted);
      const exps = shifted.map((score) => Math.exp(score - max));
      const total = exps.reduce((a, b) => a + b, 0);
      return exps.map((e) => e / total);
    };
    expect(softmaxMasked([0.3, -1.2], [0, 0], -Infinity).every(Number.isNaN)).toBe(true);
    // A finite minimum (the engine's -1e9, Hugging Face's finfo(dtype).min) gives finite weights.
    expect(softmaxMasked([0.3, -1.2], [0, 0], -1e9)).toEqual([0.5, 0.5]);

    const { input, attentionMask } = padBatch(prompts, 'left', 0);
    const probsTap = layerTap(0, 'attn.probs');
    const { logits, taps } = await chapter.model.run(input, { attentionMask, positionIds: positionIdsFromMask(attentionMask), taps: [probsTap] });
    expect(logits.data.every(Number.isFinite)).toBe(true);
    const [batch, heads, queries, keys] = taps[probsTap].shape;
    const probs = taps[probsTap].data;
    let fullyMaskedRows = 0;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        for (let q = 0; q < queries; q++) {
          const row = probs.subarray(((b * heads + h) * queries + q) * keys, ((b * heads + h) * queries + q + 1) * keys);
          const total = row.reduce((a, v) => a + v, 0);
          if (attentionMask[b][q] === 0) {
            // a leading pad: it may see only earlier keys, all pads, so every key is masked
            fullyMaskedRows++;
            expect(Array.from(row).every((v) => v === 0)).toBe(true);
          } else {
            expect(total).toBeCloseTo(1, 5);
          }
        }
      }
    }
    const pads = attentionMask.flat().filter((m) => m === 0).length;
    expect(pads).toBeGreaterThan(0);
    expect(fullyMaskedRows).toBe(pads * heads);
  });

  test('nothing leaks', async () => {
    const before = tf.memory().numTensors;
    await generateBatch(chapter.model, prompts, { paddingSide: 'right', useAttentionMask: true, usePositionIdsFromMask: true, maxNewTokens: 2 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
