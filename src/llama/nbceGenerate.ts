/**
 * Continuing a text longer than the model's context, three ways, all greedy:
 *
 *   'truncate'     keep only the last tokens that fit (what a plain model does);
 *   'interpolate'  read everything at once with RoPE position interpolation (positions divided
 *                  by factor = length / context, Chen et al. 2023), no training;
 *   'nbce'         cut the context into chunks, read each chunk with the question (the end of the
 *                  text) as one row of a batch, plus the question alone, and pool the rows'
 *                  next-token distributions with nbcePool (nbce.ts) at every step.
 *
 * Every new token is appended to every row, so after the prefill each step is one batched decode
 * step against the KV cache.
 */
import { parseConfig } from './config';
import { stepLogits } from './generate';
import { KVCache } from './kvcache';
import { logSoftmax } from './math';
import { checkTokenIds, positionIdsFromMask, type LlamaModel } from './model';
import { entropyOfLogProbs, nbceOptionsProblem, nbcePool, type NbcePooling } from './nbce';
import { argmax } from './sampling';

export const LONG_CONTEXT_METHODS = ['truncate', 'interpolate', 'nbce'] as const;
export type LongContextMethod = (typeof LONG_CONTEXT_METHODS)[number];

export interface LongContextOptions {
  method: LongContextMethod;
  maxNewTokens: number;
  /** NBCE: context tokens per chunk (the question and the new tokens come on top). */
  chunkSize?: number;
  pooling?: NbcePooling;
  beta?: number;
  /** Stop after generating this id (it is included). */
  eosTokenId?: number;
  /** Called after each token; return false (or resolve to false) to stop. */
  onStep?: (step: LongContextStep) => void | boolean | Promise<void | boolean>;
}

export interface LongContextStep {
  /** 0 for the first new token. */
  index: number;
  tokenId: number;
  /** Its probability under the method's distribution (for NBCE: the pooled one). */
  probability: number;
  /** Entropy of that distribution, in nats. */
  entropy: number;
  /** NBCE: each chunk's entropy at this step, in nats. */
  chunkEntropies?: number[];
  /** NBCE with lowest-entropy pooling: the chunk that was used (0-based); null with averaging. */
  winner?: number | null;
}

export interface LongContextResult {
  method: LongContextMethod;
  newIds: number[];
  steps: LongContextStep[];
  stopReason: 'length' | 'eos' | 'cancelled';
  /** The rows the model read, BOS included: one for truncate and interpolate; for NBCE the question alone first, then one per chunk. */
  rows: number[][];
  /** NBCE: [start, end) of each chunk in the context's tokens. */
  chunks?: [number, number][];
  /** interpolate: the linear RoPE factor used. */
  factor?: number;
}

/** [start, end) ranges of `size` tokens covering `length` tokens (the last may be shorter). */
export function chunkRanges(length: number, size: number): [number, number][] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`chunkSize must be a whole number >= 1. Received ${size}.`);
  const ranges: [number, number][] = [];
  for (let start = 0; start < length; start += size) ranges.push([start, Math.min(length, start + size)]);
  return ranges;
}

/**
 * The same weights seen through a config with linear RoPE scaling (position interpolation) by
 * `factor`, and a context `factor` times longer so generation may run past the trained one.
 */
export function interpolatedModel(model: LlamaModel, factor: number): LlamaModel {
  const config = parseConfig({
    ...model.config,
    rope_scaling: { rope_type: 'linear', factor },
    max_position_embeddings: Math.ceil(model.config.max_position_embeddings * factor),
  });
  return Object.create(model, { config: { value: config } }) as LlamaModel;
}

/**
 * Continues context + question (token ids without BOS) with `method`. The context is what may be
 * too long; the question is the end of the text that every NBCE row carries.
 */
export async function longContextGenerate(
  model: LlamaModel,
  contextIds: number[],
  questionIds: number[],
  options: LongContextOptions,
): Promise<LongContextResult> {
  const { method, maxNewTokens } = options;
  const window = model.config.max_position_embeddings;
  const bos = model.config.bos_token_id ?? 1;
  if (!(LONG_CONTEXT_METHODS as readonly string[]).includes(method)) {
    throw new Error(`method must be one of ${LONG_CONTEXT_METHODS.join(', ')}. Received ${String(method)}.`);
  }
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new Error(`maxNewTokens must be a whole number >= 1. Received ${maxNewTokens}.`);
  if (questionIds.length === 0) throw new Error('The question is empty: NBCE reads every chunk with it, so it needs at least one token.');
  checkTokenIds([[...contextIds, ...questionIds]], model.config.vocab_size);
  const whole = [bos, ...contextIds, ...questionIds];

  if (method === 'truncate') {
    const room = window - maxNewTokens;
    if (room < 2) throw new Error(`${maxNewTokens} new tokens leave no room in the context of ${window}.`);
    const row = whole.length <= room ? whole : [bos, ...whole.slice(whole.length - (room - 1))];
    return { method, rows: [row], ...(await greedy(model, [row], options, single)) };
  }
  if (method === 'interpolate') {
    const factor = Math.max(1, (whole.length + maxNewTokens) / window);
    const scaled = factor === 1 ? model : interpolatedModel(model, factor);
    return { method, rows: [whole], factor, ...(await greedy(scaled, [whole], options, single)) };
  }

  const { chunkSize = 128, pooling = 'lowestEntropy', beta = 0.25 } = options;
  const problem = nbceOptionsProblem({ pooling, beta });
  if (problem) throw new Error(problem);
  const longest = window - maxNewTokens - questionIds.length - 1;
  if (chunkSize > longest) {
    throw new Error(`A chunk of ${chunkSize} tokens, the question's ${questionIds.length}, BOS and ${maxNewTokens} new tokens exceed the context of ${window}: chunks may hold at most ${Math.max(0, longest)}.`);
  }
  const { chunks, rows } = nbceRows(bos, contextIds, questionIds, chunkSize);
  const pool = (logits: Float32Array[]) => {
    if (logits.length === 1) return single(logits); // no context: the question alone
    const step = nbcePool(logits.slice(1), logits[0], { pooling, beta });
    const tokenId = argmax(Float32Array.from(step.logProbs));
    return {
      tokenId,
      probability: Math.exp(step.logProbs[tokenId]),
      entropy: entropyOfLogProbs(step.logProbs),
      chunkEntropies: step.entropies,
      winner: step.winner,
    };
  };
  return { method, rows, chunks, ...(await greedy(model, rows, options, pool)) };
}

