// The one softmax / log-softmax / per-token loss module, against values worked by hand, and its
// tfjs twin against it.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { logSoftmax, logSoftmaxAt, logSumExp, meanLoss, perplexity, softmax, tokenLogProbs, tokenLoss } from '../../src/llama/math';
import { targetLogProbs, tokenLosses } from '../../src/llama/tensorMath';
import { TEST_BACKENDS, useBackend } from './helpers/backends';

describe('math', () => {
  test('softmax: [0, ln 3] gives [1/4, 3/4]; -Infinity gives exactly 0; all -Infinity gives zeros', () => {
    expect(Array.from(softmax([0, Math.log(3)]))).toEqual([expect.closeTo(0.25, 15), expect.closeTo(0.75, 15)]);
    expect(Array.from(softmax([Math.log(3), -Infinity, 0]))).toEqual([expect.closeTo(0.75, 15), 0, expect.closeTo(0.25, 15)]);
    expect(Array.from(softmax([-Infinity, -Infinity]))).toEqual([0, 0]);
  });

  test('softmax and logSumExp do not overflow on large logits', () => {
    expect(Array.from(softmax([1000, 1000]))).toEqual([0.5, 0.5]);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 10);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
  });

  test('logSumExp of [ln 1, ln 3] is ln 4, also as a range inside a longer array', () => {
    expect(logSumExp([0, Math.log(3)])).toBeCloseTo(Math.log(4), 15);
    expect(logSumExp([50, 0, Math.log(3), 50], 1, 2)).toBeCloseTo(Math.log(4), 15);
  });

  test('logSoftmax, logSoftmaxAt and tokenLoss are logs of the softmax', () => {
    expect(Array.from(logSoftmax([0, Math.log(3)]))).toEqual([expect.closeTo(Math.log(0.25), 15), expect.closeTo(Math.log(0.75), 15)]);
    expect(logSoftmaxAt([9, 9, Math.log(3), 0], 0, 2, 2)).toBeCloseTo(Math.log(0.75), 14);
    expect(tokenLoss([0, Math.log(3)], 0)).toBeCloseTo(Math.log(4), 15);
  });

  test('tokenLogProbs reads row t - 1 for token t; meanLoss and perplexity follow', () => {
    const vocab = 2;
    // row 0 predicts token 1: p = [1/4, 3/4]; row 1 predicts token 2: p = [4/5, 1/5]
    const logits = [0, Math.log(3), Math.log(4), 0, 7, 7];
    const values = tokenLogProbs(logits, vocab, [1, 1, 0]);
    expect(values).toEqual([expect.closeTo(Math.log(0.75), 14), expect.closeTo(Math.log(0.8), 14)]);
    expect(tokenLogProbs(logits, vocab, [1, 1, 0], 2)).toEqual([values[1]]);
    const loss = meanLoss(values);
    expect(loss).toBeCloseTo(-(Math.log(0.75) + Math.log(0.8)) / 2, 14);
    expect(perplexity(loss)).toBeCloseTo(1 / Math.sqrt(0.75 * 0.8), 12);
    expect(meanLoss([])).toBeNaN();
  });
});

describe.each(TEST_BACKENDS)('tensorMath on %s', (backend) => {
  test('targetLogProbs and tokenLosses agree with the float64 logSoftmaxAt at every position', async () => {
    await useBackend(backend);
    const data = [
      [[0, Math.log(3), -2], [5, -5, 1]],
      [[2, 2, 2], [0.5, -1, 30]],
    ];
    const targets = [[1, 2], [0, 2]];
    const logits = tf.tensor3d(data);
    const targetTensor = tf.tensor2d(targets, undefined, 'int32');
    const before = tf.memory().numTensors;
    const logProbs = targetLogProbs(logits, targetTensor);
    const losses = tokenLosses(logits, targetTensor);
    expect(logProbs.shape).toEqual([2, 2]);
    const expected = data.flatMap((row, b) => row.map((position, t) => logSoftmaxAt(position, targets[b][t])));
    Array.from(logProbs.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    Array.from(losses.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(-expected[i], 5));
    tf.dispose([logProbs, losses]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, targetTensor]);
    await useBackend('cpu');
  });
});
