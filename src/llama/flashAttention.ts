/**
 * FlashAttention on plain arrays: attention computed tile by tile with the online softmax, so the
 * N x N score matrix never exists in full, next to standard attention (the float64 reference), and
 * the slow-memory (HBM) traffic of both as the FlashAttention paper counts it.
 *
 *   Dao, Fu, Ermon, Rudra, Ré (2022), "FlashAttention: Fast and Memory-Efficient Exact Attention
 *   with IO-Awareness": Algorithm 0 (standard attention), Algorithm 1 (FlashAttention), Theorem 2
 *   (standard Θ(Nd + N²) HBM accesses, FlashAttention Θ(N² d² / M), for d ≤ M ≤ Nd).
 *   Dao (2023), "FlashAttention-2": the same maths with the loops swapped (query blocks outside).
 *
 * Matrices are rows of numbers: q [queries][d], k and v [keys][d]. Query row i sits at position
 * i + keys − queries (the queries are the last positions, as in a prefill), and with `causal` it
 * sees the keys at positions ≤ its own. No tfjs and no state: the chapter's widgets run it in the
 * page on the q, k, v taps of the model (src/llama/taps.ts).
 */
import { softmax } from './math';

export type Rows = readonly (ArrayLike<number>)[];

export interface AttentionOptions {
  /** Mask keys after the query's position. Default true (a decoder). */
  causal?: boolean;
  /** Multiplies q·k. Default 1/√d. */
  scale?: number;
}

/** Whether query row `row` (of `queries`) may see key `key` (of `keys`). */
export function keyVisible(row: number, key: number, queries: number, keys: number, causal: boolean): boolean {
  return !causal || key <= row + keys - queries;
}

function checkShapes(q: Rows, k: Rows, v: Rows): number {
  if (q.length === 0 || k.length === 0) throw new Error(`Attention needs at least one query and one key; received ${q.length} queries and ${k.length} keys.`);
  if (k.length !== v.length) throw new Error(`Attention needs as many values as keys; received ${k.length} keys and ${v.length} values.`);
  if (q.length > k.length) throw new Error(`The queries are the last positions, so there can be at most as many as keys; received ${q.length} queries and ${k.length} keys.`);
  const d = q[0].length;
  for (const [name, rows] of [['q', q], ['k', k], ['v', v]] as const) {
    for (const row of rows) if (row.length !== d) throw new Error(`Every row of q, k and v must have ${d} numbers; a row of ${name} has ${row.length}.`);
  }
  return d;
}

export interface StandardAttention {
  /** S = scale · Q Kᵀ, masked entries −Infinity: [queries][keys] */
  scores: number[][];
  /** P = softmax(S) row by row: [queries][keys] */
  probs: number[][];
  /** O = P V: [queries][d] */
  output: number[][];
}

/**
 * Standard attention, Algorithm 0 of the paper, in float64: the whole score matrix S, then its
 * softmax P (two passes over each row: the maximum, then the normalised exponentials), then P V.
 * The reference every tiled result is checked against.
 */
export function standardAttention(q: Rows, k: Rows, v: Rows, { causal = true, scale }: AttentionOptions = {}): StandardAttention {
  const d = checkShapes(q, k, v);
  const factor = scale ?? 1 / Math.sqrt(d);
  const scores = q.map((query, row) =>
    k.map((key, j) => {
      if (!keyVisible(row, j, q.length, k.length, causal)) return -Infinity;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += query[c] * key[c];
      return dot * factor;
    }),
  );
  const probs = scores.map((row) => Array.from(softmax(row)));
  const output = probs.map((row) => {
    const out = new Array<number>(d).fill(0);
    row.forEach((p, j) => {
      for (let c = 0; c < d; c++) out[c] += p * v[j][c];
    });
    return out;
  });
  return { scores, probs, output };
}

/**
 * Loop orders. 'kv-outer' is Algorithm 1 of FlashAttention (2022): for each block of keys and
 * values, sweep every block of queries, reading and writing that block's O, ℓ and m in HBM.
 * 'q-outer' is FlashAttention-2 (2023): for each block of queries, sweep the key/value blocks with
 * O, ℓ and m kept on chip, and write O (and the log-sum-exp) once at the end. (FlashAttention-2
 * also divides by ℓ only once, after the last tile; here both orders keep O normalised after every
 * tile, so that a snapshot is a real attention output over the keys seen so far.)
 */
