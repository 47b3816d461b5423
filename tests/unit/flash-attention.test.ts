// src/llama/flashAttention.ts: tiled attention with the online softmax equals standard attention
// (the float64 reference) for many tile sizes, ragged last tiles, the causal mask, queries that
// are only the last positions, both loop orders and grouped-query heads; the trace's running max
// and sum; and the HBM access counts against Algorithm 0 / Algorithm 1 counted by hand.
import { describe, expect, test } from 'vitest';
import {
  flashBlockSizes,
  flashHbmAccesses,
  maxAbsDifference,
  standardAttention,
  standardHbmAccesses,
  tiledAttention,
  tiledAttentionHeads,
  totalAccesses,
  type LoopOrder,
} from '../../src/llama/flashAttention';
import { createRandom, randomNormal } from '../../src/llama/rng';

function randomRows(rows: number, d: number, seed: number, spread = 1): number[][] {
  const random = createRandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: d }, () => spread * randomNormal(random)));
}

describe('standardAttention (the float64 reference)', () => {
  test('a hand-computed causal case: softmax of [2, 0] weighs the values e²:1', () => {
    const { scores, probs, output } = standardAttention([[1], [2]], [[1], [0]], [[1], [3]], { scale: 1 });
    expect(scores).toEqual([[1, -Infinity], [2, 0]]);
    expect(probs[0]).toEqual([1, 0]);
    const e2 = Math.exp(2);
    expect(probs[1][0]).toBeCloseTo(e2 / (e2 + 1), 15);
    expect(output[0][0]).toBe(1);
    expect(output[1][0]).toBeCloseTo((e2 + 3) / (e2 + 1), 14);
  });

  test('the default scale is 1/√d, and queries that are the last positions see every earlier key', () => {
    const { scores } = standardAttention([[1, 1]], [[1, 0], [0, 2], [3, 3]], [[0, 0], [0, 0], [0, 0]]);
    expect(scores[0]).toEqual([1 / Math.SQRT2, 2 / Math.SQRT2, 6 / Math.SQRT2]);
  });

  test('refuses shapes that do not fit', () => {
    expect(() => standardAttention([[1, 2]], [[1, 2]], [])).toThrow('Attention needs as many values as keys; received 1 keys and 0 values.');
    expect(() => standardAttention([[1, 2], [1, 2]], [[1, 2]], [[1, 2]])).toThrow('at most as many as keys');
    expect(() => standardAttention([[1, 2]], [[1]], [[1, 2]])).toThrow('Every row of q, k and v must have 2 numbers; a row of k has 1.');
  });
});

describe('tiledAttention equals standard attention', () => {
  const n = 13;
  const d = 8;
  // scores of a few units, like a real head's (spread 1.5 gives |s| up to about 10)
  const q = randomRows(n, d, 1, 1.5);
  const k = randomRows(n, d, 2, 1.5);
  const v = randomRows(n, d, 3);
  const tileSizes: [number, number][] = [[1, 1], [4, 4], [3, 5], [5, 3], [2, 7], [13, 13], [16, 20], [13, 1], [1, 13]];

  for (const causal of [true, false]) {
    for (const order of ['kv-outer', 'q-outer'] as LoopOrder[]) {
      test(`float32, ${causal ? 'causal' : 'no mask'}, ${order}: within 1e-5 for B_r × B_c in ${tileSizes.map(([r, c]) => `${r}×${c}`).join(', ')}`, () => {
        const reference = standardAttention(q, k, v, { causal });
        for (const [rowBlock, colBlock] of tileSizes) {
          const tiled = tiledAttention(q, k, v, { rowBlock, colBlock, causal, order });
          const difference = maxAbsDifference(tiled.output, reference.output);
          expect({ rowBlock, colBlock, ok: difference < 1e-5 }).toEqual({ rowBlock, colBlock, ok: true });
          // float32 rounding is really there: the result is not the float64 one bit for bit
          if (rowBlock === 3) expect(difference).toBeGreaterThan(1e-9);
        }
      });
    }
  }

  test('float64 tiles agree with the reference to 1e-12: the tiling itself is exact', () => {
    const reference = standardAttention(q, k, v);
    for (const [rowBlock, colBlock] of tileSizes) {
      expect(maxAbsDifference(tiledAttention(q, k, v, { rowBlock, colBlock, precision: 'float64' }).output, reference.output)).toBeLessThan(1e-12);
    }
  });

  test('the final m and ℓ are each row’s maximum score and Σ e^(s − max); log-sum-exp is m + log ℓ', () => {
    const reference = standardAttention(q, k, v);
    const tiled = tiledAttention(q, k, v, { rowBlock: 3, colBlock: 4, precision: 'float64' });
    reference.scores.forEach((row, r) => {
      const max = Math.max(...row);
      expect(tiled.rowMax[r]).toBeCloseTo(max, 12);
      expect(tiled.rowSum[r]).toBeCloseTo(row.reduce((sum, s) => sum + Math.exp(s - max), 0), 12);
      expect(tiled.logSumExp[r]).toBeCloseTo(Math.log(row.reduce((sum, s) => sum + Math.exp(s), 0)), 12);
    });
  });

  test('queries that are only the last 5 of 13 positions (a cached prefix): causal, ragged tiles', () => {
    const last = q.slice(8);
    const reference = standardAttention(last, k, v);
    expect(reference.probs[0].slice(9)).toEqual([0, 0, 0, 0]); // query 0 is position 8
    for (const [rowBlock, colBlock] of [[2, 3], [5, 13], [1, 4]] as const) {
      expect(maxAbsDifference(tiledAttention(last, k, v, { rowBlock, colBlock }).output, reference.output)).toBeLessThan(1e-5);
    }
  });

  test('large scores (|s| up to 75) stay finite: the running maximum keeps every exponential ≤ 1', () => {
    const big = q.map((row) => row.map((x) => x * 10));
    const reference = standardAttention(big, k, v);
    expect(Math.max(...reference.scores.flat().filter(Number.isFinite).map(Math.abs))).toBeGreaterThan(70);
    const tiled = tiledAttention(big, k, v, { rowBlock: 4, colBlock: 3 });
    expect(maxAbsDifference(tiled.output, reference.output)).toBeLessThan(1e-5);
  });

  test('refuses block sizes that are not whole numbers ≥ 1', () => {
    expect(() => tiledAttention(q, k, v, { rowBlock: 0, colBlock: 4 })).toThrow('rowBlock must be a whole number of at least 1; received 0.');
    expect(() => tiledAttention(q, k, v, { rowBlock: 2, colBlock: 2.5 })).toThrow('colBlock must be a whole number of at least 1; received 2.5.');
  });
});

