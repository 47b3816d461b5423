/**
 * Softmax and its relatives on plain numbers, in float64: the one copy the engine, the float64
 * reference and the chapters share. No tensors here (tensorMath.ts has the tfjs versions), so a
 * page or the reference can import it without tfjs.
 *
 *   logsumexp(x) = m + log sum_i exp(x_i - m),  m = max_i x_i    (subtracting m keeps exp finite)
 *   softmax(x)_i = exp(x_i - logsumexp(x))
 *   log softmax(x)_i = x_i - logsumexp(x)
 *   token loss = -log softmax(logits)[target]                   (cross-entropy, in nats)
 */

/** max of values[offset .. offset + length); -Infinity when the range is empty. */
function maxOf(values: ArrayLike<number>, offset: number, length: number): number {
  let max = -Infinity;
  for (let i = offset; i < offset + length; i++) if (values[i] > max) max = values[i];
  return max;
}

/**
 * log sum_i exp(values_i) over values[offset .. offset + length), without overflow. All -Infinity
 * (nothing to sum) gives -Infinity.
 */
export function logSumExp(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  const max = maxOf(values, offset, length);
  if (max === -Infinity || max === Infinity) return max;
  let total = 0;
  for (let i = offset; i < offset + length; i++) total += Math.exp(values[i] - max);
  return max + Math.log(total);
}

/**
 * softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x). -Infinity (a masked or removed entry)
 * gets exactly 0; a row that is all -Infinity (nothing visible) gets all zeros, never NaN.
 */
export function softmax(values: ArrayLike<number>): Float64Array {
  const max = maxOf(values, 0, values.length);
  const probs = new Float64Array(values.length);
  if (max === -Infinity) return probs;
  let total = 0;
  for (let i = 0; i < values.length; i++) total += probs[i] = Math.exp(values[i] - max);
  for (let i = 0; i < probs.length; i++) probs[i] /= total;
  return probs;
}

/** log softmax(x)_i = x_i - logsumexp(x). */
export function logSoftmax(values: ArrayLike<number>): Float64Array {
  const lse = logSumExp(values);
  return Float64Array.from(values, (x) => x - lse);
}

/** log softmax(row)[id], where row = values[offset .. offset + length) (e.g. one position of [seq * vocab] logits). */
export function logSoftmaxAt(values: ArrayLike<number>, id: number, offset = 0, length = values.length - offset): number {
  return values[offset + id] - logSumExp(values, offset, length);
}

/** The next-token loss -log p(target) = logsumexp(logits) - logits[target], in nats. */
export function tokenLoss(logits: ArrayLike<number>, target: number): number {
  return -logSoftmaxAt(logits, target);
}

/**
 * log p(ids[t] | ids[<t]) for t = from .. ids.length - 1, from the logits of one forward pass over
 * `ids` (data [seq * vocab]; row t - 1 predicts token t).
 */
export function tokenLogProbs(logits: ArrayLike<number>, vocab: number, ids: readonly number[], from = 1): number[] {
  const values: number[] = [];
  for (let t = Math.max(1, from); t < ids.length; t++) values.push(logSoftmaxAt(logits, ids[t], (t - 1) * vocab, vocab));
  return values;
}

/** Mean cross-entropy -(1/n) sum log p of the given log-probabilities, in nats; NaN for none. */
export function meanLoss(logProbs: readonly number[]): number {
  if (logProbs.length === 0) return NaN;
  return -logProbs.reduce((sum, value) => sum + value, 0) / logProbs.length;
}

/** Perplexity e^loss of a mean loss in nats: the number of equally likely tokens with that loss. */
export function perplexity(meanLossNats: number): number {
  return Math.exp(meanLossNats);
}