export type LoopOrder = 'kv-outer' | 'q-outer';

export interface TiledOptions extends AttentionOptions {
  /** B_r: query rows per tile. */
  rowBlock: number;
  /** B_c: key columns per tile. */
  colBlock: number;
  /** float32 rounds every product, sum and exponential to single precision (Math.fround). Default float32. */
  precision?: 'float32' | 'float64';
  /** Default 'kv-outer' (Algorithm 1). */
  order?: LoopOrder;
  /** Keep a snapshot after every tile (the step-through figure). */
  trace?: boolean;
}

/** The state after one tile (one (i, j) pair of blocks). */
export interface TileStep {
  /** query block i and key block j (from 0) */
  rowBlock: number;
  colBlock: number;
  /** rows [rowStart, rowEnd) and keys [colStart, colEnd) of the tile */
  rowStart: number;
  rowEnd: number;
  colStart: number;
  colEnd: number;
  /** true when the causal mask hides every entry of the tile: it is not loaded or computed */
  skipped: boolean;
  /** per row of the tile: m̃, the tile's row maximum (−Infinity where the row sees none of its keys) */
  tileMax: number[];
  /** per row: the running maximum m after the tile */
  rowMax: number[];
  /** per row: the running sum ℓ after the tile (of e^(s − m) over every key seen so far) */
  rowSum: number[];
  /** per row: e^(m_old − m_new), how much the earlier sum and output shrink (1 when m did not grow) */
  rescale: number[];
  /** the tile's rows of the normalised output diag(ℓ)⁻¹ (Σ e^(s − m) v) so far: [rows][d] */
  output: number[][];
}

export interface HbmAccesses {
  /** numbers read from slow memory */
  reads: number;
  /** numbers written to slow memory */
  writes: number;
}

export interface TiledAttention {
  /** O: [queries][d] */
  output: number[][];
  /** final m per row */
  rowMax: number[];
  /** final ℓ per row */
  rowSum: number[];
  /** m + log ℓ per row: all the backward pass needs to rebuild P (FlashAttention-2 stores only this) */
  logSumExp: number[];
  /** the numbers this run moved to and from HBM, counted as its loop loads and stores them */
  hbm: HbmAccesses;
  /** tiles visited, including skipped ones */
  tiles: number;
  /** tiles the causal mask skipped */
  skippedTiles: number;
  /** every tile's snapshot, in loop order (only with `trace`) */
  steps: TileStep[];
}

/**
 * Tiled attention with the online softmax. For each tile S_ij = scale · Q_i K_jᵀ (B_r × B_c), each
 * row keeps a running maximum m and sum ℓ of exponentials; when a tile raises the maximum, what
 * was summed before is multiplied by e^(m_old − m_new), so every term ends up as e^(s − m_final):
 *
 *   m_new = max(m, m̃),   ℓ_new = e^(m − m_new) ℓ + e^(m̃ − m_new) ℓ̃,
 *   O_new = diag(ℓ_new)⁻¹ (diag(ℓ) e^(m − m_new) O + e^(m̃ − m_new) P̃ V_j)
 *
 * (Algorithm 1, lines 9 to 12). After the last tile O = softmax(S) V exactly, up to rounding. The
 * last tiles of a row or column are ragged when N is not a multiple of the block size.
 */