/** NBCE's rows, BOS first: the question alone, then each chunk of the context followed by the question. */
export function nbceRows(bos: number, contextIds: number[], questionIds: number[], chunkSize: number): { chunks: [number, number][]; rows: number[][] } {
  const chunks = contextIds.length === 0 ? [] : chunkRanges(contextIds.length, chunkSize);
  const rows = [[bos, ...questionIds], ...chunks.map(([start, end]) => [bos, ...contextIds.slice(start, end), ...questionIds])];
  return { chunks, rows };
}

/**
 * The per-chunk next-token distributions of NBCE's first step, before any pooling: the logits
 * [vocab] after each row (the question alone first, then each chunk + question), from one
 * batched forward. What nbcePool combines.
 */
export async function nbceDistributions(
  model: LlamaModel,
  contextIds: number[],
  questionIds: number[],
  chunkSize: number,
): Promise<{ chunks: [number, number][]; rows: number[][]; logits: Float32Array[] }> {
  const window = model.config.max_position_embeddings;
  if (questionIds.length === 0) throw new Error('The question is empty: NBCE reads every chunk with it, so it needs at least one token.');
  checkTokenIds([[...contextIds, ...questionIds]], model.config.vocab_size);
  const longest = window - questionIds.length - 1;
  if (chunkSize > longest) throw new Error(`A chunk of ${chunkSize} tokens, the question's ${questionIds.length} and BOS exceed the context of ${window}: chunks may hold at most ${Math.max(0, longest)}.`);
  const { chunks, rows } = nbceRows(model.config.bos_token_id ?? 1, contextIds, questionIds, chunkSize);
  const { padded, mask, padding } = leftPadded(rows);
  const cache = new KVCache(model.config.num_hidden_layers);
  try {
    const logits = await stepLogits(model, padded, cache, padding ? mask : undefined, padding ? positionIdsFromMask(mask) : undefined);
    return { chunks, rows, logits: logits.map((row) => row.slice()) };
  } finally {
    cache.dispose();
  }
}

/** Rows padded on the left to one width, with their attention mask (1 = token). */
function leftPadded(rows: number[][]): { padded: number[][]; mask: number[][]; padding: boolean } {
  const width = Math.max(...rows.map((row) => row.length));
  return {
    padded: rows.map((row) => [...new Array<number>(width - row.length).fill(0), ...row]),
    mask: rows.map((row) => [...new Array<number>(width - row.length).fill(0), ...new Array<number>(row.length).fill(1)]),
    padding: rows.some((row) => row.length < width),
  };
}

type Chooser = (logits: Float32Array[]) => Omit<LongContextStep, 'index'>;

/** Plain greedy decoding of one row. */
function single([logits]: Float32Array[]): Omit<LongContextStep, 'index'> {
  const logProbs = logSoftmax(logits);
  const tokenId = argmax(logits);
  return { tokenId, probability: Math.exp(logProbs[tokenId]), entropy: entropyOfLogProbs(logProbs) };
}

/**
 * Greedy decoding of a batch of rows that all receive the same new token: the rows are padded on
 * the left (masked, positions counted from each row's first real token), read in one prefill, then
 * each step feeds the chosen token to every row against the KV cache.
 */
async function greedy(
  model: LlamaModel,
  rows: number[][],
  { maxNewTokens, eosTokenId, onStep }: LongContextOptions,
  choose: Chooser,
): Promise<Pick<LongContextResult, 'newIds' | 'steps' | 'stopReason'>> {
  const { padded, mask, padding } = leftPadded(rows);
  const cache = new KVCache(model.config.num_hidden_layers);
  const newIds: number[] = [];
  const steps: LongContextStep[] = [];
  let stopReason: LongContextResult['stopReason'] = 'length';
  try {
    let logits = await stepLogits(model, padded, cache, padding ? mask : undefined, padding ? positionIdsFromMask(mask) : undefined);
    for (let index = 0; index < maxNewTokens; index++) {
      const step = { index, ...choose(logits) };
      newIds.push(step.tokenId);
      steps.push(step);
      if ((await onStep?.(step)) === false) {
        stopReason = 'cancelled';
        break;
      }
      if (step.tokenId === eosTokenId) {
        stopReason = 'eos';
        break;
      }
      if (index + 1 === maxNewTokens) break;
      for (const row of mask) row.push(1);
      const positions = padding ? positionIdsFromMask(mask).map((row) => row.slice(-1)) : undefined;
      logits = await stepLogits(model, rows.map(() => [step.tokenId]), cache, padding ? mask : undefined, positions);
    }
  } finally {
    cache.dispose();
  }
  return { newIds, steps, stopReason };
}
