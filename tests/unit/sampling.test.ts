import { describe, expect, test } from 'vitest';
import {
  applyMinP,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  applyTypical,
  argmax,
  chooseNextToken,
  isGreedy,
  processLogits,
  sampleToken,
  softmax,
  validateSamplingOptions,
} from '../../src/llama/sampling';
import { createRandom } from '../../src/llama/rng';

const NEG = -Infinity;

/** Logits whose softmax is exactly the given probabilities (up to rounding). */
function logitsFromProbs(probs: number[]): Float32Array {
  return Float32Array.from(probs.map(Math.log));
}

/** Ids of the tokens a processor kept (logit not -Infinity). */
function keptIds(logits: Float32Array): number[] {
  return Array.from(logits.keys()).filter((id) => logits[id] !== NEG);
}

describe('applyRepetitionPenalty', () => {
  test('divides positive logits and multiplies negative ones, once per distinct id', () => {
    const logits = Float32Array.from([2, -1, 0.5, 3]);
    // id 1 appears twice but is penalised once: -1 * 2 = -2, not -4.
    const penalized = applyRepetitionPenalty(logits, [0, 1, 1], 2);
    expect(Array.from(penalized)).toEqual([1, -2, 0.5, 3]);
  });

  test('penalty 1 is the identity and the input is not mutated', () => {
    const logits = Float32Array.from([2, -1, 0.5]);
    const penalized = applyRepetitionPenalty(logits, [0, 1, 2], 1);
    expect(Array.from(penalized)).toEqual([2, -1, 0.5]);
    expect(penalized).not.toBe(logits);
  });

  test('rejects ids outside the vocabulary and penalties <= 0', () => {
    const logits = Float32Array.from([1, 2]);
    expect(() => applyRepetitionPenalty(logits, [2], 1.2)).toThrow(
      'token id 2 is outside the vocabulary [0, 2)',
    );
    expect(() => applyRepetitionPenalty(logits, [0], 0)).toThrow(
      'repetitionPenalty must be a number > 0',
    );
  });
});

describe('applyTemperature', () => {
  test('divides every logit by T', () => {
    expect(Array.from(applyTemperature(Float32Array.from([1, 2, -4]), 2))).toEqual([0.5, 1, -2]);
  });

  test('T = 0 keeps only the argmax (the greedy limit)', () => {
    expect(Array.from(applyTemperature(Float32Array.from([1, 2, -4]), 0))).toEqual([NEG, 2, NEG]);
  });

  test('negative T is rejected with a message', () => {
    expect(() => applyTemperature(Float32Array.from([1]), -0.5)).toThrow(
      'temperature must be a number >= 0 (0 means greedy). Received -0.5.',
    );
  });
});

describe('applyTopK', () => {
  test('keeps the k largest', () => {
    const kept = applyTopK(Float32Array.from([1, 4, 3, 0, 2]), 2);
    expect(Array.from(kept)).toEqual([NEG, 4, 3, NEG, NEG]);
  });

  test('keeps every token tied with the k-th value', () => {
    // Sorted: 3, 2, 2, 1, 0 -> the 2nd value is 2, and both 2s survive: three tokens for k = 2.
    const kept = applyTopK(Float32Array.from([1, 3, 2, 2, 0]), 2);
    expect(keptIds(kept)).toEqual([1, 2, 3]);
  });

  test('k >= vocab keeps all', () => {
    const logits = Float32Array.from([1, 3, 2]);
    expect(Array.from(applyTopK(logits, 3))).toEqual([1, 3, 2]);
    expect(Array.from(applyTopK(logits, 50))).toEqual([1, 3, 2]);
  });

  test('k = 0 and fractional k are rejected', () => {
    const logits = Float32Array.from([1, 3]);
    expect(() => applyTopK(logits, 0)).toThrow('topK must be an integer >= 1. Received 0.');
    expect(() => applyTopK(logits, 1.5)).toThrow('topK must be an integer >= 1. Received 1.5.');
  });
});