export function tiledAttention(q: Rows, k: Rows, v: Rows, options: TiledOptions): TiledAttention {
  const d = checkShapes(q, k, v);
  const { causal = true, precision = 'float32', order = 'kv-outer', trace = false } = options;
  const { rowBlock, colBlock } = options;
  for (const [name, size] of [['rowBlock', rowBlock], ['colBlock', colBlock]] as const) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`${name} must be a whole number of at least 1; received ${size}.`);
  }
  const round = precision === 'float32' ? Math.fround : (x: number) => x;
  const factor = round(options.scale ?? 1 / Math.sqrt(d));
  const queries = q.length;
  const keys = k.length;
  const rowBlocks = Math.ceil(queries / rowBlock);
  const colBlocks = Math.ceil(keys / colBlock);

  // The "HBM" state: O, ℓ and m for every row (Algorithm 1, line 2).
  const output = q.map(() => new Array<number>(d).fill(0));
  const rowSum = new Array<number>(queries).fill(0);
  const rowMax = new Array<number>(queries).fill(-Infinity);
  const hbm: HbmAccesses = { reads: 0, writes: 0 };
  const steps: TileStep[] = [];
  let skippedTiles = 0;

  const span = (block: number, size: number, total: number) => [block * size, Math.min(total, (block + 1) * size)] as const;
  /** A tile is skipped when even its last row cannot see its first key. */
  const tileHidden = (rowEnd: number, colStart: number) => !keyVisible(rowEnd - 1, colStart, queries, keys, causal);

  /** Lines 8 to 12 of Algorithm 1 for one tile: rows [r0, r1) against keys [c0, c1). */
  const visitTile = (i: number, j: number) => {
    const [r0, r1] = span(i, rowBlock, queries);
    const [c0, c1] = span(j, colBlock, keys);
    const skipped = tileHidden(r1, c0);
    const tileMax: number[] = [];
    const rescale: number[] = [];
    if (skipped) skippedTiles++;
    else {
      for (let r = r0; r < r1; r++) {
        // S_ij row: scale · q_r · k_c, masked to −Infinity after the query's position
        const scores: number[] = [];
        for (let c = c0; c < c1; c++) {
          if (!keyVisible(r, c, queries, keys, causal)) {
            scores.push(-Infinity);
            continue;
          }
          let dot = 0;
          for (let x = 0; x < d; x++) dot = round(dot + round(q[r][x] * k[c][x]));
          scores.push(round(dot * factor));
        }
        const localMax = Math.max(...scores); // m̃
        tileMax.push(localMax);
        if (localMax === -Infinity) {
          rescale.push(1); // the row sees no key of this tile: nothing changes
          continue;
        }
        const newMax = Math.max(rowMax[r], localMax);
        const shrinkOld = round(Math.exp(rowMax[r] - newMax)); // e^(m − m_new); 0 for the first tile
        const shrinkTile = round(Math.exp(localMax - newMax)); // e^(m̃ − m_new)
        let localSum = 0; // ℓ̃
        const weighted = new Array<number>(d).fill(0); // P̃ V_j for this row
        scores.forEach((s, offset) => {
          if (s === -Infinity) return;
          const p = round(Math.exp(round(s - localMax)));
          localSum = round(localSum + p);
          const value = v[c0 + offset];
          for (let x = 0; x < d; x++) weighted[x] = round(weighted[x] + round(p * value[x]));
        });
        const oldSum = rowSum[r];
        const newSum = round(round(shrinkOld * oldSum) + round(shrinkTile * localSum));
        for (let x = 0; x < d; x++) {
          const kept = round(round(oldSum * shrinkOld) * output[r][x]);
          output[r][x] = round(round(kept + round(shrinkTile * weighted[x])) / newSum);
        }
        rowSum[r] = newSum;
        rowMax[r] = newMax;
        rescale.push(shrinkOld);
      }
    }
    if (trace) {
      steps.push({
        rowBlock: i,
        colBlock: j,
        rowStart: r0,
        rowEnd: r1,
        colStart: c0,
        colEnd: c1,
        skipped,
        tileMax: skipped ? [] : tileMax,
        rowMax: rowMax.slice(r0, r1),
        rowSum: rowSum.slice(r0, r1),
        rescale: skipped ? [] : rescale,
        output: output.slice(r0, r1).map((row) => [...row]),
      });
    }
    return { r0, r1, c0, c1, skipped };
  };

  if (order === 'kv-outer') {
    hbm.writes += queries * d + 2 * queries; // line 2: O = 0, ℓ = 0, m = −∞ written to HBM
    for (let j = 0; j < colBlocks; j++) {
      const [c0, c1] = span(j, colBlock, keys);
      hbm.reads += 2 * (c1 - c0) * d; // line 6: K_j, V_j
      for (let i = 0; i < rowBlocks; i++) {
        const { r0, r1, skipped } = visitTile(i, j);
        if (skipped) continue;
        const rows = r1 - r0;
        hbm.reads += 2 * rows * d + 2 * rows; // line 8: Q_i, O_i, ℓ_i, m_i
        hbm.writes += rows * d + 2 * rows; // lines 12-13: O_i, ℓ_i, m_i
      }
    }
  } else {
    for (let i = 0; i < rowBlocks; i++) {
      const [r0, r1] = span(i, rowBlock, queries);
      hbm.reads += (r1 - r0) * d; // Q_i, once; O_i, ℓ_i, m_i start on chip
      for (let j = 0; j < colBlocks; j++) {
        const { c0, c1, skipped } = visitTile(i, j);
        if (!skipped) hbm.reads += 2 * (c1 - c0) * d; // K_j, V_j
      }
      hbm.writes += (r1 - r0) * d + (r1 - r0); // O_i and the log-sum-exp L_i, once
    }
  }

  const logSumExp = rowMax.map((m, r) => m + Math.log(rowSum[r]));
  return { output, rowMax, rowSum, logSumExp, hbm, tiles: rowBlocks * colBlocks, skippedTiles, steps };
}

