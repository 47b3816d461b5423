// The "Mask it" widget's arithmetic (src/chapters/attentionMask.ts).
import { describe, expect, test } from 'vitest';
import {
  applyFlips, causalMask, MASK_PROMPT, MAX_EDIT_TOKENS, comparePredictions, formatFlips, futureCells, maskFor, meanLosses, parseFlips, toggleFlip,
} from '../../src/chapters/attentionMask';

test('the default prompt fits the editable grid', async () => {
  const { loadChapterModel } = await import('./helpers/chapter-model');
  const { useBackend } = await import('./helpers/backends');
  await useBackend('cpu');
  const { tokenizer, model } = loadChapterModel();
  model.dispose();
  const n = tokenizer.encode(MASK_PROMPT, { bos: true }).length;
  expect(n).toBe(21);
  expect(n).toBeLessThanOrEqual(MAX_EDIT_TOKENS);
});

describe('masks', () => {
  test('causal: row q sees keys 0..q', () => {
    expect(causalMask(3)).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [1, 1, 1],
    ]);
  });
  test('no mask sees everything, with 3 future cells for 3 tokens', () => {
    const open = maskFor('none', 3, []);
    expect(open).toEqual([[1, 1, 1], [1, 1, 1], [1, 1, 1]]);
    expect(futureCells(open)).toEqual([[0, 1], [0, 2], [1, 2]]);
    expect(futureCells(causalMask(5))).toEqual([]);
  });
  test('an edited mask is the causal one with the flips applied', () => {
    expect(maskFor('edited', 3, [[0, 2], [2, 1]])).toEqual([
      [1, 0, 1],
      [1, 1, 0],
      [1, 0, 1],
    ]);
    expect(applyFlips(causalMask(2), [[1, 1], [1, 1]])).toEqual(causalMask(2)); // two flips cancel
  });
  test('toggleFlip adds a cell, and removes it the second time', () => {
    expect(toggleFlip([[1, 0]], 2, 1)).toEqual([[1, 0], [2, 1]]);
    expect(toggleFlip([[1, 0], [2, 1]], 1, 0)).toEqual([[2, 1]]);
  });
});

describe('the URL form of the flips', () => {
  test('round trip', () => {
    const { flips, problems } = parseFlips('5-6, 3-1', 8);
    expect(problems).toEqual([]);
    expect(flips).toEqual([[5, 6], [3, 1]]);
    expect(formatFlips(flips)).toBe('5-6,3-1');
  });
  test('bad cells are dropped, each with a reason', () => {
    const { flips, problems } = parseFlips('1-0,x,9-2,1-0,0-0', 4);
    expect(flips).toEqual([[1, 0]]);
    expect(problems).toEqual([
      '“x” is not a cell (expected query-key, such as 5-6).',
      'Cell 9-2 is outside this 4-token prompt.',
      'Cell 0-0 would leave token 0 with nothing to look at; the softmax needs at least one key.',
    ]);
  });
  test('an empty string is no flip', () => expect(parseFlips('', 4)).toEqual({ flips: [], problems: [] }));
});

describe('comparePredictions', () => {
  // vocab 3, prompt [0, 2, 1]: positions 0 and 1 have a next token (2, then 1).
  const ids = [0, 2, 1];
  const causal = [0, 0, Math.log(2), /* pos 1 */ 0, Math.log(3), 0, /* pos 2 */ 0, 0, 0];
  const masked = [0, 0, 0, /* pos 1 */ Math.log(6), 0, 0, /* pos 2 */ 0, 0, 0];
  const rows = comparePredictions(causal, masked, ids, 3, maskFor('none', 3, []));

  test('probability of the next token and the top guess, by hand', () => {
    // causal pos 0: softmax(0, 0, ln 2) = (1/4, 1/4, 1/2); target 2 -> 0.5, top 2
    expect(rows[0].causalProbability).toBeCloseTo(0.5, 12);
    expect(rows[0].causalTop).toBe(2);
    // masked pos 0: uniform -> 1/3, top 0 (first on ties)
    expect(rows[0].maskedProbability).toBeCloseTo(1 / 3, 12);
    expect(rows[0].maskedTop).toBe(0);
    // causal pos 1: softmax(0, ln 3, 0) = (1/5, 3/5, 1/5); target 1 -> 0.6
    expect(rows[1].causalProbability).toBeCloseTo(0.6, 12);
    // masked pos 1: softmax(ln 6, 0, 0) = (6/8, 1/8, 1/8); target 1 -> 0.125, top 0
    expect(rows[1].maskedProbability).toBeCloseTo(0.125, 12);
    expect(rows[1].maskedTop).toBe(0);
    expect(rows.map((r) => r.seesTarget)).toEqual([true, true]);
  });
  test('mean losses in nats', () => {
    const { causal: c, masked: m } = meanLosses(rows);
    expect(c).toBeCloseTo((Math.log(2) + Math.log(5 / 3)) / 2, 12);
    expect(m).toBeCloseTo((Math.log(3) + Math.log(8)) / 2, 12);
  });
  test('under the causal mask no position sees its target', () => {
    expect(comparePredictions(causal, causal, ids, 3, causalMask(3)).map((r) => r.seesTarget)).toEqual([false, false]);
  });
});
