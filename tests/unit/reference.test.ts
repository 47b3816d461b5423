// The float64 reference's building blocks against values worked by hand, so the reference that
// the engine is checked against is itself checked.
import { describe, expect, test } from 'vitest';
import { attendHead, matVec, rmsNorm, rope } from '../../src/llama/reference';
import { tinyConfig } from './helpers/configs';

describe('reference building blocks', () => {
  test('matVec multiplies a row-major [out, in] matrix by a vector', () => {
    expect(Array.from(matVec(Float64Array.from([1, 2, 3, 4, 5, 6]), Float64Array.from([1, 0, -1]), 2))).toEqual([-2, -2]);
  });

  test('rmsNorm divides by the root mean square, then scales by the weight', () => {
    // mean of 3^2 and 4^2 is 12.5
    const out = rmsNorm(Float64Array.from([3, 4]), Float64Array.from([1, 2]), 0);
    expect(out[0]).toBeCloseTo(3 / Math.sqrt(12.5), 14);
    expect(out[1]).toBeCloseTo((2 * 4) / Math.sqrt(12.5), 14);
  });

  test('rope turns pair 0 by the position in radians and pair i by position * base^(-2i/d)', () => {
    const config = tinyConfig({ rope_theta: 100 });
    // d = 4, rotate_half pairs (0, 2) and (1, 3); pair 1 turns by 3 * 100^(-1/2) = 0.3 rad
    const out = rope(Float64Array.from([1, 1, 0, 0]), 3, config, 4);
    expect(Array.from(out)).toEqual([Math.cos(3), Math.cos(0.3), Math.sin(3), Math.sin(0.3)].map((v) => expect.closeTo(v, 14)));
    const interleaved = rope(Float64Array.from([1, 0, 1, 0]), 3, { ...config, rope_layout: 'interleaved' }, 4);
    expect(Array.from(interleaved)).toEqual([Math.cos(3), Math.sin(3), Math.cos(0.3), Math.sin(0.3)].map((v) => expect.closeTo(v, 14)));
  });

  test('attendHead: scaled dot products, softmax over the visible keys, weighted sum of values', () => {
    const q = Float64Array.from([2, 0, 0, 0]); // d = 4, so scores are q.k / 2
    const keys = [Float64Array.from([0, 0, 0, 0]), Float64Array.from([Math.log(3), 0, 0, 0]), Float64Array.from([9, 0, 0, 0])];
    const values = [Float64Array.from([1, 0, 0, 0]), Float64Array.from([0, 1, 0, 0]), Float64Array.from([0, 0, 1, 0])];
    const { scores, probs, out } = attendHead(q, keys, values, (key) => key < 2);
    expect(scores).toEqual([0, expect.closeTo(Math.log(3), 14), -Infinity]);
    expect(probs).toEqual([expect.closeTo(0.25, 14), expect.closeTo(0.75, 14), 0]);
    expect(Array.from(out)).toEqual([expect.closeTo(0.25, 14), expect.closeTo(0.75, 14), 0, 0]);
    // a query with nothing visible (left padding) gets an all-zero row, never NaN
    expect(attendHead(q, keys, values, () => false).probs).toEqual([0, 0, 0]);
  });
});
