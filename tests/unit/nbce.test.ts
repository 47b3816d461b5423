import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LlamaModel } from '../../src/llama/model';
import { argminOf, entropyOfLogProbs, nbceOptionsProblem, nbcePool } from '../../src/llama/nbce';
import { chunkRanges, longContextGenerate } from '../../src/llama/nbceGenerate';
import { referenceForward } from '../../src/llama/reference';
import { useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights } from './helpers/random-weights';

// Hand-made next-token tables over a vocabulary of 4 tokens: three chunks and the question alone.
const CHUNKS = [
  [0.25, 0.25, 0.25, 0.25], // no idea: entropy log 4
  [0.7, 0.1, 0.1, 0.1], // fairly sure of token 0
  [0.05, 0.9, 0.03, 0.02], // the surest: token 1
];
const UNCONDITIONAL = [0.1, 0.6, 0.2, 0.1];
const log = (p: number[]) => p.map(Math.log);

/** Normalises exp(scores) into probabilities: the formula written out on its own. */
function normalise(scores: number[]): number[] {
  const total = scores.reduce((sum, s) => sum + Math.exp(s), 0);
  return scores.map((s) => Math.exp(s) / total);
}

describe('nbcePool on hand-made tables', () => {
  test('entropies, and lowest-entropy pooling picks the surest chunk', () => {
    const step = nbcePool(CHUNKS.map(log), log(UNCONDITIONAL), { pooling: 'lowestEntropy', beta: 0 });
    expect(step.entropies[0]).toBeCloseTo(Math.log(4), 12);
    // -(0.7 ln 0.7 + 3 * 0.1 ln 0.1)
    expect(step.entropies[1]).toBeCloseTo(-(0.7 * Math.log(0.7) + 0.3 * Math.log(0.1)), 12);
    expect(step.winner).toBe(2);
    // beta = 0 with lowest entropy: exactly the winning chunk's distribution
    Array.from(step.logProbs).forEach((lp, t) => expect(Math.exp(lp)).toBeCloseTo(CHUNKS[2][t], 12));
  });

  test('lowest entropy with beta 0.25: (1.25 log p(T|S_3) - 0.25 log p(T)), normalised', () => {
    const step = nbcePool(CHUNKS.map(log), log(UNCONDITIONAL), { pooling: 'lowestEntropy', beta: 0.25 });
    const expected = normalise(CHUNKS[2].map((p, t) => 1.25 * Math.log(p) - 0.25 * Math.log(UNCONDITIONAL[t])));
    Array.from(step.logProbs).forEach((lp, t) => expect(Math.exp(lp)).toBeCloseTo(expected[t], 12));
    // by hand: scores -3.169, -0.004, -3.981, -4.314; the power 1.25 sharpens the winner's 0.9
    // more than dividing by p(T)^0.25 (token 1 is also the question's favourite) takes back
    expect(Math.exp(step.logProbs[1])).toBeCloseTo(0.9308, 4);
  });

  test('average pooling with beta = n - 1 is naive Bayes: prod_k p(T|S_k) / p(T)^(n-1), normalised', () => {
    const step = nbcePool(CHUNKS.map(log), log(UNCONDITIONAL), { pooling: 'average', beta: 2 });
    expect(step.winner).toBeNull();
    const product = [0, 1, 2, 3].map((t) => (CHUNKS[0][t] * CHUNKS[1][t] * CHUNKS[2][t]) / UNCONDITIONAL[t] ** 2);
    const total = product.reduce((a, b) => a + b, 0);
    Array.from(step.logProbs).forEach((lp, t) => expect(Math.exp(lp)).toBeCloseTo(product[t] / total, 12));
    // token 0: 0.25 * 0.7 * 0.05 / 0.01 = 0.875 against token 1: 0.25 * 0.1 * 0.9 / 0.36 = 0.0625
    expect(product[0]).toBeCloseTo(0.875, 12);
    expect(product[1]).toBeCloseTo(0.0625, 12);
  });

  test('average pooling with beta 0: the geometric mean of the chunks, normalised', () => {
    const step = nbcePool(CHUNKS.map(log), log(UNCONDITIONAL), { pooling: 'average', beta: 0 });
    const expected = normalise([0, 1, 2, 3].map((t) => (Math.log(CHUNKS[0][t]) + Math.log(CHUNKS[1][t]) + Math.log(CHUNKS[2][t])) / 3));
    Array.from(step.logProbs).forEach((lp, t) => expect(Math.exp(lp)).toBeCloseTo(expected[t], 12));
  });

  test('order is lost: the chunks in another order pool to the same distribution', () => {
    for (const pooling of ['average', 'lowestEntropy'] as const) {
      const forward = nbcePool(CHUNKS.map(log), log(UNCONDITIONAL), { pooling, beta: 0.25 });
      const reversed = nbcePool([...CHUNKS].reverse().map(log), log(UNCONDITIONAL), { pooling, beta: 0.25 });
      Array.from(forward.logProbs).forEach((lp, t) => expect(reversed.logProbs[t]).toBeCloseTo(lp, 12));
    }
  });

  test('logits of any offset give the same result (each row is log-softmaxed first)', () => {
    const a = nbcePool(CHUNKS.map(log), log(UNCONDITIONAL), { pooling: 'average', beta: 0.5 });
    const b = nbcePool(CHUNKS.map((p, k) => log(p).map((x) => x + 3 * k - 7)), log(UNCONDITIONAL).map((x) => x + 11), { pooling: 'average', beta: 0.5 });
    Array.from(a.logProbs).forEach((lp, t) => expect(b.logProbs[t]).toBeCloseTo(lp, 12));
  });

  test('bad settings are refused with a message', () => {
    expect(nbceOptionsProblem({ pooling: 'max' as never, beta: 0 })).toBe('pooling must be one of average, lowestEntropy. Received max.');
    expect(nbceOptionsProblem({ pooling: 'average', beta: -1 })).toBe('beta must be a number >= 0. Received -1.');
    expect(() => nbcePool([], log(UNCONDITIONAL), { pooling: 'average', beta: 0 })).toThrow('at least one chunk');
    expect(() => nbcePool([[0, 0]], log(UNCONDITIONAL), { pooling: 'average', beta: 0 })).toThrow('chunk 0 has 2 logits');
  });

  test('entropyOfLogProbs and argminOf', () => {
    expect(entropyOfLogProbs([0, -Infinity, -Infinity])).toBe(0);
    expect(entropyOfLogProbs(log([0.5, 0.5]))).toBeCloseTo(Math.log(2), 12);
    expect(argminOf([3, 1, 1, 2])).toBe(1);
  });

  test('chunkRanges covers the context in order, the last chunk shorter', () => {
    expect(chunkRanges(10, 4)).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(chunkRanges(8, 4)).toEqual([[0, 4], [4, 8]]);
    expect(() => chunkRanges(8, 0)).toThrow('chunkSize must be a whole number >= 1');
  });
});

