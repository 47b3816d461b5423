import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generate, generateBatch, type BeamStep } from '../../src/llama/generate';
import { LlamaModel } from '../../src/llama/model';
import { useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights } from './helpers/random-weights';
import { referenceForward, referenceGreedy } from '../../src/llama/reference';

const config = tinyConfig({ max_position_embeddings: 24, bos_token_id: 1 });
const weights = randomWeights(config, 99, 0.25);
let model: LlamaModel;

beforeAll(async () => {
  await useBackend('wasm');
  model = LlamaModel.fromWeights(config, weights);
});
afterAll(() => model.dispose());

/** Sum of log p(token | prefix) of the continuation, by the float64 reference. */
function continuationLogProb(prompt: number[], continuation: number[]): number {
  const { logits } = referenceForward(config, weights, [...prompt, ...continuation]);
  let total = 0;
  continuation.forEach((token, i) => {
    const row = logits[prompt.length - 1 + i];
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    total += row[token] - logSum;
  });
  return total;
}

describe('generate', () => {
  test('greedy matches the float64 reference', async () => {
    const result = await generate(model, [1, 7, 3], { maxNewTokens: 12, temperature: 0 });
    expect(result.newIds).toEqual(referenceGreedy(config, weights, [1, 7, 3], 12));
    expect(result.ids).toEqual([1, 7, 3, ...result.newIds]);
  });

  test('sampling is reproducible from the seed, and top-k 1 is greedy', async () => {
    const a = await generate(model, [1, 4], { maxNewTokens: 15, seed: 5, temperature: 1.5 });
    const b = await generate(model, [1, 4], { maxNewTokens: 15, seed: 5, temperature: 1.5 });
    const c = await generate(model, [1, 4], { maxNewTokens: 15, seed: 6, temperature: 1.5 });
    expect(a.newIds).toEqual(b.newIds);
    expect(a.newIds).not.toEqual(c.newIds);
    const topOne = await generate(model, [1, 4], { maxNewTokens: 15, seed: 5, topK: 1 });
    expect(topOne.newIds).toEqual(referenceGreedy(config, weights, [1, 4], 15));
  });

  test('onToken streams every token in order and returning false cancels', async () => {
    const streamed: number[] = [];
    const full = await generate(model, [1], { maxNewTokens: 10, doSample: false, onToken: (id) => void streamed.push(id) });
    expect(streamed).toEqual(full.newIds);
    const seen: number[] = [];
    const cancelled = await generate(model, [1], {
      maxNewTokens: 10,
      doSample: false,
      onToken: async (id) => {
        seen.push(id);
        return seen.length < 4;
      },
    });
    expect(cancelled.stopReason).toBe('cancelled');
    expect(cancelled.newIds).toEqual(full.newIds.slice(0, 4));
  });

  test('stops after the EOS token, and at the end of the context', async () => {
    const full = await generate(model, [1], { maxNewTokens: 10, doSample: false });
    const eos = full.newIds[2];
    const stopped = await generate(model, [1], { maxNewTokens: 10, doSample: false, eosTokenId: eos });
    expect(stopped.newIds).toEqual(full.newIds.slice(0, full.newIds.indexOf(eos) + 1));
    expect(stopped.stopReason).toBe('eos');
    const long = await generate(model, new Array(20).fill(5), { maxNewTokens: 10, doSample: false });
    expect(long.newIds).toHaveLength(4); // context 24 - prompt 20
    expect(long.stopReason).toBe('context');
  });

  test('an empty prompt means BOS alone', async () => {
    const result = await generate(model, [], { maxNewTokens: 3, doSample: false });
    expect(result.ids[0]).toBe(1);
    expect(result.newIds).toEqual(referenceGreedy(config, weights, [1], 3));
  });

  test('bad input gives a clear error', async () => {
    await expect(generate(model, new Array(25).fill(2), { maxNewTokens: 1 })).rejects.toThrow(
      "The prompt has 25 tokens but the model's context holds 24",
    );
    await expect(generate(model, [1, 40], { maxNewTokens: 1 })).rejects.toThrow('Token id 40 (row 0) is outside the vocabulary [0, 32)');
    await expect(generate(model, [1], { maxNewTokens: 1, temperature: -1 })).rejects.toThrow('temperature must be a number >= 0');
    await expect(generate(model, [1], { maxNewTokens: 1, topP: 1.5 })).rejects.toThrow('topP must be a number in (0, 1]');
    await expect(generate(model, [1], { maxNewTokens: -2 })).rejects.toThrow('maxNewTokens must be an integer >= 0');
    await expect(generate(model, [1], { maxNewTokens: 2, numBeams: 0 })).rejects.toThrow('numBeams must be an integer >= 1');
  });

  test('20 generate calls leave tf.memory().numTensors unchanged', async () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      await generate(model, [1, i % 30], { maxNewTokens: 3, seed: i, numBeams: i % 4 === 0 ? 2 : 1 });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('beam search', () => {
  test('one beam is greedy', async () => {
    const beam = await generate(model, [1, 9], { maxNewTokens: 6, numBeams: 1, doSample: false });
    expect(beam.newIds).toEqual(referenceGreedy(config, weights, [1, 9], 6));
  });

  test('with as many beams as the vocabulary, two steps are an exhaustive search', async () => {
    const prompt = [1, 9];
    const beam = await generate(model, prompt, { maxNewTokens: 2, numBeams: config.vocab_size });
    let best = { pair: [0, 0], logProb: -Infinity };
    for (let a = 0; a < config.vocab_size; a++) {
      for (let b = 0; b < config.vocab_size; b++) {
        const logProb = continuationLogProb(prompt, [a, b]);
        if (logProb > best.logProb) best = { pair: [a, b], logProb };
      }
    }
    expect(beam.newIds).toEqual(best.pair);
    expect(beam.score).toBeCloseTo(best.logProb / 2, 4);
  });

  test('3 beams find a continuation at least as likely as greedy', async () => {
    const prompt = [1, 2, 3];
    const beam = await generate(model, prompt, { maxNewTokens: 5, numBeams: 3 });
    const greedy = referenceGreedy(config, weights, prompt, 5);
    const beamLogProb = continuationLogProb(prompt, beam.newIds);
    expect(beamLogProb).toBeGreaterThanOrEqual(continuationLogProb(prompt, greedy) - 1e-6);
    expect(beam.score).toBeCloseTo(beamLogProb / 5, 4);
  });
});

describe('beam search, step by step (onBeamStep)', () => {
  const prompt = [1, 2, 3];
  test('every live beam of every step: its log-probability by the float64 reference, its parent row, and the final answer', async () => {
    const steps: BeamStep[] = [];
    const result = await generate(model, prompt, { maxNewTokens: 5, numBeams: 3, onBeamStep: (step) => void steps.push(step) });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
    // step 1: the three most likely first tokens, best first, all from the prompt's one row
    const first = Array.from({ length: config.vocab_size }, (_, token) => ({ token, logProb: continuationLogProb(prompt, [token]) }))
      .sort((a, b) => b.logProb - a.logProb)
      .slice(0, 3);
    expect(steps[0].beams.map((b) => b.tokens)).toEqual(first.map((f) => [f.token]));
    expect(steps[0].beams.map((b) => b.parent)).toEqual([0, 0, 0]);
    for (const [i, step] of steps.entries()) {
      expect(step.beams).toHaveLength(3);
      for (const beam of step.beams) {
        expect(beam.tokens).toHaveLength(step.step);
        expect(beam.logProb).toBeCloseTo(continuationLogProb(prompt, beam.tokens), 4);
        if (i > 0) expect(steps[i - 1].beams[beam.parent].tokens).toEqual(beam.tokens.slice(0, -1));
      }
      const logProbs = step.beams.map((b) => b.logProb);
      expect(logProbs).toEqual([...logProbs].sort((a, b) => b - a));
    }
    expect(steps[4].beams[0].tokens).toEqual(result.newIds);
  });

  test('returning false stops the search after that step', async () => {
    const steps: BeamStep[] = [];
    const result = await generate(model, prompt, { maxNewTokens: 8, numBeams: 2, onBeamStep: (step) => (steps.push(step), step.step < 2) });
    expect(steps).toHaveLength(2);
    expect(result.stopReason).toBe('cancelled');
    expect(result.newIds).toEqual(steps[1].beams[0].tokens);
  });
});

describe('generateBatch and padding', () => {
  const prompts = [
    [1, 5, 9, 2, 14],
    [1, 20],
    [1, 7, 7],
  ];

  test('left padding + attention mask + positions from the mask = each prompt alone', async () => {
    const alone = prompts.map((p) => referenceGreedy(config, weights, p, 6));
    const batch = await generateBatch(model, prompts, { paddingSide: 'left', useAttentionMask: true, usePositionIdsFromMask: true, maxNewTokens: 6 });
    expect(batch.input).toEqual([
      [1, 5, 9, 2, 14],
      [0, 0, 0, 1, 20],
      [0, 0, 1, 7, 7],
    ]);
    expect(batch.newIds).toEqual(alone);
    expect(batch.attentionMask[1]).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  test('left padding with the mask but plain 0..n positions: RoPE sees only offsets, so the tokens still match', async () => {
    const alone = prompts.map((p) => referenceGreedy(config, weights, p, 6));
    const batch = await generateBatch(model, prompts, { paddingSide: 'left', useAttentionMask: true, usePositionIdsFromMask: false, maxNewTokens: 6 });
    expect(batch.newIds[0]).toEqual(alone[0]); // the unpadded row is unaffected
    // RoPE only sees offsets, so shifting every position of a row by the same amount changes nothing
    expect(batch.newIds[1]).toEqual(alone[1]);
    expect(batch.newIds[2]).toEqual(alone[2]);
  });

  test('right padding without position fixes continues after the pads: different tokens', async () => {
    const alone = prompts.map((p) => referenceGreedy(config, weights, p, 6));
    const batch = await generateBatch(model, prompts, { paddingSide: 'right', useAttentionMask: true, usePositionIdsFromMask: false, maxNewTokens: 6 });
    expect(batch.input[1]).toEqual([1, 20, 0, 0, 0]);
    expect(batch.newIds[0]).toEqual(alone[0]);
    // row 1's first new token is predicted at the last pad, not after token 20
    expect(batch.newIds[1]).not.toEqual(alone[1]);
    expect(batch.newIds[2]).not.toEqual(alone[2]);
    // what it does equal: the reference continuing the padded row [1, 20, pad, pad, pad] with the pads masked
    const padded = referenceForward(config, weights, [1, 20, 0, 0, 0], { attentionMask: [1, 1, 0, 0, 0] }).logits[4];
    expect(batch.newIds[1][0]).toBe(padded.indexOf(Math.max(...padded)));
  });
});
