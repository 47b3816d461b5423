/**
 * Masked, grouped-query scaled dot-product attention.
 *
 *   scores = q k^T / sqrt(d) (masked), probs = softmax(scores), out = probs v
 *
 * Which key a query may see is the AND of three rules:
 *   causal     key index <= query index (indices count cached tokens too), or, when a
 *              queryKeyMask is given instead, queryKeyMask[query][key] === 1 (the "Mask it"
 *              widget switches the causal rule off or edits it; a model trained with the causal
 *              rule has never seen such a mask)
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

/**
 * Checks an edited query-by-key mask: [newTokens][pastLength + newTokens] of 0 and 1, and every
 * query sees at least one key (an empty row has no softmax). Returns it flattened.
 */
export function checkQueryKeyMask(queryKeyMask: number[][], newTokens: number, pastLength: number): Float32Array {
  const keys = pastLength + newTokens;
  if (queryKeyMask.length !== newTokens) throw new Error(`queryKeyMask has ${queryKeyMask.length} rows. Expected one per query token: ${newTokens}`);
  const flat = new Float32Array(newTokens * keys);
  for (const [query, row] of queryKeyMask.entries()) {
    if (row.length !== keys) throw new Error(`queryKeyMask row ${query} has ${row.length} entries. Expected one per key: ${keys}`);
    let visible = 0;
    for (const [key, value] of row.entries()) {
      if (value !== 0 && value !== 1) throw new Error(`queryKeyMask[${query}][${key}] is ${value}. Expected 0 (hidden) or 1 (visible)`);
      flat[query * keys + key] = value;
      visible += value;
    }
    if (visible === 0) throw new Error(`queryKeyMask row ${query} hides every key. Expected each query to see at least one key`);
  }
  return flat;
}

/**
 * Which keys each query may see, shared by every layer; null when every key is visible. Rows are
 * in the grouped layout attention() works in: row g * S + s is query s of the g-th head of a group.
 */
export interface AttentionMask {
  /** [batch or 1, 1, group * S, T]: 1 = may attend, 0 = masked */
  allowed: tf.Tensor4D;
  /** the same shape: 0 where allowed, -1e9 elsewhere, added to the scores before softmax */
  bias: tf.Tensor4D;
}

/**
 * Builds the mask from the causal rule, the pattern and attentionMask [batch, T] (1 = real token,
 * 0 = padding), for `group` query heads per KV head. One new token with no padding mask and no
 * pattern sees every key: null, no work.
 */
export function buildAttentionMask(
  newTokens: number,
  pastLength: number,
  group: number,
  attentionMask?: tf.Tensor2D,
  pattern?: AttentionPattern,
  queryKeyMask?: number[][],
): AttentionMask | null {
  if (newTokens === 1 && !attentionMask && !pattern && !queryKeyMask) return null;
  if (queryKeyMask && pattern) throw new Error('buildAttentionMask: give queryKeyMask or attentionPattern, not both (an edited mask already says which keys each query sees)');
  return tf.tidy(() => {
    const keys = pastLength + newTokens;
    const causal = queryKeyMask ? checkQueryKeyMask(queryKeyMask, newTokens, pastLength) : causalPatternMask(newTokens, pastLength, pattern);
    const rows = group * newTokens;
    const grouped = new Float32Array(rows * keys);
    for (let g = 0; g < group; g++) grouped.set(causal, g * causal.length);
    const allowedByPosition = tf.tensor4d(grouped, [1, 1, rows, keys]);
    if (!attentionMask) {
      // -1e9 rather than -Infinity: a fully masked row then softmaxes to finite values (zeroed later)
      return { allowed: allowedByPosition, bias: tf.tensor4d(grouped.map((allowed) => (allowed ? 0 : -1e9)), [1, 1, rows, keys]) };
    }
    const padding = tf.reshape(tf.cast(attentionMask, 'float32'), [attentionMask.shape[0], 1, 1, keys]);
    const allowed = tf.mul(allowedByPosition, padding) as tf.Tensor4D;
    return { allowed, bias: tf.mul(tf.sub(allowed, 1), 1e9) as tf.Tensor4D };
  });
}

export interface AttentionResult {
  /** [B, H, S, T], masked entries -Infinity; only when asked for. */
  scores?: tf.Tensor4D;
  /** [B, H, S, T], before dropout; only when asked for. */
  probs?: tf.Tensor4D;
  /** [B, H, S, d] */
  out: tf.Tensor4D;
}

/**
 * q: [B, H, S, d], already divided by sqrt(d); k, v: [B, KV, T, d]. Grouped-query attention:
 * query head h reads key/value head floor(h / G), G = H / KV, as Hugging Face's repeat_kv.
 * Instead of copying k and v G times, the G query heads of a group are stacked into one
 * [G * S, d] matrix per KV head, and scores and probabilities stay in that layout.
 */
export function attention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  mask: AttentionMask | null,
  opts: { wantScores?: boolean; wantProbs?: boolean; dropout?: (probs: tf.Tensor4D) => tf.Tensor4D } = {},
): AttentionResult {
  const [batch, heads, queries, d] = q.shape;
  const [, kvHeads, keys] = k.shape;
  const group = heads / kvHeads;
  const byHead = (x: tf.Tensor) => tf.reshape(x, [batch, heads, queries, keys]) as tf.Tensor4D;
  const grouped = tf.reshape(q, [batch, kvHeads, group * queries, d]);
  const scores = tf.matMul(grouped, k, false, true); // [B, KV, G*S, T]
  // Multiplying by `allowed` makes masked probabilities exactly 0 and empties fully masked rows.
  let probs = (mask ? tf.mul(tf.softmax(tf.add(scores, mask.bias)), mask.allowed) : tf.softmax(scores)) as tf.Tensor4D;
  const result: Partial<AttentionResult> = {};
  if (opts.wantScores) {
    const visible = mask ? tf.where(tf.cast(tf.broadcastTo(mask.allowed, scores.shape), 'bool'), scores, tf.fill(scores.shape, -Infinity)) : scores;
    result.scores = byHead(visible);
  }
  if (opts.wantProbs) result.probs = byHead(probs);
  if (opts.dropout) probs = opts.dropout(probs);
  const out = tf.reshape(tf.matMul(probs, v), [batch, heads, queries, d]) as tf.Tensor4D; // [B, KV, G*S, d] -> [B, H, S, d]
  return { ...result, out };
}
