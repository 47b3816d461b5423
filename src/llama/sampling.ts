/**
 * Choosing the next token from the model's logits, with the same rules as Hugging Face
 * `transformers` (`generation/logits_process.py`), as pure functions on plain arrays.
 *
 * Every processor takes the logits of one position, `Float32Array` of length vocab, and returns a
 * NEW array; a token it removes gets -Infinity, so softmax gives it probability 0. Probabilities,
 * sums and sorts are computed in float64 so that a threshold test (`cumulative <= 1 - p`) does not
 * depend on float32 rounding.
 *
 * Greedy decoding. Hugging Face has two switches: `do_sample=False` means greedy (argmax), and the
 * warpers (temperature, top-k, top-p, min-p, typical) are not applied at all; the repetition
 * penalty is a "processor", so it still applies in greedy mode. Here temperature 0 also means
 * greedy: it is the limit T -> 0 of softmax(logits / T), which puts all the mass on the argmax.
 * `isGreedy(opts)` is the single rule (doSample === false, or temperature === 0); `processLogits`
 * then applies only the repetition penalty and keeps only the argmax, and `chooseNextToken` takes
 * the argmax without consuming a random number. A negative temperature is an error.
 */
import { softmax as softmaxOf } from './math';

export interface SamplingOptions {
  /** false = greedy (argmax). Default true. */
  doSample?: boolean;
  /** Divides the logits. 0 = greedy; must not be negative. Default 1. */
  temperature?: number;
  /** Keep the k most likely tokens (and any tied with the k-th). Integer >= 1. Default: off. */
  topK?: number;
  /** Nucleus sampling: keep the smallest set of likely tokens whose mass reaches p. (0, 1]. */
  topP?: number;
  /** Keep tokens whose probability is at least minP times the top probability. [0, 1]. */
  minP?: number;
  /** Locally typical sampling mass (Meister et al. 2022). (0, 1]; 1 = off. */
  typicalP?: number;
  /** > 1 discourages tokens already in the sequence; 1 = off. Must be > 0. */
  repetitionPenalty?: number;
  /** Seed for the random draws (see rng.ts). */
  seed?: number;
}

/** The human message for the first bad option, or null when all are valid. */
export function validateSamplingOptions(opts: SamplingOptions): string | null {
  const { temperature, topK, topP, minP, typicalP, repetitionPenalty, seed } = opts;
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature >= 0)) {
    return `temperature must be a number >= 0 (0 means greedy). Received ${temperature}.`;
  }
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) {
    return `topK must be an integer >= 1. Received ${topK}.`;
  }
  if (topP !== undefined && !(Number.isFinite(topP) && topP > 0 && topP <= 1)) {
    return `topP must be a number in (0, 1] (1 keeps every token). Received ${topP}.`;
  }
  if (minP !== undefined && !(Number.isFinite(minP) && minP >= 0 && minP <= 1)) {
    return `minP must be a number in [0, 1] (0 keeps every token). Received ${minP}.`;
  }
  if (typicalP !== undefined && !(Number.isFinite(typicalP) && typicalP > 0 && typicalP <= 1)) {
    return `typicalP must be a number in (0, 1] (1 turns it off). Received ${typicalP}.`;
  }
  if (
    repetitionPenalty !== undefined &&
    !(Number.isFinite(repetitionPenalty) && repetitionPenalty > 0)
  ) {
    return `repetitionPenalty must be a number > 0 (1 turns it off). Received ${repetitionPenalty}.`;
  }
  if (seed !== undefined && !Number.isFinite(seed)) {
    return `seed must be a finite number. Received ${seed}.`;
  }
  return null;
}

/** True when the next token is the argmax: doSample === false, or temperature === 0. */
export function isGreedy(opts: SamplingOptions): boolean {
  return opts.doSample === false || opts.temperature === 0;
}

/**
 * HF RepetitionPenaltyLogitsProcessor: for every DISTINCT id already in the sequence, a positive
 * logit is divided by the penalty and a negative one multiplied by it, so with penalty > 1 the
 * token always becomes less likely. An id seen three times is still penalised once (HF gathers
 * and scatters by id). Penalty 1 returns an identical copy.
 */
export function applyRepetitionPenalty(
  logits: Float32Array,
  previousIds: readonly number[],
  penalty: number,
): Float32Array {
  requireValid({ repetitionPenalty: penalty });
  const penalized = logits.slice();
  for (const id of new Set(previousIds)) {
    if (!(Number.isInteger(id) && id >= 0 && id < logits.length)) {
      throw new Error(
        `applyRepetitionPenalty: token id ${id} is outside the vocabulary [0, ${logits.length}).`,
      );
    }
    const logit = logits[id];
    penalized[id] = logit < 0 ? logit * penalty : logit / penalty;
  }
  return penalized;
}

