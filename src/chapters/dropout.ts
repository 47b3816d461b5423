/**
 * The numbers of the model.eval() chapter (content/05-eval-and-dropout.mdx): inverted dropout on
 * a small vector, the running mean that shows the expected value is kept, the spread of the
 * next-token distribution over repeated runs, and token-weighted mean losses.
 * Plain arrays only (no tfjs), so the widgets can use it; the model runs in the worker.
 * Checked by tests/unit/dropout-chapter.test.ts.
 */
import { createRandom } from '../llama/rng';

export { softmax as softmaxRow, perplexity } from '../llama/math';

/** How many times the train-vs-eval figure runs the prompt. */
export const RUNS = 10;
export const DEFAULT_PROMPT = 'Once upon a time, there was a little';

/** null when the prompt can be run, else a message that says what to change. */
export function describeBadPrompt(prompt: string): string | null {
  if (prompt.trim() === '') return 'Write a prompt: the model needs some text to predict the next token from.';
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u.test(prompt)) return 'The prompt contains a control character; remove it.';
  return null;
}

/** The dropout rates the figures accept: p in [0, MAX_DROPOUT_RATE]; p = 1 would drop everything. */
export const MAX_DROPOUT_RATE = 0.9;

/** null when p is a dropout rate the figures can use, else a message that says why not. */
export function describeBadRate(p: number): string | null {
  if (!Number.isFinite(p)) return `The dropout rate must be a number in [0, 1). Received ${p}.`;
  if (p < 0 || p >= 1) {
    return `The dropout rate p must be in [0, 1): p = ${p} ${p >= 1 ? 'would drop every value and divide by 1 - p = 0' : 'is not a probability'}. Received ${p}.`;
  }
  return null;
}

export interface DropoutDraw {
  /** 1 = kept, 0 = dropped; each entry kept with probability 1 - p. */
  keep: number[];
  /** x_i * keep_i / (1 - p): inverted dropout, so that E[output_i] = x_i. */
  output: number[];
}

/** One draw of inverted dropout over x: keep each value with probability 1 - p, scale the kept by 1/(1 - p). */
export function dropoutDraw(x: readonly number[], p: number, random: () => number): DropoutDraw {
  const problem = describeBadRate(p);
  if (problem) throw new Error(problem);
  const scale = 1 / (1 - p);
  const keep = x.map(() => (random() >= p ? 1 : 0));
  return { keep, output: x.map((value, i) => (keep[i] ? value * scale : 0)) };
}

/**
 * The mean of `draws` independent dropout outputs of x, element by element, after each draw:
 * means[n - 1][i] = (1/n) sum over the first n draws of output_i. It tends to x_i as n grows
 * (law of large numbers), because E[keep_i / (1 - p)] = (1 - p) / (1 - p) = 1.
 */
export function runningMeans(x: readonly number[], p: number, draws: number, seed: number): number[][] {
  const random = createRandom(seed);
  const sums = x.map(() => 0);
  const means: number[][] = [];
  for (let n = 1; n <= draws; n++) {
    const { output } = dropoutDraw(x, p, random);
    output.forEach((value, i) => (sums[i] += value));
    means.push(sums.map((sum) => sum / n));
  }
  return means;
}

/**
 * The standard deviation of one element's inverted-dropout output around its mean x:
 * output = x / (1-p) with probability 1 - p, else 0, so Var = x^2 p / (1 - p).
 * The mean of n draws has standard deviation |x| sqrt(p / ((1 - p) n)).
 */
export function dropoutStd(x: number, p: number, draws = 1): number {
  return Math.abs(x) * Math.sqrt(p / ((1 - p) * draws));
}

export interface TokenSpread {
  tokenId: number;
  /** Mean probability over the runs. */
  mean: number;
  min: number;
  max: number;
  /** Population standard deviation over the runs. */
  std: number;
}

/**
 * How much each token's probability moves across runs: `runs` holds one next-token distribution
 * per run ([runs][vocab]). Returns the `top` tokens by mean probability, most likely first.
 */
export function tokenSpreads(runs: readonly (ArrayLike<number>)[], top: number): TokenSpread[] {
  if (runs.length === 0) return [];
  const vocab = runs[0].length;
  const spreads: TokenSpread[] = [];
  for (let tokenId = 0; tokenId < vocab; tokenId++) {
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const run of runs) {
      const p = run[tokenId];
      sum += p;
      min = Math.min(min, p);
      max = Math.max(max, p);
    }
    const mean = sum / runs.length;
    let squares = 0;
    for (const run of runs) squares += (run[tokenId] - mean) ** 2;
    spreads.push({ tokenId, mean, min, max, std: Math.sqrt(squares / runs.length) });
  }
  return spreads.sort((a, b) => b.mean - a.mean).slice(0, top);
}

/** Whether every run gave bit-for-bit the same numbers as the first. */
export function allRunsIdentical(runs: readonly (ArrayLike<number>)[]): boolean {
  return runs.every((run) => run.length === runs[0].length && Array.prototype.every.call(run, (v: number, i: number) => Object.is(v, runs[0][i])));
}

/** The mean over every token of every row (a token-weighted mean, as a training loss is). */
export function meanTokenLoss(losses: readonly (readonly number[])[]): number {
  let sum = 0;
  let count = 0;
  for (const row of losses) {
    for (const loss of row) sum += loss;
    count += row.length;
  }
  if (count === 0) throw new Error('meanTokenLoss: no tokens to average.');
  return sum / count;
}
