import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allReduceGradients, allReduceLoss, globalBatchSize, shardBatch, shardRows, weightsFingerprint } from '../../src/llama/dataParallel';
import { LlamaModel } from '../../src/llama/model';
import { createRandom } from '../../src/llama/rng';
import { lossAndGradients, type Batch } from '../../src/llama/train';
import { useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';

describe('shardRows', () => {
  test('rank k of K takes rows k, k + K, ... (DistributedSampler: indices[rank::K])', () => {
    const rows = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
    expect(shardRows(rows, 0, 2)).toEqual(['r0', 'r2', 'r4', 'r6']);
    expect(shardRows(rows, 1, 2)).toEqual(['r1', 'r3', 'r5', 'r7']);
    expect(shardRows(rows, 3, 4)).toEqual(['r3', 'r7']);
    expect(shardRows(rows, 0, 1)).toEqual(rows);
  });
  test('the "same data" bug gives every rank rank 0\'s rows', () => {
    const rows = ['r0', 'r1', 'r2', 'r3'];
    expect(shardRows(rows, 1, 2, { sameData: true })).toEqual(['r0', 'r2']);
    expect(shardRows(rows, 3, 4, { sameData: true })).toEqual(['r0']);
  });
  test('refuses a batch that does not split evenly, and a rank outside the group', () => {
    expect(() => shardRows([1, 2, 3], 0, 2)).toThrow('a batch of 3 rows does not split evenly over 2 ranks');
    expect(() => shardRows([1, 2], 2, 2)).toThrow('rank 2 is outside [0, 2)');
  });
});

describe('allReduceGradients (plain numbers)', () => {
  test('weights each rank by its counted targets', () => {
    // rank 0: 3 targets, mean gradient [1, 2]; rank 1: 1 target, mean gradient [5, -2]
    // (3 · [1, 2] + 1 · [5, -2]) / 4 = [2, 1]
    const [g] = allReduceGradients([
      { counted: 3, gradients: [new Float32Array([1, 2])] },
      { counted: 1, gradients: [new Float32Array([5, -2])] },
    ]);
    expect(Array.from(g)).toEqual([2, 1]);
    expect(allReduceLoss([{ loss: 2, counted: 3 }, { loss: 6, counted: 1 }])).toBe(3);
  });
  test('refuses ranks that disagree on the parameters', () => {
    expect(() => allReduceGradients([{ counted: 1, gradients: [new Float32Array(2)] }, { counted: 1, gradients: [new Float32Array(3)] }])).toThrow(
      'parameter 0 has 3 values on rank 1, 2 on rank 0',
    );
  });
  test('global batch = micro-batch × devices × accumulation', () => {
    expect(globalBatchSize(32, 2, 4)).toBe(256);
    expect(globalBatchSize(8, 1)).toBe(8);
  });
  test('the fingerprint tells equal weights from weights one bit apart', () => {
    const a = [new Float32Array([0.5, -1.25]), new Float32Array([3])];
    const b = [new Float32Array([0.5, -1.25]), new Float32Array([3])];
    const c = [new Float32Array([0.5, -1.25]), new Float32Array([3 + 2 ** -22])];
    expect(weightsFingerprint(a)).toBe(weightsFingerprint(b));
    expect(weightsFingerprint(a)).not.toBe(weightsFingerprint(c));
    expect(weightsFingerprint([])).toBe('811c9dc5'); // FNV-1a's offset basis: nothing hashed
  });
});

describe('data-parallel gradients on the model', () => {
  let model: LlamaModel;
  const config = tinyConfig();
  const random = createRandom(7);
  const row = () => Array.from({ length: 9 }, () => 1 + Math.floor(random() * (config.vocab_size - 1)));
  const rows = Array.from({ length: 4 }, row);
  // Unequal masks: rank 0 (rows 0, 2) counts 8 + 3 targets, rank 1 (rows 1, 3) counts 8 + 8.
  const lossMask = [Array(8).fill(1), Array(8).fill(1), [0, 0, 0, 0, 0, 1, 1, 1], Array(8).fill(1)];
  const batch: Batch = { inputs: rows.map((r) => r.slice(0, 8)), targets: rows.map((r) => r.slice(1)), lossMask };

  beforeAll(async () => {
    await useBackend('cpu');
    model = LlamaModel.init(config, 3, { trainable: true });
  });
  afterAll(() => model.dispose());

  /** Loss, counted targets and flat gradients (parameter order of model.params) of one batch. */
  const gradientsOf = (part: Batch) => {
    const { loss, grads } = lossAndGradients(model, part);
    const gradients = [...model.params.keys()].map((name) => Float32Array.from(grads[name].dataSync() as Float32Array));
    tf.dispose(Object.values(grads));
    return { loss, counted: part.lossMask.flat().reduce((a, b) => a + b, 0), gradients };
  };

  test('averaged gradients of 2 ranks equal one rank on the whole batch (1e-5)', () => {
    const whole = gradientsOf(batch);
    const ranks = [0, 1].map((rank) => gradientsOf(shardBatch(batch, rank, 2)));
    expect(ranks.map((r) => r.counted)).toEqual([11, 16]);
    const averaged = allReduceGradients(ranks);
    let largest = 0;
    let worst = 0;
    averaged.forEach((g, p) => {
      for (let i = 0; i < g.length; i++) {
        largest = Math.max(largest, Math.abs(whole.gradients[p][i]));
        worst = Math.max(worst, Math.abs(g[i] - whole.gradients[p][i]));
      }
    });
    expect(largest).toBeGreaterThan(1e-3); // the gradients are not all zero
    expect(worst).toBeLessThan(1e-5);
    expect(allReduceLoss(ranks)).toBeCloseTo(whole.loss, 5);
  });

  test('so does 4 ranks of one row each', () => {
    const whole = gradientsOf(batch);
    const averaged = allReduceGradients([0, 1, 2, 3].map((rank) => gradientsOf(shardBatch(batch, rank, 4))));
    const worst = Math.max(...averaged.map((g, p) => Math.max(...g.map((v, i) => Math.abs(v - whole.gradients[p][i])))));
    expect(worst).toBeLessThan(1e-5);
  });

  test('a plain mean of the ranks\' gradients is wrong when their shards count different targets', () => {
    const whole = gradientsOf(batch);
    const ranks = [0, 1].map((rank) => gradientsOf(shardBatch(batch, rank, 2)));
    const unweighted = allReduceGradients(ranks.map((r) => ({ ...r, counted: 1 })));
    const worst = Math.max(...unweighted.map((g, p) => Math.max(...g.map((v, i) => Math.abs(v - whole.gradients[p][i])))));
    expect(worst).toBeGreaterThan(1e-4);
  });

  test('with the same-data bug both ranks compute rank 0\'s loss, and the all-reduce returns it', () => {
    const ranks = [0, 1].map((rank) => gradientsOf(shardBatch(batch, rank, 2, { sameData: true })));
    expect(ranks[1].loss).toBe(ranks[0].loss);
    expect(allReduceLoss(ranks)).toBeCloseTo(ranks[0].loss, 6);
    const honest = [0, 1].map((rank) => gradientsOf(shardBatch(batch, rank, 2)));
    expect(Math.abs(honest[1].loss - honest[0].loss)).toBeGreaterThan(1e-3);
  });
});