describe('applyTopP', () => {
  // Probabilities 0.1, 0.2, 0.3, 0.4. Ascending cumulative sums: 0.1, 0.3, 0.6, 1.0.
  const logits = logitsFromProbs([0.1, 0.2, 0.3, 0.4]);

  test('removes tokens whose ascending cumulative probability is <= 1 - p', () => {
    // p = 0.75: 1 - p = 0.25 removes only the 0.1 token (0.3 > 0.25); kept mass 0.9 >= 0.75,
    // while the top two alone (0.7) would fall short.
    expect(keptIds(applyTopP(logits, 0.75))).toEqual([1, 2, 3]);
    // p = 0.5: removes 0.1 (cum 0.1) and 0.2 (cum 0.3); 0.3 survives (cum 0.6 > 0.5).
    expect(keptIds(applyTopP(logits, 0.5))).toEqual([2, 3]);
    // p = 0.3: 0.1, 0.3, 0.6 are all <= 0.7, only the top token survives.
    expect(keptIds(applyTopP(logits, 0.3))).toEqual([3]);
  });

  test('kept logits are unchanged', () => {
    const kept = applyTopP(logits, 0.5);
    expect(kept[2]).toBe(logits[2]);
    expect(kept[3]).toBe(logits[3]);
  });

  test('always keeps at least one token, even when every cumulative sum is below 1 - p', () => {
    // Uniform: 0.25, 0.5, 0.75 are all <= 1 - 1e-9; the last (most likely) token is never removed,
    // and on equal logits the lowest id counts as most likely.
    expect(keptIds(applyTopP(Float32Array.from([0, 0, 0, 0]), 1e-9))).toEqual([0]);
  });

  test('p = 1 keeps every token, even a very unlikely one', () => {
    expect(keptIds(applyTopP(Float32Array.from([0, -100, 5]), 1))).toEqual([0, 1, 2]);
  });

  test('p = 0 and p > 1 are rejected', () => {
    expect(() => applyTopP(logits, 0)).toThrow('topP must be a number in (0, 1]');
    expect(() => applyTopP(logits, 1.2)).toThrow('topP must be a number in (0, 1] (1 keeps every token). Received 1.2.');
  });
});

describe('applyMinP', () => {
  const logits = logitsFromProbs([0.5, 0.3, 0.15, 0.05]);

  test('keeps tokens with prob >= minP * max prob', () => {
    // threshold 0.2 * 0.5 = 0.1: only the 0.05 token is removed.
    expect(keptIds(applyMinP(logits, 0.2))).toEqual([0, 1, 2]);
    // threshold 0.7 * 0.5 = 0.35: only the top token survives.
    expect(keptIds(applyMinP(logits, 0.7))).toEqual([0]);
  });

  test('minP = 0 keeps all; values outside [0, 1] are rejected', () => {
    expect(keptIds(applyMinP(logits, 0))).toEqual([0, 1, 2, 3]);
    expect(() => applyMinP(logits, 1.5)).toThrow('minP must be a number in [0, 1]');
  });
});

describe('applyTypical', () => {
  // probs 1/2, 1/4, 1/8, 1/8: surprises 1, 2, 3, 3 bits, entropy 1.75 bits.
  // |surprise - entropy| = 0.75, 0.25, 1.25, 1.25 bits: the MOST typical token is id 1.
  // Most typical first: id 1 (p 0.25), id 0 (0.5), ids 2, 3 (0.125 each);
  // cumulative 0.25, 0.75, 0.875, 1.
  const logits = logitsFromProbs([0.5, 0.25, 0.125, 0.125]);

  test('keeps the most typical tokens until their mass reaches p', () => {
    // mass 0.5: one cumulative sum (0.25) is < 0.5, so the cut is at rank 1 (id 0).
    expect(keptIds(applyTypical(logits, 0.5))).toEqual([0, 1]);
    // mass 0.8: two sums are < 0.8, the cut is at rank 2 (atypicality 1.25): ids 2 and 3 tie.
    expect(keptIds(applyTypical(logits, 0.8))).toEqual([0, 1, 2, 3]);
  });

  test('a small mass keeps only the most typical token, which need not be the most likely', () => {
    expect(keptIds(applyTypical(logits, 0.2))).toEqual([1]);
  });

  test('mass 1 is off; mass 0 is rejected', () => {
    expect(keptIds(applyTypical(logits, 1))).toEqual([0, 1, 2, 3]);
    expect(() => applyTypical(logits, 0)).toThrow('typicalP must be a number in (0, 1]');
  });
});

