/**
 * The numbers and the arithmetic of the attention chapter (content/02-attention.mdx), on plain
 * arrays so the widgets can use them (the model itself runs in the worker).
 *
 *   scores_j = q . k_j / sqrt(d),  masked to -Infinity for j > i (the causal mask)
 *   probs    = softmax(scores)      (each row sums to 1; masked keys get exactly 0)
 *   out      = sum_j probs_j v_j
 *
 * Checked by tests/unit/attention-chapter.test.ts, against the engine's taps.
 */
import { softmax as softmaxOf, tokenLoss } from '../llama/math';
import type { PlainTensor } from '../llama/model';

export { tokenLoss };

/**
 * The shipped model's attention shape, as the prose states it. The unit test checks it against
 * the training script's configuration and, once it exists, public/models/glass-llama/config.json.
 */
export const SHIPPED_ATTENTION = {
  layers: 4,
  /** query heads per layer */
  heads: 4,
  /** key/value heads per layer (grouped-query attention) */
  kvHeads: 2,
  /** hidden_size */
  hidden: 128,
  /** head_dim = hidden / heads */
  headDim: 32,
  /** max_position_embeddings: the longest text it was trained on, in tokens */
  context: 256,
} as const;

/**
 * A prompt on which the shipped model's name-lookup heads show what they do: at the last token,
 * the full stop, the model's next token is "Ben", and the strongest name head (the model card's
 * eval.json, nameLookupHeads[0]) puts nearly all its attention on the first "Ben".
 */
export const NAME_HEAD_PROMPT = 'Once upon a time, there was a boy named Ben. The sun was shining.';

/** Query heads that share one key/value head: G = heads / kvHeads. */
export function queriesPerKvHead(heads: number, kvHeads: number): number {
  return heads / kvHeads;
}

/** The key/value head query head h reads (Hugging Face's repeat_kv): floor(h / G). */
export function kvHeadOf(head: number, heads: number, kvHeads: number): number {
  return Math.floor(head / queriesPerKvHead(heads, kvHeads));
}

/**
 * Numbers stored per token in the KV cache of one layer, keys and values together:
 * 2 * kvHeads * headDim. Full multi-head attention would store 2 * heads * headDim.
 */
export function kvCacheWidth(kvHeads: number, headDim: number): number {
  return 2 * kvHeads * headDim;
}

