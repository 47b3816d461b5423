/**
 * Masked, grouped-query scaled dot-product attention.
 *
 *   scores = q k^T / sqrt(d) (masked), probs = softmax(scores), out = probs v
 *
 * Which key a query may see is the AND of three rules:
 *   causal     key index <= query index (indices count cached tokens too)
 *   padding    attentionMask[b][key] === 1
 *   pattern    (optional, for sparse attention) key is inside the sliding window, on the stride,
 *              or a global token; see AttentionPattern.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * A sparse attention pattern. With no field set every causal key is allowed. Otherwise a key is
 * allowed when ANY set rule admits it (the union of Child et al.'s local and strided heads):
 *   slidingWindow w  query - key < w                (the key is one of the w most recent)
 *   stride s         (query - key) % s === 0
 *   globalTokens     the key or the query index is listed (global tokens see and are seen by all)
 * Indices are sequence indices (0 = first token in the cache), not position ids.
 */
export interface AttentionPattern {
  slidingWindow?: number;
  stride?: number;
  globalTokens?: number[];
}

/**
 * 1 where a query may see a key under the causal rule and the pattern, else 0:
 * [newTokens, pastLength + newTokens], query i sits at index pastLength + i.
 */
export function causalPatternMask(newTokens: number, pastLength: number, pattern?: AttentionPattern): Float32Array {
  const keys = pastLength + newTokens;
  const mask = new Float32Array(newTokens * keys);
  const window = pattern?.slidingWindow;
  const stride = pattern?.stride;
  const global = new Set(pattern?.globalTokens ?? []);
  const sparse = window !== undefined || stride !== undefined || global.size > 0;
  for (let i = 0; i < newTokens; i++) {
    const query = pastLength + i;
    for (let key = 0; key <= query; key++) {
      const offset = query - key;
      const allowed =
        !sparse ||
        (window !== undefined && offset < window) ||
        (stride !== undefined && offset % stride === 0) ||
        global.has(key) ||
        global.has(query);
      if (allowed) mask[i * keys + key] = 1;
    }
  }
  return mask;
}

/** Which keys each query may see, shared by every layer; null when every key is visible. */
export interface AttentionMask {
  /** [batch or 1, 1, S, T]: 1 = may attend, 0 = masked */
  allowed: tf.Tensor4D;
  /** the same shape: 0 where allowed, -1e9 elsewhere, added to the scores before softmax */
  bias: tf.Tensor4D;
}

/**
 * Builds the mask from the causal rule, the pattern and attentionMask [batch, T] (1 = real token,
 * 0 = padding). One new token with no padding mask and no pattern sees every key: null, no work.
 */
export function buildAttentionMask(
  newTokens: number,
  pastLength: number,
  attentionMask?: tf.Tensor2D,
  pattern?: AttentionPattern,
): AttentionMask | null {
  if (newTokens === 1 && !attentionMask && !pattern) return null;
  return tf.tidy(() => {
    const keys = pastLength + newTokens;
    const causal = causalPatternMask(newTokens, pastLength, pattern);
    if (!attentionMask) {
      // -1e9 rather than -Infinity: a fully masked row then softmaxes to finite values (zeroed later)
      const bias = causal.map((allowed) => (allowed ? 0 : -1e9));
      return { allowed: tf.tensor4d(causal, [1, 1, newTokens, keys]), bias: tf.tensor4d(bias, [1, 1, newTokens, keys]) };
    }
    const padding = tf.reshape(tf.cast(attentionMask, 'float32'), [attentionMask.shape[0], 1, 1, keys]);
    const allowed = tf.mul(tf.tensor4d(causal, [1, 1, newTokens, keys]), padding) as tf.Tensor4D;
    return { allowed, bias: tf.mul(tf.sub(allowed, 1), 1e9) as tf.Tensor4D };
  });
}

export interface AttentionResult {
  /** [B, H, S, T], masked entries -Infinity; only when asked for. */
  scores?: tf.Tensor4D;
  /** [B, H, S, T] */
  probs: tf.Tensor4D;
  /** [B, H, S, d] */
  out: tf.Tensor4D;
}

/**
 * q: [B, H, S, d]; k, v: [B, KV, T, d]. Grouped-query attention: query head h reads key/value
 * head floor(h / (H / KV)), as Hugging Face's repeat_kv. Instead of copying k and v G = H/KV
 * times, the G query heads of a group are stacked into one [G*S, d] matrix per KV head.
 */
export function attention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  mask: AttentionMask | null,
  opts: { wantScores?: boolean; dropout?: (probs: tf.Tensor4D) => tf.Tensor4D } = {},
): AttentionResult {
  const [batch, heads, queries, d] = q.shape;
  const kvHeads = k.shape[1];
  const keys = k.shape[2];
  const group = heads / kvHeads;
  const grouped = tf.reshape(q, [batch, kvHeads, group * queries, d]);
  const rawScores = tf.reshape(tf.matMul(grouped, k, false, true), [batch, heads, queries, keys]);
  const scaled = tf.mul(rawScores, 1 / Math.sqrt(d)) as tf.Tensor4D; // [B, H, S, T]
  // Multiplying by `allowed` makes masked probabilities exactly 0 and empties fully masked rows.
  let probs = (mask ? tf.mul(tf.softmax(tf.add(scaled, mask.bias)), mask.allowed) : tf.softmax(scaled)) as tf.Tensor4D;
  const result: AttentionResult = { probs, out: q };
  if (opts.wantScores && !mask) result.scores = scaled;
  if (opts.wantScores && mask) {
    const allowedEverywhere = tf.cast(tf.broadcastTo(mask.allowed, scaled.shape), 'bool');
    result.scores = tf.where(allowedEverywhere, scaled, tf.fill(scaled.shape, -Infinity)) as tf.Tensor4D;
  }
  if (opts.dropout) probs = opts.dropout(probs);
  const groupedProbs = tf.reshape(probs, [batch, kvHeads, group * queries, keys]);
  result.out = tf.reshape(tf.matMul(groupedProbs, v), [batch, heads, queries, d]);
  return result;
}
