// The ranks of the in-browser data-parallel figure, run in Node as their workers run them.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allReduceGradients, allReduceLoss } from '../../src/llama/dataParallel';
import { LlamaModel } from '../../src/llama/model';
import { createRandom } from '../../src/llama/rng';
import { AdamW, PackedCorpus, trainStep } from '../../src/llama/train';
import type { WeightMap } from '../../src/llama/weights';
import { DataParallelRank, type RankSetup } from '../../src/runtime/dpRankOps';
import { useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';

const config = tinyConfig();
const random = createRandom(11);
const examples = Array.from({ length: 12 }, () => ({ ids: Array.from({ length: 14 }, () => 3 + Math.floor(random() * (config.vocab_size - 3))) }));
const setup = (rank: number, ranks: number, sameData = false): RankSetup => ({ rank, ranks, sameData, texts: [], batchSize: 4, seqLength: 8, seed: 5, maxGradNorm: 1 });

let weights: WeightMap;
beforeAll(async () => {
  await useBackend('cpu');
  const model = LlamaModel.init(config, 2);
  weights = model.toWeightMap();
  model.dispose();
});

/** K ranks, stepped together as the page's coordinator does. */
function group(ranks: number, sameData = false) {
  const members = Array.from({ length: ranks }, (_, rank) => DataParallelRank.fromExamples(config, weights, examples, setup(rank, ranks, sameData)));
  return {
    members,
    step(step: number, learningRate: number) {
      const replies = members.map((m) => m.gradients(step));
      const averaged = allReduceGradients(replies);
      const applied = members.map((m) => m.apply(averaged, learningRate));
      return { replies, loss: allReduceLoss(replies), applied };
    },
    dispose: () => members.forEach((m) => m.dispose()),
  };
}

describe('DataParallelRank', () => {
  const made: { dispose(): void }[] = [];
  afterAll(() => made.forEach((m) => m.dispose()));

  test('2 ranks take rows 0, 2 and 1, 3, and three steps track one model trained on the whole batch', () => {
    const pair = group(2);
    made.push(pair);
    const single = LlamaModel.fromWeights(config, weights, { trainable: true });
    const optimizer = new AdamW(single.params);
    const corpus = new PackedCorpus(examples);
    made.push({ dispose: () => (optimizer.dispose(), single.dispose()) });
    for (let step = 0; step < 3; step++) {
      const { replies, loss, applied } = pair.step(step, 1e-2);
      expect(replies.map((r) => r.rows)).toEqual([[0, 2], [1, 3]]);
      const whole = trainStep(single, optimizer, corpus.randomBatch(4, 8, 5, step), { learningRate: 1e-2, maxGradNorm: 1 });
      expect(loss).toBeCloseTo(whole.loss, 5);
      expect(applied[0].globalNorm).toBeCloseTo(whole.globalNorm, 4);
      // the copies stay bit-for-bit equal: they applied the same average
      expect(applied[1].fingerprint).toBe(applied[0].fingerprint);
    }
    // ... and their weights are the single model's, up to float32 rounding
    const rankWeights = pair.members[0].weights();
    let worst = 0;
    for (const [name, param] of single.params) {
      const mine = param.dataSync() as Float32Array;
      mine.forEach((w, i) => (worst = Math.max(worst, Math.abs(w - rankWeights.get(name)!.data[i]))));
    }
    expect(worst).toBeLessThan(1e-5);
    // the ranks' local losses differ: they saw different rows
    const { replies } = pair.step(3, 1e-2);
    expect(Math.abs(replies[0].loss - replies[1].loss)).toBeGreaterThan(1e-3);
  });

  test('a step leaves no tensor behind', () => {
    const pair = group(2);
    made.push(pair);
    pair.step(0, 1e-2); // the optimizer makes its moments on the first step
    const before = tf.memory().numTensors;
    pair.step(1, 1e-2);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('the same-data bug: every rank reports the same local loss, which the all-reduce returns', () => {
    const buggy = group(2, true);
    made.push(buggy);
    const { replies, loss } = buggy.step(0, 1e-2);
    expect(replies.map((r) => r.rows)).toEqual([[0, 2], [0, 2]]);
    expect(replies[1].loss).toBe(replies[0].loss);
    expect(loss).toBeCloseTo(replies[0].loss, 6);
  });

  test('refuses a batch that does not split over the ranks, and texts shorter than a row', () => {
    expect(() => DataParallelRank.fromExamples(config, weights, examples, { ...setup(0, 3), batchSize: 4 })).toThrow('A batch of 4 rows does not split evenly over 3 ranks.');
    expect(() => DataParallelRank.fromExamples(config, weights, [{ ids: [1, 2, 3] }], setup(0, 2))).toThrow('shorter than one row of 8 tokens');
  });
});