// The generation loop against a float64 reference: every row run on its own by referenceForward
// (no padding, no cache), the pooling written out again here.
const config = tinyConfig({ max_position_embeddings: 24, bos_token_id: 1 });
const weights = randomWeights(config, 7, 0.25);
let model: LlamaModel;

beforeAll(async () => {
  await useBackend('wasm');
  model = LlamaModel.fromWeights(config, weights);
});
afterAll(() => model.dispose());

function referenceLastLogProbs(ids: number[], cfg = config): number[] {
  const { logits } = referenceForward(cfg, weights, ids);
  const row = logits[ids.length - 1];
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  return Array.from(row, (x) => x - lse);
}

/** Greedy NBCE in float64: rows = [question alone, each chunk + question], pooled at every step. */
function referenceNbce(rows: number[][], steps: number, pooling: 'average' | 'lowestEntropy', beta: number) {
  const generated: number[] = [];
  const probabilities: number[] = [];
  for (let step = 0; step < steps; step++) {
    const [unconditional, ...chunks] = rows.map((row) => referenceLastLogProbs([...row, ...generated]));
    const entropies = chunks.map((lp) => -lp.reduce((s, x) => s + Math.exp(x) * x, 0));
    const pooled = pooling === 'average'
      ? unconditional.map((_, t) => chunks.reduce((s, lp) => s + lp[t], 0) / chunks.length)
      : chunks[entropies.indexOf(Math.min(...entropies))];
    const probs = normalise(pooled.map((lp, t) => (beta + 1) * lp - beta * unconditional[t]));
    const next = probs.indexOf(Math.max(...probs));
    generated.push(next);
    probabilities.push(probs[next]);
  }
  return { generated, probabilities };
}

