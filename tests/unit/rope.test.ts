import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { LlamaModel } from '../../src/llama/model';
import type { LlamaConfig } from '../../src/llama/config';
import { inverseFrequencies, permuteInterleavedToRotateHalf, ropeBase, ropePartner, ropeTables } from '../../src/llama/rope';
import { layerWeightNames, type WeightMap } from '../../src/llama/weights';
import { useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights, relativeError } from './helpers/random-weights';

beforeAll(() => useBackend('cpu'));

/** rope(x) = x cos + partner(x) sin for one token at `position`; x: [1, heads * d]. */
function rotate(config: LlamaConfig, x: tf.Tensor2D, position: number): tf.Tensor2D {
  return tf.tidy(() => {
    const d = config.hidden_size / config.num_attention_heads;
    const { cos, sin } = ropeTables(config, x.shape[1] / d, 1, 1, { pastLength: position });
    return tf.add(tf.mul(x, cos), tf.mul(ropePartner(x, d, config.rope_layout, 1), sin));
  });
}

describe('ropeBase and inverseFrequencies', () => {
  test('theta_i = base^(-2i/d)', () => {
    const config = tinyConfig({ hidden_size: 32, num_attention_heads: 4, rope_theta: 10000 }); // d = 8
    expect([...inverseFrequencies(config, 10)]).toEqual([1, 0.10000000149011612, 0.009999999776482582, 0.0010000000474974513]);
  });

  test("dynamic NTK: base * (factor * len / original - (factor - 1))^(d/(d-2)) past the original context only", () => {
    const config = tinyConfig({ rope_theta: 10000, rope_scaling: { rope_type: 'dynamic', factor: 2, original_max_position_embeddings: 16 } }); // d = 4
    expect(ropeBase(config, 16)).toBe(10000);
    // len 32: 2 * 32/16 - 1 = 3; 3^(4/2) = 9
    expect(ropeBase(config, 32)).toBeCloseTo(90000, 6);
    expect(ropeBase(tinyConfig({ rope_scaling: { rope_type: 'linear', factor: 2 } }), 1000)).toBe(10000);
  });

  test('linear scaling (position interpolation) turns position 8 by the angles of position 2', () => {
    const scaled = ropeTables(tinyConfig({ rope_scaling: { rope_type: 'linear', factor: 4 } }), 2, 1, 1, { pastLength: 8 });
    const plain = ropeTables(tinyConfig(), 2, 1, 1, { pastLength: 2 });
    expect(scaled.cos.dataSync()).toEqual(plain.cos.dataSync());
    expect(scaled.sin.dataSync()).toEqual(plain.sin.dataSync());
    tf.dispose([scaled, plain] as unknown as tf.Tensor[]);
  });

  test('tables from position ids equal the tables computed from the past length', () => {
    const config = tinyConfig({ rope_layout: 'interleaved' });
    const fromIds = ropeTables(config, 3, 2, 2, { positionIds: tf.tensor2d([[5, 6], [5, 6]], undefined, 'int32'), seqLen: 7 });
    const fromPast = ropeTables(config, 3, 2, 2, { pastLength: 5 });
    expect(fromIds.cos.shape).toEqual([4, 12]);
    expect(relativeError(fromIds.cos.dataSync(), fromPast.cos.dataSync())).toBeLessThan(1e-6);
    expect(relativeError(fromIds.sin.dataSync(), fromPast.sin.dataSync())).toBeLessThan(1e-6);
  });
});

