// timeMatmulChain (src/llama/matmulChain.ts) and its op (src/runtime/flopsOps.ts): the FLOP count,
// the chain's calibration rule, its bounds and refusals, and no leaked tensor. Times are never asserted.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, test } from 'vitest';
import { timeMatmulChain } from '../../src/llama/matmulChain';
import { timeMatmulChainOf } from '../../src/runtime/flopsOps';
import { TEST_BACKENDS, useBackend } from './helpers/backends';

afterAll(async () => {
  await useBackend('cpu');
});

describe.each(TEST_BACKENDS)('timeMatmulChain on %s', (backend) => {
  test('reports 2mkn for one product, a power-of-two chain within maxChain, and frees its tensors', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const timing = await timeMatmulChain(3, 5, 7, { reps: 2, minMs: 1, maxChain: 64 });
    expect(tf.memory().numTensors).toBe(before);
    expect(timing).toMatchObject({ m: 3, k: 5, n: 7, flops: 210, reps: 2, backend });
    expect(Math.log2(timing.chain) % 1).toBe(0);
    expect(timing.chain).toBeLessThanOrEqual(64);
    expect(timing.ms).toBeGreaterThanOrEqual(0);
  });

  test('minMs 0 keeps a chain of one; maxChain 1 caps it at one whatever minMs', async () => {
    await useBackend(backend);
    expect((await timeMatmulChain(4, 4, 4, { reps: 1, minMs: 0 })).chain).toBe(1);
    expect((await timeMatmulChain(4, 4, 4, { reps: 1, minMs: 1e9, maxChain: 1 })).chain).toBe(1);
  });
});

describe('refusals', () => {
  test('bad sizes and options name the argument', async () => {
    await expect(timeMatmulChain(0, 4, 4)).rejects.toThrow('timeMatmulChain: m must be a positive integer. Received 0.');
    await expect(timeMatmulChain(4, 4, 4, { minMs: -1 })).rejects.toThrow('timeMatmulChain: minMs must be 0 or more. Received -1.');
  });

  test('the op refuses matrices beyond 2^24 values', async () => {
    await expect(timeMatmulChainOf({ m: 4096, k: 4096, n: 4096 })).rejects.toThrow(/^timeMatmulChain: \[4096, 4096\] × \[4096, 4096\] needs 50,331,648 values; at most 16,777,216/);
  });
});