describe('the trace of the tiles', () => {
  const n = 8;
  const q = randomRows(n, 4, 11, 2);
  const k = randomRows(n, 4, 12, 2);
  const v = randomRows(n, 4, 13);

  test('causal, 8 rows in 2×2 tiles: 16 tiles, the 6 above the diagonal skipped and never loaded', () => {
    const tiled = tiledAttention(q, k, v, { rowBlock: 2, colBlock: 2, trace: true });
    expect(tiled.tiles).toBe(16);
    expect(tiled.skippedTiles).toBe(6);
    expect(tiled.steps.filter((s) => s.skipped).map((s) => [s.rowBlock, s.colBlock])).toEqual([[0, 1], [0, 2], [1, 2], [0, 3], [1, 3], [2, 3]]);
    // Algorithm 1's order: key blocks outside, so the first four steps are key block 0
    expect(tiled.steps.slice(0, 4).map((s) => [s.rowBlock, s.colBlock])).toEqual([[0, 0], [1, 0], [2, 0], [3, 0]]);
  });

  test('each row’s running max only grows, the rescale factor is e^(m_old − m_new), and the last snapshot is the output', () => {
    const tiled = tiledAttention(q, k, v, { rowBlock: 3, colBlock: 2, trace: true, precision: 'float64', order: 'q-outer' });
    const reference = standardAttention(q, k, v);
    let rescaled = 0;
    for (let block = 0; block < 3; block++) {
      const steps = tiled.steps.filter((s) => s.rowBlock === block && !s.skipped);
      for (let t = 1; t < steps.length; t++) {
        steps[t].rowMax.forEach((m, r) => {
          const before = steps[t - 1].rowMax[r];
          expect(m).toBeGreaterThanOrEqual(before);
          if (steps[t].tileMax[r] !== -Infinity) expect(steps[t].rescale[r]).toBeCloseTo(Math.exp(before - m), 14);
          if (steps[t].rescale[r] < 1) rescaled++;
        });
      }
      const last = steps[steps.length - 1];
      expect(maxAbsDifference(last.output, reference.output.slice(last.rowStart, last.rowEnd))).toBeLessThan(1e-12);
    }
    expect(rescaled).toBeGreaterThan(0); // some tile raised a row's maximum
  });
});

