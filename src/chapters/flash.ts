/**
 * The arithmetic of the FlashAttention chapter (content/15-flash-attention.mdx) on plain arrays:
 * one head's q, k, v out of the model's taps, the online softmax of one row chunk by chunk, the
 * memory the backward pass keeps, and the figures the chapter cites. The tiled attention itself
 * and the HBM access counts are the engine's (src/llama/flashAttention.ts).
 *
 * Checked by tests/unit/flash-chapter.test.ts, on the shipped model's taps.
 */
import { softmax } from '../llama/math';
import type { PlainTensor } from '../llama/model';
import { layerTap, type TapName } from '../llama/taps';
import { kvHeadOf, tapHead } from './attention';

/** The chapter's default prompt (the step-through and the online-softmax figure). */
export const FLASH_PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside.';

/** The taps one layer's tiled attention needs: queries and keys after RoPE, values, and the engine's probabilities. */
export function flashTaps(layer: number): TapName[] {
  return [layerTap(layer, 'attn.q_rotated'), layerTap(layer, 'attn.k_rotated'), layerTap(layer, 'attn.v'), layerTap(layer, 'attn.probs')];
}

export interface HeadInputs {
  /** [tokens][d], after RoPE */
  q: number[][];
  /** the key/value head this query head reads: [tokens][d], keys after RoPE */
  k: number[][];
  v: number[][];
  /** the engine's softmax for this head: [tokens][tokens] */
  probs: number[][];
  /** which key/value head */
  kvHead: number;
}

/** One query head's q, its key/value head's k and v, and the engine's probabilities, from flashTaps(layer). */
export function headInputs(taps: Record<string, PlainTensor>, layer: number, head: number, heads: number, kvHeads: number): HeadInputs {
  const [q, k, v, probs] = flashTaps(layer).map((name) => {
    const tap = taps[name];
    if (!tap) throw new Error(`The forward pass did not return the tap ${name}.`);
    return tap;
  });
  const kvHead = kvHeadOf(head, heads, kvHeads);
  return { q: tapHead(q, head), k: tapHead(k, kvHead), v: tapHead(v, kvHead), probs: tapHead(probs, head), kvHead };
}

/** Standard attention's output from the engine's own probabilities: O = P V, [tokens][d]. */
export function probsTimesValues(probs: readonly (readonly number[])[], v: readonly (readonly number[])[]): number[][] {
  return probs.map((row) => {
    const out = new Array<number>(v[0].length).fill(0);
    row.forEach((p, j) => {
      for (let c = 0; c < out.length; c++) out[c] += p * v[j][c];
    });
    return out;
  });
}

export interface OnlineSoftmaxChunk {
  /** keys [start, end) */
  start: number;
  end: number;
  /** the chunk's largest score */
  chunkMax: number;
  /** m after the chunk */
  runningMax: number;
  /** e^(m_old − m_new): what the sum so far is multiplied by (1 when m did not grow) */
  rescale: number;
  /** ℓ after the chunk: Σ e^(s − m) over every score seen so far */
  runningSum: number;
}

export interface OnlineSoftmax {
  chunks: OnlineSoftmaxChunk[];
  /** e^(s − m) / ℓ with the final m and ℓ */
  probs: number[];
  /** the two-pass softmax (max first, then the normalised exponentials: src/llama/math.ts) */
  twoPass: number[];
  /** largest |online − two-pass| */
  maxDifference: number;
  /** Σ e^s with no maximum subtracted, in float32: Infinity once some s > 88.7 */
  naiveFloat32Sum: number;
}

/**
 * The softmax of one row of scores read in chunks of `chunk`, keeping only a running maximum m
 * and a running sum ℓ:  m_new = max(m, max chunk),  ℓ_new = ℓ e^(m − m_new) + Σ_chunk e^(s − m_new).
 * Scores of −Infinity (masked keys) add nothing.
 */
export function onlineSoftmax(scores: readonly number[], chunk: number): OnlineSoftmax {
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`The chunk must be a whole number of at least 1; received ${chunk}.`);
  if (scores.length === 0) throw new Error('The row has no scores.');
  const chunks: OnlineSoftmaxChunk[] = [];
  let runningMax = -Infinity;
  let runningSum = 0;
  for (let start = 0; start < scores.length; start += chunk) {
    const end = Math.min(scores.length, start + chunk);
    const part = scores.slice(start, end);
    const chunkMax = Math.max(...part);
    const newMax = Math.max(runningMax, chunkMax);
    const rescale = runningMax === -Infinity ? 1 : Math.exp(runningMax - newMax);
    let added = 0;
    for (const s of part) if (s !== -Infinity) added += Math.exp(s - newMax);
    runningSum = runningSum * rescale + added;
    runningMax = newMax;
    chunks.push({ start, end, chunkMax, runningMax, rescale, runningSum });
  }
  const probs = scores.map((s) => (s === -Infinity ? 0 : Math.exp(s - runningMax) / runningSum));
  const twoPass = Array.from(softmax(scores));
  let maxDifference = 0;
  probs.forEach((p, i) => (maxDifference = Math.max(maxDifference, Math.abs(p - twoPass[i]))));
  let naive = 0;
  for (const s of scores) if (s !== -Infinity) naive = Math.fround(naive + Math.fround(Math.exp(s)));
  return { chunks, probs, twoPass, maxDifference, naiveFloat32Sum: naive };
}

/**
 * What the backward pass needs from the forward, per batch: standard attention keeps P, one
 * number per query-key pair per head (N² · heads); FlashAttention keeps the output (which the
 * backward needs anyway) and one log-sum-exp per row (N · heads), and rebuilds P tile by tile.
 */
export function savedForBackward(n: number, heads: number, batch: number): { probs: number; logSumExp: number } {
  return { probs: batch * heads * n * n, logSumExp: batch * heads * n };
}

/**
 * SRAM of one A100 streaming multiprocessor, 192 KB (Dao et al. 2022, §2.1: "192KB of on-chip SRAM
 * per each of 108 streaming multiprocessors"), as a count of fp16 numbers: 98,304.
 */
export const A100_SRAM_FP16_NUMBERS = (192 * 1024) / 2;

/** Figures the chapter cites, with where they are in the papers. */
export const PAPER_FIGURES = {
  /** Dao et al. 2022, Fig. 2 (left): GPT-2 medium attention, forward + backward, seq 1024, d 64, 16 heads, batch 64, A100. */
  flashFig2: { standard: { gflops: 66.6, hbmGB: 35.3, ms: 35.1 }, flash: { gflops: 75.2, hbmGB: 4.4, ms: 11.7 } },
  /** Dao 2023 (FlashAttention-2), abstract: FlashAttention reached 25–40% of the A100's peak FLOPs/s; FlashAttention-2 about 2× faster, 50–73%; end to end up to 225 TFLOPs/s per A100 (72% model FLOPs utilisation). */
  flash2: { flash1Utilisation: [25, 40], speedup: 2, utilisation: [50, 73], trainingTflops: 225, mfu: 72 },
} as const;

/** "1.2 million", "35 thousand", "912": a count in words a reader can compare at a glance. */
export function countInWords(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toPrecision(3)} billion`;
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)} million`;
  if (value >= 1e4) return `${(value / 1e3).toPrecision(3)} thousand`;
  return value.toLocaleString('en-US');
}