describe('validateSamplingOptions', () => {
  test('accepts defaults and edge values', () => {
    expect(validateSamplingOptions({})).toBeNull();
    expect(
      validateSamplingOptions({ temperature: 0, topK: 1, topP: 1, minP: 0, typicalP: 1, seed: 7 }),
    ).toBeNull();
  });

  test('names the bad option and the received value', () => {
    expect(validateSamplingOptions({ topK: 0 })).toBe('topK must be an integer >= 1. Received 0.');
    expect(validateSamplingOptions({ topP: 0 })).toBe(
      'topP must be a number in (0, 1] (1 keeps every token). Received 0.',
    );
    expect(validateSamplingOptions({ topP: 1.01 })).toBe(
      'topP must be a number in (0, 1] (1 keeps every token). Received 1.01.',
    );
    expect(validateSamplingOptions({ temperature: -1 })).toBe(
      'temperature must be a number >= 0 (0 means greedy). Received -1.',
    );
    expect(validateSamplingOptions({ temperature: NaN })).toBe(
      'temperature must be a number >= 0 (0 means greedy). Received NaN.',
    );
    expect(validateSamplingOptions({ seed: Infinity })).toBe(
      'seed must be a finite number. Received Infinity.',
    );
  });
});

describe('processLogits', () => {
  test('applies temperature before top-p, as Hugging Face does', () => {
    // T = 0.5 squares the probabilities: 0.01, 0.04, 0.09, 0.16 over 0.30 -> 0.033, 0.133, 0.3,
    // 0.533; with top-p 0.5 the ascending sums 0.033, 0.167, 0.467 are all <= 0.5: one token.
    // (Top-p first, on the original probabilities, would have kept two: ids 2 and 3.)
    const logits = logitsFromProbs([0.1, 0.2, 0.3, 0.4]);
    expect(keptIds(processLogits(logits, [], { temperature: 0.5, topP: 0.5 }))).toEqual([3]);
    expect(keptIds(processLogits(logits, [], { topP: 0.5 }))).toEqual([2, 3]);
  });

  test('applies top-k before top-p', () => {
    // top-k 2 leaves 0.3 and 0.4, renormalised to 3/7 and 4/7; top-p 0.5 then removes 3/7.
    const logits = logitsFromProbs([0.1, 0.2, 0.3, 0.4]);
    expect(keptIds(processLogits(logits, [], { topK: 2, topP: 0.5 }))).toEqual([3]);
  });

  test('greedy (temperature 0 or doSample false) applies only the penalty, then the argmax', () => {
    const logits = Float32Array.from([3, 2.5, 1]);
    // penalty 2 on id 0: 3 -> 1.5, so id 1 (2.5) becomes the argmax; topK is ignored.
    const expected = [NEG, 2.5, NEG];
    const greedyByTemperature = processLogits(logits, [0], {
      temperature: 0,
      repetitionPenalty: 2,
      topK: 3,
    });
    expect(Array.from(greedyByTemperature)).toEqual(expected);
    const greedyByFlag = processLogits(logits, [0], { doSample: false, repetitionPenalty: 2 });
    expect(Array.from(greedyByFlag)).toEqual(expected);
    expect(isGreedy({ temperature: 0 })).toBe(true);
    expect(isGreedy({ doSample: false, temperature: 0.8 })).toBe(true);
    expect(isGreedy({ temperature: 0.8 })).toBe(false);
  });

  test('returns a new array and leaves the input alone', () => {
    const logits = Float32Array.from([1, 2, 3]);
    const processed = processLogits(logits, [2], { repetitionPenalty: 3, topK: 1 });
    expect(Array.from(logits)).toEqual([1, 2, 3]);
    // penalty 3 on id 2: 3 -> 1, so top-k 1 keeps id 1.
    expect(Array.from(processed)).toEqual([NEG, 2, NEG]);
    expect(processLogits(logits, [], {})).not.toBe(logits);
  });

  test('throws the validation message for bad options', () => {
    expect(() => processLogits(Float32Array.from([1]), [], { temperature: -1 })).toThrow(
      'temperature must be a number >= 0',
    );
  });
});