describe('rope = x cos + ropePartner(x) sin', () => {
  test('ropePartner pairs coordinates by layout, on activations and on weight rows', () => {
    const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]]); // two heads of d = 4
    expect([...ropePartner(x, 4, 'rotate_half', 1).dataSync()]).toEqual([-3, -4, 1, 2, -7, -8, 5, 6]);
    expect([...ropePartner(x, 4, 'interleaved', 1).dataSync()]).toEqual([-2, 1, -4, 3, -6, 5, -8, 7]);
    const rows = tf.tensor2d([1, 10, 2, 20, 3, 30, 4, 40], [4, 2]); // one head, 2 input columns
    expect([...ropePartner(rows, 4, 'interleaved', 0).dataSync()]).toEqual([-2, -20, 1, 10, -4, -40, 3, 30]);
    expect([...ropePartner(rows, 4, 'rotate_half', 0).dataSync()]).toEqual([-3, -30, -4, -40, 1, 10, 2, 20]);
  });

  test('interleaved rotates (x0, x1) as a complex number: (1, 0) at angle 1 -> (cos 1, sin 1)', () => {
    const config = tinyConfig({ hidden_size: 8, num_attention_heads: 2, rope_layout: 'interleaved' }); // d = 4
    const rotated = [...rotate(config, tf.tensor2d([[1, 0, 0, 1]]), 1).dataSync()];
    const slow = 1 / 100; // theta_1 = 10000^(-2/4)
    expect(rotated[0]).toBeCloseTo(Math.cos(1), 6);
    expect(rotated[1]).toBeCloseTo(Math.sin(1), 6);
    expect(rotated[2]).toBeCloseTo(-Math.sin(slow), 6);
    expect(rotated[3]).toBeCloseTo(Math.cos(slow), 6);
  });

  for (const layout of ['rotate_half', 'interleaved'] as const) {
    test(`${layout}: q_m . k_n depends only on m - n`, () => {
      const config = tinyConfig({ hidden_size: 32, num_attention_heads: 2, rope_layout: layout }); // d = 16
      const q = tf.randomNormal([1, 16], 0, 1, 'float32', 1) as tf.Tensor2D;
      const k = tf.randomNormal([1, 16], 0, 1, 'float32', 2) as tf.Tensor2D;
      const score = (m: number, n: number) => tf.tidy(() => tf.sum(tf.mul(rotate(config, q, m), rotate(config, k, n))).dataSync()[0]);
      for (const offset of [0, 1, 3, 7]) {
        const first = score(offset, 0);
        for (const start of [1, 5, 40]) expect(Math.abs(score(start + offset, start) - first)).toBeLessThan(1e-5);
      }
      // and it really does change with the offset
      expect(Math.abs(score(3, 0) - score(0, 0))).toBeGreaterThan(1e-3);
      q.dispose();
      k.dispose();
    });
  }
});

describe('permuteInterleavedToRotateHalf', () => {
  test('within each head, row 2i goes to i and row 2i+1 goes to i + d/2', () => {
    // 2 heads of d = 4, one column: row r holds the value r
    const rows = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...permuteInterleavedToRotateHalf(rows, 2, 4)]).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    const twoColumns = Float32Array.from([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
    expect([...permuteInterleavedToRotateHalf(twoColumns, 1, 4)]).toEqual([0, 0.5, 2, 2.5, 1, 1.5, 3, 3.5]);
    expect(() => permuteInterleavedToRotateHalf(new Float32Array(7), 2, 4)).toThrow(/not heads/);
  });

  test('an interleaved model and its permuted rotate_half twin give the same scores and logits', async () => {
    const interleaved = tinyConfig({ rope_layout: 'interleaved' });
    const weights = randomWeights(interleaved, 5);
    const permuted: WeightMap = new Map(weights);
    for (let layer = 0; layer < interleaved.num_hidden_layers; layer++) {
      const names = layerWeightNames(layer);
      for (const [name, heads] of [
        [names.q, interleaved.num_attention_heads],
        [names.k, interleaved.num_key_value_heads],
      ] as const) {
        const w = weights.get(name)!;
        permuted.set(name, { shape: w.shape, data: permuteInterleavedToRotateHalf(w.data, heads, 4) });
      }
    }
    const ids = [[1, 9, 4, 20, 7, 3]];
    const taps = ['layers.0.attn.scores', 'layers.1.attn.scores'] as const;
    const a = LlamaModel.fromWeights(interleaved, weights);
    const b = LlamaModel.fromWeights({ ...interleaved, rope_layout: 'rotate_half' }, permuted);
    const c = LlamaModel.fromWeights({ ...interleaved, rope_layout: 'rotate_half' }, weights);
    const outA = await a.run(ids, { taps: [...taps] });
    const outB = await b.run(ids, { taps: [...taps] });
    const outC = await c.run(ids, { taps: [...taps] });
    const finite = (x: Float32Array) => x.map((v) => (Number.isFinite(v) ? v : 0));
    for (const tap of taps) {
      expect(relativeError(finite(outB.taps[tap].data), finite(outA.taps[tap].data))).toBeLessThan(1e-5);
    }
    expect(relativeError(outB.logits.data, outA.logits.data)).toBeLessThan(1e-5);
    // without the permutation the layouts disagree
    expect(relativeError(outC.logits.data, outA.logits.data)).toBeGreaterThan(1e-2);
    [a, b, c].forEach((m) => m.dispose());
  });
});