/**
 * Grouped-query attention over every head: q [heads][queries][d], k and v [kvHeads][keys][d];
 * query head h reads key/value head floor(h / (heads / kvHeads)), as Hugging Face's repeat_kv.
 * Returns each head's result.
 */
export function tiledAttentionHeads(q: readonly Rows[], k: readonly Rows[], v: readonly Rows[], options: TiledOptions): TiledAttention[] {
  if (k.length === 0 || q.length % k.length !== 0 || k.length !== v.length) {
    throw new Error(`Grouped-query attention needs a whole number of query heads per key/value head; received ${q.length} query heads, ${k.length} key heads and ${v.length} value heads.`);
  }
  const group = q.length / k.length;
  return q.map((head, h) => tiledAttention(head, k[Math.floor(h / group)], v[Math.floor(h / group)], options));
}

/** Largest |a − b| over two matrices of the same shape. */
export function maxAbsDifference(a: Rows, b: Rows): number {
  let largest = 0;
  a.forEach((row, r) => {
    for (let c = 0; c < row.length; c++) largest = Math.max(largest, Math.abs(row[c] - b[r][c]));
  });
  return largest;
}

/**
 * HBM accesses of standard attention (Algorithm 0), counted line by line in numbers:
 * line 1 reads Q and K (2Nd) and writes S (N²); line 2 reads S and writes P (N² each); line 3 reads
 * P and V (N² + Nd) and writes O (Nd). In all 4Nd + 4N²: Θ(Nd + N²).
 */
export function standardHbmAccesses(n: number, d: number): HbmAccesses {
  return { reads: 2 * n * d + n * n + n * n + n * d, writes: n * n + n * n + n * d };
}

/** Algorithm 1, line 1: B_c = ⌈M / 4d⌉ and B_r = min(⌈M / 4d⌉, d), for an SRAM of M numbers. */
export function flashBlockSizes(sram: number, d: number): { rowBlock: number; colBlock: number } {
  const colBlock = Math.ceil(sram / (4 * d));
  return { rowBlock: Math.min(colBlock, d), colBlock };
}

/**
 * HBM accesses of FlashAttention (Algorithm 1, no mask) with SRAM of M numbers, counted line by
 * line: O, ℓ, m initialised in HBM (Nd + 2N writes); each element of K and V read once (2Nd);
 * then T_c = ⌈N / B_c⌉ passes, each reading all of Q, O, ℓ, m (2Nd + 2N) and writing O, ℓ, m
 * (Nd + 2N). So about T_c · 3Nd with T_c ≈ 4Nd / M: Θ(N² d² / M) (Theorem 2).
 */
export function flashHbmAccesses(n: number, d: number, sram: number): HbmAccesses {
  const { colBlock } = flashBlockSizes(sram, d);
  const passes = Math.ceil(n / colBlock);
  return {
    reads: 2 * n * d + passes * (2 * n * d + 2 * n),
    writes: n * d + 2 * n + passes * (n * d + 2 * n),
  };
}

/** reads + writes */
export function totalAccesses({ reads, writes }: HbmAccesses): number {
  return reads + writes;
}
