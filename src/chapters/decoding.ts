/**
 * The numbers of the decoding chapter (content/07-decoding.mdx): which processor removes which
 * token, log-probabilities along a path, the trie of several continuations, and distinct-n.
 * The processors themselves are src/llama/sampling.ts; this file only stages and measures them.
 * Checked by tests/unit/decoding-chapter.test.ts.
 */
import {
  applyMinP,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  applyTypical,
  argmax,
  isGreedy,
  softmax,
  validateSamplingOptions,
  type SamplingOptions,
} from '../llama/sampling';

export { logSoftmaxAt, meanLoss, tokenLogProbs } from '../llama/math';

/** The processors in the order Hugging Face applies them. */
export const PROCESSOR_ORDER = ['repetition penalty', 'temperature', 'top-k', 'top-p', 'min-p', 'typical', 'greedy'] as const;
export type ProcessorName = (typeof PROCESSOR_ORDER)[number];

export interface StagedLogits {
  /** For each token: the processor that removed it, or null if it survived. */
  removedBy: (ProcessorName | null)[];
  /** The logits after every processor ([vocab], removed = -Infinity). */
  processed: Float32Array;
  /** softmax(processed): the renormalised distribution the next token is drawn from. */
  probabilities: Float32Array;
  /** softmax of the raw logits, before any processor. */
  rawProbabilities: Float32Array;
}

/**
 * Applies the processors of src/llama/sampling.ts one at a time, in Hugging Face order, and
 * records which one removed each token. The result's `processed` equals `processLogits(logits,
 * previousIds, opts)` (the unit test checks it). Throws with sampling.ts's message on bad options.
 */
export function stageLogits(logits: Float32Array, previousIds: readonly number[], opts: SamplingOptions): StagedLogits {
  const problem = validateSamplingOptions(opts);
  if (problem) throw new Error(problem);
  const removedBy: (ProcessorName | null)[] = new Array(logits.length).fill(null);
  let current: Float32Array = logits.slice();
  const step = (name: ProcessorName, next: Float32Array) => {
    next.forEach((logit, id) => {
      if (logit === -Infinity && current[id] !== -Infinity && removedBy[id] === null) removedBy[id] = name;
    });
    current = next;
  };
  if (opts.repetitionPenalty !== undefined && opts.repetitionPenalty !== 1) {
    step('repetition penalty', applyRepetitionPenalty(current, previousIds, opts.repetitionPenalty));
  }
  if (isGreedy(opts)) {
    const best = argmax(current);
    step('greedy', current.map((logit, id) => (id === best ? logit : -Infinity)));
  } else {
    if (opts.temperature !== undefined && opts.temperature !== 1) step('temperature', applyTemperature(current, opts.temperature));
    if (opts.topK !== undefined) step('top-k', applyTopK(current, opts.topK));
    if (opts.topP !== undefined && opts.topP < 1) step('top-p', applyTopP(current, opts.topP));
    if (opts.minP !== undefined && opts.minP > 0) step('min-p', applyMinP(current, opts.minP));
    if (opts.typicalP !== undefined && opts.typicalP < 1) step('typical', applyTypical(current, opts.typicalP));
  }
  return { removedBy, processed: current, probabilities: softmax(current), rawProbabilities: softmax(logits) };
}

/** Ids of the `count` largest values, largest first (ties: lower id first). */
export function topIds(values: ArrayLike<number>, count: number): number[] {
  return Array.from({ length: values.length }, (_, id) => id)
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, count);
}

/**
 * distinct-n (Li et al. 2016): distinct n-grams divided by all n-grams in the sequence; 1 means no
 * n-gram repeats, a value near 0 means a loop. 0 n-grams (a sequence shorter than n) gives 1.
 */
export function distinctN(tokens: readonly (number | string)[], n: number): number {
  const total = tokens.length - n + 1;
  if (total <= 0) return 1;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(tokens.slice(i, i + n).join('\u0000'));
  return seen.size / total;
}

/** distinct-n of every prefix of `tokens` that holds at least one n-gram: [{ length, value }]. */
export function distinctNCurve(tokens: readonly (number | string)[], n: number): { length: number; value: number }[] {
  const seen = new Set<string>();
  const curve: { length: number; value: number }[] = [];
  for (let end = n; end <= tokens.length; end++) {
    seen.add(tokens.slice(end - n, end).join('\u0000'));
    curve.push({ length: end, value: seen.size / (end - n + 1) });
  }
  return curve;
}

/** One continuation of a prompt: its new token ids and the log-probability of each. */
export interface DecodedPath {
  /** e.g. "greedy", "beam (4)", "sample seed 3". */
  name: string;
  ids: readonly number[];
  logProbs: readonly number[];
}

/** A node of the trie of several paths: a token shared by every path through it. */
export interface PathNode {
  /** Token id (the root has -1). */
  id: number;
  depth: number;
  /** Sum of log-probabilities from the root to this token. */
  cumulativeLogProb: number;
  /** The names of the paths that pass through this node. */
  paths: string[];
  children: PathNode[];
}

/**
 * The trie of continuations: paths that start with the same tokens share nodes, so a tree shows
 * where greedy, beam search and samples part ways. Log-probabilities are the model's own (after
 * no processor), so a shared node has one cumulative value.
 */
export function pathTree(paths: readonly DecodedPath[]): PathNode {
  const root: PathNode = { id: -1, depth: 0, cumulativeLogProb: 0, paths: paths.map((path) => path.name), children: [] };
  for (const path of paths) {
    let node = root;
    path.ids.forEach((id, i) => {
      let child = node.children.find((candidate) => candidate.id === id);
      if (!child) {
        child = { id, depth: i + 1, cumulativeLogProb: node.cumulativeLogProb + path.logProbs[i], paths: [], children: [] };
        node.children.push(child);
      }
      child.paths.push(path.name);
      node = child;
    });
  }
  return root;
}

/** How a tokenizer piece reads in a figure: the kit's one label for every widget. */
export { pieceLabel as displayPiece } from '../widgets/pieces';