describe('longContextGenerate against the float64 reference', () => {
  const context = [5, 9, 2, 17, 30, 4, 4, 11, 8, 21, 3];
  const question = [12, 6];

  test('one chunk and beta = 0 is the plain model on context + question', async () => {
    const result = await longContextGenerate(model, context, question, { method: 'nbce', chunkSize: 16, pooling: 'lowestEntropy', beta: 0, maxNewTokens: 5 });
    expect(result.chunks).toEqual([[0, 11]]);
    expect(result.rows).toEqual([[1, ...question], [1, ...context, ...question]]);
    const plain = referenceNbce([[1, ...question], [1, ...context, ...question]], 5, 'lowestEntropy', 0);
    expect(result.newIds).toEqual(plain.generated);
    result.steps.forEach((step, i) => {
      expect(step.winner).toBe(0);
      // the plain model's own probability of its greedy token
      const lp = referenceLastLogProbs([1, ...context, ...question, ...plain.generated.slice(0, i)]);
      expect(step.probability).toBeCloseTo(Math.exp(Math.max(...lp)), 4);
    });
  });

  test('three chunks, both poolings, beta 0.5: tokens and probabilities as the reference', async () => {
    for (const pooling of ['lowestEntropy', 'average'] as const) {
      const result = await longContextGenerate(model, context, question, { method: 'nbce', chunkSize: 4, pooling, beta: 0.5, maxNewTokens: 4 });
      expect(result.chunks).toEqual([[0, 4], [4, 8], [8, 11]]);
      const expected = referenceNbce(result.rows, 4, pooling, 0.5);
      expect({ pooling, ids: result.newIds }).toEqual({ pooling, ids: expected.generated });
      result.steps.forEach((step, i) => expect(step.probability).toBeCloseTo(expected.probabilities[i], 4));
      expect(result.steps[0].chunkEntropies).toHaveLength(3);
    }
  });

  test('truncation keeps BOS and the last tokens that leave room for the new ones', async () => {
    const long = Array.from({ length: 30 }, (_, i) => (i * 5 + 3) % 32);
    const result = await longContextGenerate(model, long, question, { method: 'truncate', maxNewTokens: 4 });
    expect(result.rows[0]).toEqual([1, ...[...long, ...question].slice(-(24 - 4 - 1))]);
    const expected = referenceNbce([result.rows[0], result.rows[0]], 4, 'average', 0); // one row: the plain model
    expect(result.newIds).toEqual(expected.generated);
  });

  test('interpolation reads everything with positions divided by length / context', async () => {
    const long = Array.from({ length: 30 }, (_, i) => (i * 5 + 3) % 32);
    const result = await longContextGenerate(model, long, question, { method: 'interpolate', maxNewTokens: 3 });
    expect(result.factor).toBeCloseTo((1 + 30 + 2 + 3) / 24, 12);
    const scaled = { ...config, rope_scaling: { rope_type: 'linear' as const, factor: result.factor! }, max_position_embeddings: 48 };
    const generated: number[] = [];
    for (let i = 0; i < 3; i++) {
      const lp = referenceLastLogProbs([...result.rows[0], ...generated], scaled);
      generated.push(lp.indexOf(Math.max(...lp)));
    }
    expect(result.newIds).toEqual(generated);
  });

  test('refusals name the problem', async () => {
    await expect(longContextGenerate(model, context, [], { method: 'nbce', maxNewTokens: 2 })).rejects.toThrow('The question is empty');
    await expect(longContextGenerate(model, context, question, { method: 'nbce', chunkSize: 20, maxNewTokens: 4 })).rejects.toThrow(
      'A chunk of 20 tokens, the question\'s 2, BOS and 4 new tokens exceed the context of 24: chunks may hold at most 17.',
    );
    await expect(longContextGenerate(model, context, question, { method: 'nbce', beta: -1, maxNewTokens: 2 })).rejects.toThrow('beta must be a number >= 0');
  });
});