describe('softmax and argmax', () => {
  test('softmax of [0, ln 3] is [1/4, 3/4]; -Infinity gives 0; large logits do not overflow', () => {
    const probs = softmax(Float32Array.from([0, Math.log(3)]));
    expect(probs[0]).toBeCloseTo(0.25, 6);
    expect(probs[1]).toBeCloseTo(0.75, 6);
    expect(Array.from(softmax(Float32Array.from([NEG, 0])))).toEqual([0, 1]);
    expect(Array.from(softmax(Float32Array.from([1000, 1000])))).toEqual([0.5, 0.5]);
  });

  test('softmax of all -Infinity throws', () => {
    expect(() => softmax(Float32Array.from([NEG, NEG]))).toThrow('every token has been removed');
  });

  test('argmax returns the first of tied maxima', () => {
    expect(argmax(Float32Array.from([1, 3, 3]))).toBe(1);
    expect(argmax(Float32Array.from([NaN, -2, -1]))).toBe(2);
  });
});

describe('sampleToken', () => {
  const logits = logitsFromProbs([0.1, 0.2, 0.3, 0.4]);

  test('inverts the cumulative distribution 0.1, 0.3, 0.6, 1.0', () => {
    const draw = (u: number) => sampleToken(logits, () => u);
    expect([0, 0.05, 0.15, 0.35, 0.65, 0.999999].map(draw)).toEqual([0, 0, 1, 2, 3, 3]);
  });

  test('never returns a removed token', () => {
    const onlyOne = Float32Array.from([NEG, 0, NEG]);
    expect(sampleToken(onlyOne, () => 0)).toBe(1);
    expect(sampleToken(onlyOne, () => 0.9999999)).toBe(1);
  });

  test('the same seed replays the same samples', () => {
    const drawTwenty = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 20 }, () => sampleToken(logits, random));
    };
    expect(drawTwenty(42)).toEqual(drawTwenty(42));
    expect(drawTwenty(42)).not.toEqual(drawTwenty(43));
  });

  test('frequencies match the softmax probabilities (chi-square, seed 1234)', () => {
    const probs = [0.1, 0.2, 0.3, 0.4];
    const draws = 20_000;
    const random = createRandom(1234);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < draws; i++) counts[sampleToken(logits, random)]++;
    const chiSquare = (expected: number[]) =>
      counts.reduce((sum, count, id) => sum + (count - draws * expected[id]) ** 2 / (draws * expected[id]), 0);
    // 3 degrees of freedom: the 0.1% critical value is 16.27.
    expect(chiSquare(probs)).toBeLessThan(16.27);
    // The same counts are far from a wrong distribution, so the check has teeth.
    expect(chiSquare([0.25, 0.25, 0.25, 0.25])).toBeGreaterThan(1000);
  });
});

describe('chooseNextToken', () => {
  test('greedy takes the argmax without drawing a random number', () => {
    let draws = 0;
    const random = () => {
      draws++;
      return 0;
    };
    const logits = Float32Array.from([0.5, 2, 1]);
    expect(chooseNextToken(logits, [], { temperature: 0 }, random)).toBe(1);
    expect(draws).toBe(0);
  });

  test('sampling draws from the processed distribution', () => {
    // top-k 1 leaves only id 1, whatever the random number.
    const logits = Float32Array.from([0.5, 2, 1]);
    expect(chooseNextToken(logits, [], { topK: 1 }, () => 0)).toBe(1);
    expect(chooseNextToken(logits, [], { topK: 1 }, () => 0.99)).toBe(1);
    expect(chooseNextToken(logits, [], {}, () => 0)).toBe(0);
  });
});