describe('grouped-query heads', () => {
  test('4 query heads on 2 key/value heads: heads 0, 1 read KV head 0 and heads 2, 3 read KV head 1', () => {
    const n = 9;
    const d = 4;
    const qs = [0, 1, 2, 3].map((h) => randomRows(n, d, 20 + h));
    const ks = [0, 1].map((h) => randomRows(n, d, 30 + h));
    const vs = [0, 1].map((h) => randomRows(n, d, 40 + h));
    const heads = tiledAttentionHeads(qs, ks, vs, { rowBlock: 4, colBlock: 3 });
    heads.forEach((head, h) => {
      const kv = Math.floor(h / 2);
      expect(maxAbsDifference(head.output, standardAttention(qs[h], ks[kv], vs[kv]).output)).toBeLessThan(1e-5);
      expect(maxAbsDifference(head.output, standardAttention(qs[h], ks[1 - kv], vs[1 - kv]).output)).toBeGreaterThan(1e-2);
    });
    expect(() => tiledAttentionHeads(qs, ks.slice(0, 1).concat(ks), vs, { rowBlock: 1, colBlock: 1 })).toThrow('received 4 query heads, 3 key heads and 2 value heads.');
  });
});

describe('HBM accesses', () => {
  test('standard attention, Algorithm 0, N = 4, d = 2: reads 2Nd + N² + N² + Nd = 56, writes N² + N² + Nd = 40', () => {
    expect(standardHbmAccesses(4, 2)).toEqual({ reads: 56, writes: 40 });
    // N = 1024, d = 64: 4Nd + 4N²
    expect(totalAccesses(standardHbmAccesses(1024, 64))).toBe(4 * 65_536 + 4 * 1_048_576);
  });

  test('block sizes of Algorithm 1: B_c = ⌈M/4d⌉, B_r = min(B_c, d)', () => {
    expect(flashBlockSizes(98_304, 64)).toEqual({ colBlock: 384, rowBlock: 64 });
    expect(flashBlockSizes(8, 2)).toEqual({ colBlock: 1, rowBlock: 1 });
    expect(flashBlockSizes(100, 4)).toEqual({ colBlock: 7, rowBlock: 4 });
  });

  test('FlashAttention by hand: N = 4, d = 2, M = 8 (B_c = 1, four passes) costs more than standard; N = 1024, d = 64, M = 98,304 costs 5.6× less', () => {
    // reads: K, V once (16) + 4 passes × (Q, O: 16, ℓ, m: 8) = 112; writes: init 8 + 8, then 4 × (O 8 + ℓ, m 8) = 80
    expect(flashHbmAccesses(4, 2, 8)).toEqual({ reads: 112, writes: 80 });
    // T_c = ⌈1024 / 384⌉ = 3: reads 2·65,536 + 3·(2·65,536 + 2·1,024), writes 65,536 + 2,048 + 3·(65,536 + 2,048)
    expect(flashHbmAccesses(1024, 64, 98_304)).toEqual({ reads: 530_432, writes: 270_336 });
    expect(totalAccesses(standardHbmAccesses(1024, 64)) / totalAccesses(flashHbmAccesses(1024, 64, 98_304))).toBeCloseTo(5.565, 3);
  });

  test('the counts the tiled loop makes equal the formula (no mask, blocks from M), ragged last blocks included', () => {
    for (const [n, d, sram] of [[37, 4, 40], [20, 3, 12], [16, 2, 32], [9, 5, 1000]] as const) {
      const { rowBlock, colBlock } = flashBlockSizes(sram, d);
      const q = randomRows(n, d, n);
      const run = tiledAttention(q, q, q, { rowBlock, colBlock, causal: false });
      expect({ n, d, sram, hbm: run.hbm }).toEqual({ n, d, sram, hbm: flashHbmAccesses(n, d, sram) });
    }
  });

  test('FlashAttention-2’s order, N = 4, d = 2, 2×2 tiles: Q read once (8), K and V once per query block (2 × 16), O and L written once (8 + 4)', () => {
    const q = randomRows(4, 2, 5);
    expect(tiledAttention(q, q, q, { rowBlock: 2, colBlock: 2, causal: false, order: 'q-outer' }).hbm).toEqual({ reads: 40, writes: 12 });
    // causal: query block 0 skips key block 1, so K_1 and V_1 are read only once
    expect(tiledAttention(q, q, q, { rowBlock: 2, colBlock: 2, order: 'q-outer' }).hbm).toEqual({ reads: 32, writes: 12 });
  });

  test('Θ(N² d² / M): for large N the count over N² d² / M tends to 4(3d + 4)/d (= 12.25 at d = 64), and standard over N² to 4', () => {
    const d = 64;
    const sram = 98_304; // B_c = 384
    const ratio = (n: number) => totalAccesses(flashHbmAccesses(n, d, sram)) / ((n * n * d * d) / sram);
    expect(ratio(384 * 16_384)).toBeCloseTo(12.25, 2);
    // from above: the Nd terms (K and V read once, the initial writes) fade as N grows
    expect(ratio(384 * 64)).toBeGreaterThan(ratio(384 * 1024));
    expect(ratio(384 * 1024)).toBeGreaterThan(ratio(384 * 16_384));
    expect(totalAccesses(standardHbmAccesses(1 << 20, d)) / (1 << 20) ** 2).toBeCloseTo(4, 3);
  });
});
