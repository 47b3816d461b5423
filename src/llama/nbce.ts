/**
 * Naive Bayes-based Context Extension (NBCE; Jianlin Su, "NBCE：使用朴素贝叶斯扩展LLM的Context处理长度",
 * kexue.fm/archives/9617, 2023; code github.com/bojone/NBCE; paper: Su et al., "Naive Bayes-based
 * Context Extension for Large Language Models", NAACL 2024): the pooling of next-token
 * distributions, on plain numbers in float64. No tensors here, so a page can import it; the
 * generation loop that feeds it is nbceGenerate.ts.
 *
 * A context too long for the model is cut into chunks S_1 .. S_n. Each chunk is read with the
 * question (the text that is being continued), and once more the question alone, giving
 *
 *   log p(T | S_k)   for every chunk k,  and  log p(T)  (the unconditional term).
 *
 * Naive Bayes assumes the chunks independent given the next token T: p(S_1..S_n | T) = prod_k p(S_k | T).
 * With Bayes' rule p(S_k | T) = p(T | S_k) p(S_k) / p(T) that gives, up to a constant in T,
 *
 *   log p(T | S_1..S_n) = sum_k log p(T | S_k) - (n - 1) log p(T)
 *                       = (beta + 1) * mean_k log p(T | S_k) - beta * log p(T),   beta = n - 1.
 *
 * NBCE keeps the second form with beta as a free setting and the mean replaced by a pooling:
 *
 *   score(T) = (beta + 1) * pool_k log p(T | S_k) - beta * log p(T)
 *
 * where pool is the mean ('average') or the distribution of the chunk whose entropy is lowest
 * ('lowestEntropy', the chunk most sure of its next token). The scores are normalised into a
 * distribution with a log-softmax.
 */
import { logSoftmax } from './math';

export const NBCE_POOLINGS = ['average', 'lowestEntropy'] as const;
export type NbcePooling = (typeof NBCE_POOLINGS)[number];

export interface NbcePoolOptions {
  pooling: NbcePooling;
  /** The weight of the unconditional term: 0 ignores it; n - 1 with 'average' is plain naive Bayes. */
  beta: number;
}

export interface NbceStep {
  /** H_k = -sum_T p(T | S_k) log p(T | S_k), in nats, one per chunk. */
  entropies: number[];
  /** The chunk whose distribution was used ('lowestEntropy'), or null ('average' uses all of them). */
  winner: number | null;
  /** (beta + 1) * pool - beta * log p(T), before normalising: [vocab]. */
  scores: Float64Array;
  /** log-softmax of the scores: the NBCE next-token distribution, [vocab]. */
  logProbs: Float64Array;
}

/** -sum p log p of a distribution given by its log-probabilities, in nats (0 log 0 = 0). */
export function entropyOfLogProbs(logProbs: ArrayLike<number>): number {
  let entropy = 0;
  for (let i = 0; i < logProbs.length; i++) {
    const logP = logProbs[i];
    if (logP > -Infinity) entropy -= Math.exp(logP) * logP;
  }
  return entropy;
}

/** The index of the smallest value; the first one on a tie. */
export function argminOf(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] < values[best]) best = i;
  return best;
}

/** Checks the pooling settings; the human message for the first bad one, or null. */
export function nbceOptionsProblem({ pooling, beta }: NbcePoolOptions): string | null {
  if (!(NBCE_POOLINGS as readonly string[]).includes(pooling)) {
    return `pooling must be one of ${NBCE_POOLINGS.join(', ')}. Received ${String(pooling)}.`;
  }
  if (!Number.isFinite(beta) || beta < 0) return `beta must be a number >= 0. Received ${beta}.`;
  return null;
}

/**
 * One NBCE step: the per-chunk next-token logits (any scale: each is log-softmaxed first) and the
 * unconditional logits (the question alone) pooled into one distribution.
 *   chunkLogits: n arrays of [vocab];  unconditionalLogits: [vocab].
 */
export function nbcePool(
  chunkLogits: readonly ArrayLike<number>[],
  unconditionalLogits: ArrayLike<number>,
  options: NbcePoolOptions,
): NbceStep {
  const problem = nbceOptionsProblem(options);
  if (problem) throw new Error(problem);
  if (chunkLogits.length === 0) throw new Error('nbcePool: at least one chunk is needed.');
  const vocab = unconditionalLogits.length;
  for (const [k, logits] of chunkLogits.entries()) {
    if (logits.length !== vocab) throw new Error(`nbcePool: chunk ${k} has ${logits.length} logits, the unconditional row ${vocab}.`);
  }
  const chunkLogProbs = chunkLogits.map((logits) => logSoftmax(logits)); // n x [vocab]
  const unconditional = logSoftmax(unconditionalLogits); // [vocab]
  const entropies = chunkLogProbs.map(entropyOfLogProbs);
  let pooled: Float64Array;
  let winner: number | null = null;
  if (options.pooling === 'lowestEntropy') {
    winner = argminOf(entropies);
    pooled = chunkLogProbs[winner];
  } else {
    pooled = new Float64Array(vocab);
    for (const logProbs of chunkLogProbs) for (let t = 0; t < vocab; t++) pooled[t] += logProbs[t] / chunkLogProbs.length;
  }
  const { beta } = options;
  // A token the question alone rules out (-Infinity) keeps the pooled value, as NBCE's code does
  // (torch.where on the unconditional logits); beta = 0 drops the unconditional term altogether.
  const scores = pooled.map((logP, t) => (beta === 0 || unconditional[t] === -Infinity ? logP : (beta + 1) * logP - beta * unconditional[t]));
  return { entropies, winner, scores, logProbs: logSoftmax(scores) };
}