/**
 * HF TemperatureLogitsWarper: logits / T. T < 1 sharpens the distribution, T > 1 flattens it.
 * T = 0 is the greedy limit: only the argmax survives (others -Infinity). T < 0 throws.
 */
export function applyTemperature(logits: Float32Array, temperature: number): Float32Array {
  requireValid({ temperature });
  if (temperature === 0) return keepOnly(logits, [argmax(logits)]);
  return logits.map((logit) => logit / temperature);
}

/**
 * HF TopKLogitsWarper: removes every token whose logit is strictly below the k-th largest logit,
 * so tokens tied with the k-th are kept (more than k may survive). k >= vocab keeps all.
 */
export function applyTopK(logits: Float32Array, k: number): Float32Array {
  requireValid({ topK: k });
  if (k >= logits.length) return logits.slice();
  const descending = Array.from(logits).sort((a, b) => b - a);
  const kthLargest = descending[k - 1];
  return logits.map((logit) => (logit < kthLargest ? -Infinity : logit));
}

/**
 * HF TopPLogitsWarper (nucleus sampling, Holtzman et al. 2020): sort tokens by ascending
 * probability, accumulate, and remove those whose cumulative probability is <= 1 - p; the most
 * likely token is always kept (min_tokens_to_keep = 1). What remains is the smallest top set whose
 * mass is >= p. p = 1 keeps every token. Equal logits are ordered by id, the lower id counting as
 * more likely, so the result is deterministic.
 */
export function applyTopP(logits: Float32Array, p: number): Float32Array {
  requireValid({ topP: p });
  if (p === 1) return logits.slice();
  const probs = softmax64(logits);
  const ascending = idsByAscendingLogit(logits);
  const removed: number[] = [];
  let cumulative = 0;
  for (let rank = 0; rank < ascending.length - 1; rank++) {
    const id = ascending[rank];
    cumulative += probs[id];
    if (cumulative <= 1 - p) removed.push(id);
  }
  return removeIds(logits, removed);
}

/**
 * HF MinPLogitsWarper (Nguyen et al. 2024): with probs = softmax(logits), remove tokens whose
 * probability is below minP * max(probs); the threshold scales with the model's confidence.
 * The most likely token is always kept. minP = 0 keeps all.
 */
export function applyMinP(logits: Float32Array, minP: number): Float32Array {
  requireValid({ minP });
  const probs = softmax64(logits);
  const topId = argmax(logits);
  const threshold = minP * probs[topId];
  const removed: number[] = [];
  probs.forEach((prob, id) => {
    if (prob < threshold && id !== topId) removed.push(id);
  });
  return removeIds(logits, removed);
}

/**
 * HF TypicalLogitsWarper, locally typical sampling (Meister et al. 2022). The entropy
 * H = -sum p log p is the expected surprise; a token's "atypicality" is |(-log p_i) - H|.
 * Tokens are sorted from most to least typical and the most typical are kept until their
 * cumulative probability reaches `mass`: as in HF, the cut is at index
 * last = #(cumulative < mass) (clamped to vocab - 1) and every token strictly less typical than
 * the token at `last` is removed. The most typical token is always kept. mass = 1 = off.
 */
export function applyTypical(logits: Float32Array, mass: number): Float32Array {
  requireValid({ typicalP: mass });
  if (mass === 1) return logits.slice();
  const probs = softmax64(logits);
  let entropy = 0;
  for (const prob of probs) if (prob > 0) entropy -= prob * Math.log(prob);
  // Removed tokens (p = 0) have infinite surprise, so they sort last and stay removed.
  const atypicality = probs.map((prob) =>
    prob > 0 ? Math.abs(-Math.log(prob) - entropy) : Infinity,
  );
  const mostTypicalFirst = Array.from(probs.keys()).sort(
    (a, b) => atypicality[a] - atypicality[b] || a - b,
  );
  let cumulative = 0;
  let keptBelowMass = 0;
  for (const id of mostTypicalFirst) {
    cumulative += probs[id];
    if (cumulative < mass) keptBelowMass++;
  }
  const lastKept = Math.min(keptBelowMass, probs.length - 1);
  const cutoff = atypicality[mostTypicalFirst[lastKept]];
  const removed = mostTypicalFirst.slice(1).filter((id) => atypicality[id] > cutoff);
  return removeIds(logits, removed);
}

