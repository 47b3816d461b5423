/**
 * The "Mask it" widget of the attention chapter: which keys each query may see, as a 0/1 matrix
 * the engine takes as `queryKeyMask` in place of its causal rule, and what changes when a reader
 * switches the mask off or edits it.
 *
 *   causal   M[q][k] = 1 when k <= q (how the model was trained)
 *   none     M[q][k] = 1 for every k (each token also sees the tokens after it)
 *   edited   the causal matrix with the reader's cells flipped
 *
 * The URL keeps an edited mask as its flips: "5-6,3-1" flips (query 5, key 6) and (3, 1).
 * Checked by tests/unit/attention-mask.test.ts.
 */
import { argmax, tokenLoss } from './attention';

export const MASK_MODES = ['causal', 'none', 'edited'] as const;
export type MaskMode = (typeof MASK_MODES)[number];

/** The widget's default prompt: a story opening in the corpus's style, 21 tokens with <s>. */
export const MASK_PROMPT = 'Once upon a time, there was a girl named Mia. Mia had a red ball.';

/** Longest prompt whose mask the widget lets the reader edit cell by cell (a 32 x 32 grid). */
export const MAX_EDIT_TOKENS = 32;

export type Flip = readonly [query: number, key: number];

/** The causal matrix: row q sees keys 0..q. */
export function causalMask(n: number): number[][] {
  return Array.from({ length: n }, (_, q) => Array.from({ length: n }, (_, k) => (k <= q ? 1 : 0)));
}

/**
 * Reads "q-k,q-k" flips for an n-token prompt. Flips outside the grid, repeated ones and ones
 * that would leave a row with no visible key are dropped, each with a message saying why.
 */
export function parseFlips(text: string, n: number): { flips: Flip[]; problems: string[] } {
  const flips: Flip[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\d+)-(\d+)$/.exec(part);
    if (!match) {
      problems.push(`“${part}” is not a cell (expected query-key, such as 5-6).`);
      continue;
    }
    const [query, key] = [Number(match[1]), Number(match[2])];
    if (query >= n || key >= n) {
      problems.push(`Cell ${query}-${key} is outside this ${n}-token prompt.`);
      continue;
    }
    const id = `${query}-${key}`;
    if (seen.has(id)) continue;
    const next = applyFlips(causalMask(n), [...flips, [query, key]]);
    if (next[query].every((v) => v === 0)) {
      problems.push(`Cell ${id} would leave token ${query} with nothing to look at; the softmax needs at least one key.`);
      continue;
    }
    seen.add(id);
    flips.push([query, key]);
  }
  return { flips, problems };
}

export function formatFlips(flips: readonly Flip[]): string {
  return flips.map(([q, k]) => `${q}-${k}`).join(',');
}

/** A copy of `mask` with each listed cell flipped (0 <-> 1). */
export function applyFlips(mask: readonly (readonly number[])[], flips: readonly Flip[]): number[][] {
  const out = mask.map((row) => [...row]);
  for (const [q, k] of flips) out[q][k] = 1 - out[q][k];
  return out;
}

/** Adds the cell to the flips, or removes it when it is already there. */
export function toggleFlip(flips: readonly Flip[], query: number, key: number): Flip[] {
  const without = flips.filter(([q, k]) => q !== query || k !== key);
  return without.length < flips.length ? without : [...flips, [query, key]];
}

export function maskFor(mode: MaskMode, n: number, flips: readonly Flip[]): number[][] {
  if (mode === 'none') return Array.from({ length: n }, () => new Array<number>(n).fill(1));
  if (mode === 'edited') return applyFlips(causalMask(n), flips);
  return causalMask(n);
}

/** Cells where a query sees a later key: the "future" the causal mask hides. */
export function futureCells(mask: readonly (readonly number[])[]): Flip[] {
  const cells: Flip[] = [];
  mask.forEach((row, q) => row.forEach((v, k) => v && k > q && cells.push([q, k])));
  return cells;
}

/** Per-position comparison of next-token predictions under the causal mask and under another. */
export interface PositionComparison {
  position: number;
  /** the token the text has next (the training target at this position) */
  target: number;
  /** probability of the target, causal and with the reader's mask */
  causalProbability: number;
  maskedProbability: number;
  /** most likely next token, causal and with the reader's mask */
  causalTop: number;
  maskedTop: number;
  /** may this position see the token it is asked to predict? */
  seesTarget: boolean;
}

/**
 * Compares two logits arrays [S * V] (causal and masked) for the prompt `ids`: one entry per
 * position that has a next token. Losses in nats are -ln of the probabilities.
 */
export function comparePredictions(
  causalLogits: ArrayLike<number>,
  maskedLogits: ArrayLike<number>,
  ids: readonly number[],
  vocab: number,
  mask: readonly (readonly number[])[],
): PositionComparison[] {
  const rows: PositionComparison[] = [];
  const row = (logits: ArrayLike<number>, t: number) => Array.from({ length: vocab }, (_, v) => logits[t * vocab + v]);
  for (let t = 0; t + 1 < ids.length; t++) {
    const causal = row(causalLogits, t);
    const masked = row(maskedLogits, t);
    rows.push({
      position: t,
      target: ids[t + 1],
      causalProbability: Math.exp(-tokenLoss(causal, ids[t + 1])),
      maskedProbability: Math.exp(-tokenLoss(masked, ids[t + 1])),
      causalTop: argmax(causal),
      maskedTop: argmax(masked),
      seesTarget: mask[t][t + 1] === 1,
    });
  }
  return rows;
}

/** Mean next-token loss (nats) over the compared positions, causal and masked. */
export function meanLosses(rows: readonly PositionComparison[]): { causal: number; masked: number } {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    causal: mean(rows.map((r) => -Math.log(r.causalProbability))),
    masked: mean(rows.map((r) => -Math.log(r.maskedProbability))),
  };
}