/** The softmax of a row, computed stably (the maximum is subtracted first); -Infinity gives 0. */
export function softmax(row: readonly number[]): number[] {
  return Array.from(softmaxOf(row)); // a row with no visible key gives zeros
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** One query's attention, in the order the maths goes (what the step-through widget shows). */
export interface AttentionStep {
  /** q . k_j for every key j */
  dots: number[];
  /** q . k_j / sqrt(d) */
  scaled: number[];
  /** scaled, with -Infinity for every key after the query (j > queryIndex) when causal */
  masked: number[];
  /** softmax(masked): sums to 1, zero where masked */
  probs: number[];
  /** sum_j probs_j v_j, a vector of d numbers */
  out: number[];
}

/**
 * Attention of the query at position queryIndex over the keys and values of every position.
 * keys and values are [T][d]; query is [d].
 */
export function attendOne(
  query: ArrayLike<number>,
  keys: readonly ArrayLike<number>[],
  values: readonly ArrayLike<number>[],
  queryIndex: number,
  { causal = true }: { causal?: boolean } = {},
): AttentionStep {
  const d = query.length;
  const dots = keys.map((key) => dot(query, key));
  const scaled = dots.map((score) => score / Math.sqrt(d));
  const masked = scaled.map((score, j) => (causal && j > queryIndex ? -Infinity : score));
  const probs = softmax(masked);
  const out = new Array<number>(d).fill(0);
  probs.forEach((p, j) => {
    for (let c = 0; c < d; c++) out[c] += p * values[j][c];
  });
  return { dots, scaled, masked, probs, out };
}

/**
 * Row `index` of a [B, H, S, X] tap (attention probs or scores: X = keys; q/k/v: X = head_dim)
 * for batch 0 and head `head`, as a plain array.
 */
export function tapRow(tap: PlainTensor, head: number, index: number): number[] {
  const [, heads, rows, width] = tap.shape;
  if (head >= heads || index >= rows) throw new Error(`tapRow: head ${head}, row ${index} outside [1, ${heads}, ${rows}, ${width}]`);
  const start = (head * rows + index) * width;
  return Array.from(tap.data.subarray(start, start + width));
}

/** All rows of one head of a [B, H, S, X] tap (batch 0): [S][X]. */
export function tapHead(tap: PlainTensor, head: number): number[][] {
  return Array.from({ length: tap.shape[2] }, (_, row) => tapRow(tap, head, row));
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * How much a head behaves as a previous-token head: the mean probability that query i puts on
 * key i - 1, over queries 1 .. S-1. 1 means every token attends only to the one before it.
 */
export function previousTokenScore(probs: readonly (readonly number[])[]): number {
  if (probs.length < 2) return 0;
  let total = 0;
  for (let i = 1; i < probs.length; i++) total += probs[i][i - 1];
  return total / (probs.length - 1);
}

/** How much a head rests on the first token (<s>): mean probability on key 0 over queries 1 .. S-1. */
export function firstTokenScore(probs: readonly (readonly number[])[]): number {
  if (probs.length < 2) return 0;
  let total = 0;
  for (let i = 1; i < probs.length; i++) total += probs[i][0];
  return total / (probs.length - 1);
}

/**
 * The share of attention one fixed key (the previous token, or <s>) gets from a head that spreads
 * every query's attention evenly over the keys it may see: mean of 1 / (i + 1) over queries
 * 1 .. n-1. The baseline against which previousTokenScore and firstTokenScore mean something.
 */
export function evenShare(tokenCount: number): number {
  if (tokenCount < 2) return 0;
  let total = 0;
  for (let i = 1; i < tokenCount; i++) total += 1 / (i + 1);
  return total / (tokenCount - 1);
}

/** How sharp a head is: the mean, over queries 1 .. S-1, of the largest weight in the query's row. */
export function meanLargestWeight(probs: readonly (readonly number[])[]): number {
  if (probs.length < 2) return 0;
  let total = 0;
  for (let i = 1; i < probs.length; i++) total += Math.max(...probs[i].slice(0, i + 1));
  return total / (probs.length - 1);
}

/** Mean, over queries 0 .. S-2, of the weight on key i + 1: how much a head reads the answer once the mask is off. */
export function nextTokenScore(probs: readonly (readonly number[])[]): number {
  if (probs.length < 2) return 0;
  let total = 0;
  for (let i = 0; i + 1 < probs.length; i++) total += probs[i][i + 1];
  return total / (probs.length - 1);
}

/**
 * What the chapter says the shipped model's heads do, measured on the 16 held-out stories of
 * public/data/validation-sample.json (and, where it says so, on the chapter's prompts).
 * tests/unit/attention-chapter.test.ts recomputes every number on the shipped weights.
 */
export const SHIPPED_HEAD_FACTS = {
  /** Largest previousTokenScore of any head, mean over the stories. */
  previousToken: { layer: 1, head: 1, score: 0.12 },
  /** The same on NAME_HEAD_PROMPT (the attention map's opening prompt). */
  previousTokenOnPrompt: { layer: 1, head: 1, score: 0.27 },
  /** Largest firstTokenScore (attention on <s>) of any head, mean over the stories. */
  firstToken: { layer: 1, head: 3, score: 0.07 },
  /** evenShare of the stories' lengths, mean over the stories. */
  evenShare: 0.04,
  /** Smallest and largest meanLargestWeight of the 16 heads, mean over the stories. */
  largestWeight: { min: 0.19, max: 0.42 },
  /** Zeroing the two name heads (their slice of o_proj's input) against zeroing two others. */
  ablation: {
    heads: [[3, 2], [3, 0]],
    /** the same layer's other two heads, and the pair of layer-0 heads that raises the overall loss most */
    controls: [[[3, 1], [3, 3]], [[0, 0], [0, 2]]],
    /** second mentions of a character in the stories (scripts/eval.ts nameRecall) */
    cases: 27,
    /** right names: intact model, without the name heads, each control */
    recalled: { intact: 25, withoutNameHeads: 0, controls: [27, 26] },
    /** mean next-token loss over all tokens of the stories, nats */
    loss: { intact: 0.297, withoutNameHeads: 0.787, controls: [0.329, 0.995] },
    /** on NAME_HEAD_PROMPT: p("Ben") after the full stop (without the name heads: below this), and the top guess without them */
    benProbability: { intact: 0.47, withoutNameHeads: 0.001 },
    topWithoutNameHeads: 'The',
  },
  /** The causal mask switched off (every query sees every key). */
  noMask: {
    /** mean next-token loss over the stories, nats */
    loss: { causal: 0.297, none: 0.694 },
    /** share of positions whose top guess is the next token */
    accuracy: { causal: 0.89, none: 0.821 },
    /** positions where p(next) rose without the mask, of all */
    rose: 408,
    positions: 1518,
    /** largest nextTokenScore of any head without the mask */
    nextTokenScore: 0.042,
    /** on MASK_PROMPT: mean loss, and p(next) at position 13 (after "Mia.", the next token is "M") */
    promptLoss: { causal: 0.845, none: 0.775 },
    promptPosition: 13,
    promptProbability: { causal: 0.287, none: 0.674 },
  },
  /** Standard deviation of the scaled scores q.k / sqrt(d) over the stories: at init (seed 1234) and trained. */
  scoreSpread: { init: 0.05, trained: 1.5, trainedLargest: 20 },
} as const;

/** Per-position next-token losses from logits [1, S, V]: loss[t] = -ln p(ids[t + 1] | ids[..t]). */
export function tokenLosses(logits: PlainTensor, ids: readonly number[]): number[] {
  const vocab = logits.shape[2];
  const losses: number[] = [];
  for (let t = 0; t + 1 < ids.length; t++) losses.push(tokenLoss(logits.data.subarray(t * vocab, (t + 1) * vocab), ids[t + 1]));
  return losses;
}

/** The top next-token prediction at position t of logits [1, S, V]: id and probability. */
export function topPrediction(logits: PlainTensor, t: number): { id: number; probability: number } {
  const vocab = logits.shape[2];
  const row = Array.from(logits.data.subarray(t * vocab, (t + 1) * vocab));
  const id = argmax(row);
  return { id, probability: Math.exp(-tokenLoss(row, id)) };
}