/**
 * All processors in Hugging Face order: repetition penalty, then (only when sampling)
 * temperature, top-k, top-p, min-p, typical. In greedy mode (see `isGreedy`) only the penalty
 * applies and then everything but the argmax is removed, so the returned logits describe what
 * will actually be chosen. Throws on invalid options.
 */
export function processLogits(
  logits: Float32Array,
  previousIds: readonly number[],
  opts: SamplingOptions,
): Float32Array {
  requireValid(opts);
  let processed = logits;
  if (opts.repetitionPenalty !== undefined && opts.repetitionPenalty !== 1) {
    processed = applyRepetitionPenalty(processed, previousIds, opts.repetitionPenalty);
  }
  if (isGreedy(opts)) return keepOnly(processed, [argmax(processed)]);
  if (opts.temperature !== undefined && opts.temperature !== 1) {
    processed = applyTemperature(processed, opts.temperature);
  }
  if (opts.topK !== undefined) processed = applyTopK(processed, opts.topK);
  if (opts.topP !== undefined && opts.topP < 1) processed = applyTopP(processed, opts.topP);
  if (opts.minP !== undefined && opts.minP > 0) processed = applyMinP(processed, opts.minP);
  if (opts.typicalP !== undefined && opts.typicalP < 1) {
    processed = applyTypical(processed, opts.typicalP);
  }
  return processed === logits ? logits.slice() : processed;
}

/**
 * The next token: processLogits, then argmax when greedy (no random number is drawn) or one
 * draw from softmax(processed) otherwise.
 */
export function chooseNextToken(
  logits: Float32Array,
  previousIds: readonly number[],
  opts: SamplingOptions,
  random: () => number,
): number {
  const processed = processLogits(logits, previousIds, opts);
  return isGreedy(opts) ? argmax(processed) : sampleToken(processed, random);
}

/**
 * softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x); subtracting the max changes nothing
 * mathematically and keeps exp from overflowing. -Infinity gives exactly 0.
 */
export function softmax(logits: Float32Array): Float32Array {
  return Float32Array.from(softmax64(logits));
}

/** Index of the largest logit; the first one on ties. NaN never wins. */
export function argmax(logits: Float32Array): number {
  let best = -1;
  for (let id = 0; id < logits.length; id++) {
    if (best === -1 ? !Number.isNaN(logits[id]) : logits[id] > logits[best]) best = id;
  }
  if (best === -1) throw new Error('argmax: the logits are empty or all NaN.');
  return best;
}

/**
 * One draw from softmax(logits) by inverting the cumulative distribution: with u = random() in
 * [0, 1), return the first id whose cumulative probability exceeds u. A removed token
 * (-Infinity) has probability 0 and can never be returned.
 */
export function sampleToken(logits: Float32Array, random: () => number): number {
  const probs = softmax64(logits);
  const u = random();
  let cumulative = 0;
  let lastPossible = -1;
  for (let id = 0; id < probs.length; id++) {
    if (probs[id] === 0) continue;
    cumulative += probs[id];
    lastPossible = id;
    if (u < cumulative) return id;
  }
  // Only reachable when rounding leaves the total just below u (< 1); take the last live token.
  return lastPossible;
}

// ---------------------------------------------------------------------------------------------

function requireValid(opts: SamplingOptions): void {
  const message = validateSamplingOptions(opts);
  if (message !== null) throw new Error(message);
}

/** softmax in float64 (probabilities for thresholds and cumulative sums); refuses a row with nothing left. */
function softmax64(logits: Float32Array): Float64Array {
  if (!logits.some((logit) => logit > -Infinity)) {
    throw new Error('softmax: every token has been removed (all logits are -Infinity or NaN).');
  }
  return softmaxOf(logits);
}

/** Token ids from least to most likely; on equal logits the higher id counts as less likely. */
function idsByAscendingLogit(logits: Float32Array): number[] {
  return Array.from(logits.keys()).sort((a, b) => logits[a] - logits[b] || b - a);
}

function removeIds(logits: Float32Array, ids: readonly number[]): Float32Array {
  const kept = logits.slice();
  for (const id of ids) kept[id] = -Infinity;
  return kept;
}

function keepOnly(logits: Float32Array, ids: readonly number[]): Float32Array {
  const kept = new Float32Array(logits.length).fill(-Infinity);
  for (const id of ids) kept[id] = logits[id];
  return kept;
}
