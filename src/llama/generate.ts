/**
 * Text generation on top of the KV cache: the prompt goes through the model once (prefill), then
 * every new token costs one forward of a single position. Only the last position's logits are
 * read back from the backend.
 */
import * as tf from '@tensorflow/tfjs';
import { KVCache } from './kvcache';
import { logSoftmax } from './math';
import { checkTokenIds, LlamaModel, positionIdsFromMask } from './model';
import { createRandom } from './rng';
import { argmax, chooseNextToken, validateSamplingOptions, type SamplingOptions } from './sampling';

export interface GenerateOptions extends SamplingOptions {
  /** How many tokens to add (the context length may stop generation earlier). */
  maxNewTokens: number;
  /** > 1: beam search (deterministic; of the processors only repetitionPenalty applies, as HF with do_sample=False). */
  numBeams?: number;
  /** Stop after generating this id (it is included). Default: no stop token. */
  eosTokenId?: number;
  /** Called with every new token (greedy/sampling only); return false (or resolve to false) to stop. */
  onToken?: (id: number) => void | boolean | Promise<void | boolean>;
  /** Beam search only: called after every step with the live beams; return false (or resolve to false) to stop. */
  onBeamStep?: (step: BeamStep) => void | boolean | Promise<void | boolean>;
}

/** One step of beam search: the beams that live on after it and the hypotheses finished so far. */
export interface BeamStep {
  /** 1 after the first new token. */
  step: number;
  /**
   * Best first. `parent` is the row of the previous step's beams (and KV cache) this beam extends:
   * the cache's rows are reordered to these parents before the next step (KVCache.selectRows).
   */
  beams: { tokens: number[]; logProb: number; parent: number }[];
  /** Best first (score = sum of log-probabilities / generated length). */
  finished: { tokens: number[]; score: number }[];
}

export type StopReason = 'length' | 'eos' | 'cancelled' | 'context';

export interface GenerateResult {
  /** The prompt (BOS alone when the prompt was empty) followed by the new tokens. */
  ids: number[];
  newIds: number[];
  stopReason: StopReason;
  /** Beam search only: sum of log-probabilities / generated length (length_penalty = 1). */
  score?: number;
}

/** Checks a prompt; an empty prompt becomes [BOS]. */
function preparePrompt(model: LlamaModel, promptIds: number[], maxNewTokens: number): number[] {
  const config = model.config;
  const prompt = promptIds.length === 0 ? [config.bos_token_id ?? 1] : promptIds;
  checkTokenIds([prompt], config.vocab_size);
  if (prompt.length > config.max_position_embeddings) {
    throw new Error(`The prompt has ${prompt.length} tokens but the model's context holds ${config.max_position_embeddings}`);
  }
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    throw new Error(`maxNewTokens must be an integer >= 0. Received ${maxNewTokens}.`);
  }
  return prompt;
}

/**
 * One forward over new tokens [batch, seq] that extends the cache; returns the logits of the
 * last position of every row: batch x Float32Array(vocab). A decode step of generate().
 */
export async function stepLogits(
  model: LlamaModel,
  ids: number[][],
  cache: KVCache,
  attentionMask?: number[][],
  positionIds?: number[][],
): Promise<Float32Array[]> {
  const seq = ids[0].length;
  const vocab = model.config.vocab_size;
  const last = tf.tidy(() => {
    const { logits } = model.forward(tf.tensor2d(ids, undefined, 'int32'), {
      cache,
      attentionMask: attentionMask && tf.tensor2d(attentionMask, undefined, 'int32'),
      positionIds: positionIds && tf.tensor2d(positionIds, undefined, 'int32'),
    });
    return seq === 1 ? logits : tf.slice(logits, [0, seq - 1, 0], [ids.length, 1, vocab]); // [batch, 1, vocab]
  });
  const data = (await last.data()) as Float32Array;
  last.dispose();
  return ids.map((_, row) => data.subarray(row * vocab, (row + 1) * vocab));
}

/** Greedy, sampled or beam-search continuation of one prompt. */
export async function generate(model: LlamaModel, promptIds: number[], opts: GenerateOptions): Promise<GenerateResult> {
  const problem = validateSamplingOptions(opts);
  if (problem) throw new Error(problem);
  const prompt = preparePrompt(model, promptIds, opts.maxNewTokens);
  const numBeams = opts.numBeams ?? 1;
  if (!Number.isInteger(numBeams) || numBeams < 1) throw new Error(`numBeams must be an integer >= 1. Received ${numBeams}.`);
  if (numBeams > 1) return beamSearch(model, prompt, opts, numBeams);

  // without a seed every call samples differently, as in HF; with one it replays exactly
  const random = createRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  const room = model.config.max_position_embeddings - prompt.length;
  const cache = new KVCache(model.config.num_hidden_layers);
  const ids = [...prompt];
  const newIds: number[] = [];
  let stopReason: StopReason = 'length';
  try {
    let [logits] = await stepLogits(model, [prompt], cache);
    while (newIds.length < opts.maxNewTokens) {
      if (newIds.length === room) {
        stopReason = 'context';
        break;
      }
      const next = chooseNextToken(logits, ids, opts, random);
      ids.push(next);
      newIds.push(next);
      if ((await opts.onToken?.(next)) === false) {
        stopReason = 'cancelled';
        break;
      }
      if (next === opts.eosTokenId) {
        stopReason = 'eos';
        break;
      }
      if (newIds.length < opts.maxNewTokens && newIds.length < room) [logits] = await stepLogits(model, [[next]], cache);
    }
  } finally {
    cache.dispose();
  }
  return { ids, newIds, stopReason };
}

/**
 * Hugging Face beam search (num_beams, length_penalty 1, early_stopping false): each step scores
 * every (beam, token) by the beam's summed log-probability plus log p(token), looks at the best
 * 2 * numBeams candidates, sends candidates ending in EOS to the finished list (score = sum of
 * log-probs / generated length) and keeps the best numBeams others as the new beams.
 */
async function beamSearch(model: LlamaModel, prompt: number[], opts: GenerateOptions, numBeams: number): Promise<GenerateResult> {
  const vocab = model.config.vocab_size;
  const maxNew = Math.min(opts.maxNewTokens, model.config.max_position_embeddings - prompt.length);
  const cache = new KVCache(model.config.num_hidden_layers);
  type Hypothesis = { tokens: number[]; score: number };
  const finished: Hypothesis[] = [];
  // one beam at first: the others would be copies and must not be counted twice
  let beams = [{ tokens: [] as number[], logProb: 0 }];
  const penalty = opts.repetitionPenalty ?? 1;
  let cancelled = false;
  try {
    let logits = await stepLogits(model, [prompt], cache);
    for (let step = 0; step < maxNew; step++) {
      const candidates: { beam: number; token: number; logProb: number }[] = [];
      beams.forEach((beam, b) => {
        const scores = logSoftmax(logits[b]);
        if (penalty !== 1) {
          for (const id of new Set([...prompt, ...beam.tokens])) scores[id] = scores[id] < 0 ? scores[id] * penalty : scores[id] / penalty;
        }
        for (let token = 0; token < vocab; token++) candidates.push({ beam: b, token, logProb: beam.logProb + scores[token] });
      });
      candidates.sort((a, b) => b.logProb - a.logProb);
      const next: { beam: number; token: number; logProb: number }[] = [];
      for (const [rank, candidate] of candidates.slice(0, 2 * numBeams).entries()) {
        if (candidate.token === opts.eosTokenId) {
          if (rank < numBeams) {
            const tokens = [...beams[candidate.beam].tokens, candidate.token];
            finished.push({ tokens, score: candidate.logProb / tokens.length });
          }
        } else next.push(candidate);
        if (next.length === numBeams) break;
      }
      finished.sort((a, b) => b.score - a.score);
      finished.splice(numBeams);
      // done when no live beam can still beat the worst finished hypothesis
      const generated = step + 1;
      if (finished.length === numBeams && finished[numBeams - 1].score >= next[0].logProb / generated) {
        beams = [];
        await opts.onBeamStep?.({ step: generated, beams: [], finished: finished.map((f) => ({ tokens: f.tokens, score: f.score })) });
        break;
      }
      beams = next.map((c) => ({ tokens: [...beams[c.beam].tokens, c.token], logProb: c.logProb }));
      if (opts.onBeamStep) {
        const report: BeamStep = {
          step: generated,
          beams: next.map((c, row) => ({ tokens: beams[row].tokens, logProb: c.logProb, parent: c.beam })),
          finished: finished.map((f) => ({ tokens: f.tokens, score: f.score })),
        };
        if ((await opts.onBeamStep(report)) === false) {
          cancelled = true;
          break;
        }
      }
      if (step + 1 === maxNew) break;
      cache.selectRows(next.map((c) => c.beam));
      logits = await stepLogits(model, next.map((c) => [c.token]), cache);
    }
  } finally {
    cache.dispose();
  }
  for (const beam of beams) finished.push({ tokens: beam.tokens, score: beam.logProb / Math.max(1, beam.tokens.length) });
  finished.sort((a, b) => b.score - a.score);
  const best = finished[0];
  const stopReason: StopReason = cancelled
    ? 'cancelled'
    : best.tokens.at(-1) === opts.eosTokenId
      ? 'eos'
      : maxNew < opts.maxNewTokens
        ? 'context'
        : 'length';
  return { ids: [...prompt, ...best.tokens], newIds: best.tokens, stopReason, score: best.score };
}

export interface BatchOptions {
  paddingSide: 'left' | 'right';
  /** Pass the padding mask to attention (otherwise padding tokens are attended like text). */
  useAttentionMask: boolean;
  /** Positions from the mask (HF: cumsum - 1) rather than 0, 1, 2, ... for every row. */
  usePositionIdsFromMask: boolean;
  maxNewTokens: number;
  /** Default: config.pad_token_id, else 0. */
  padTokenId?: number;
}

export interface BatchResult {
  /** The padded prompts as fed to the model: [batch, longest prompt]. */
  input: number[][];
  /** 1 = real token, 0 = padding, over prompt + generated tokens. */
  attentionMask: number[][];
  /** Greedy new tokens of every row. */
  newIds: number[][];
}

/**
 * Greedy generation for a padded batch, as Hugging Face does it: every step appends the argmax
 * of the LAST column's logits to every row. With left padding the last column is real text; with
 * right padding it is a pad for the shorter rows, which is why right padding breaks generation.
 */
export async function generateBatch(model: LlamaModel, prompts: number[][], opts: BatchOptions): Promise<BatchResult> {
  if (prompts.length === 0 || prompts.some((p) => p.length === 0)) throw new Error('generateBatch: every prompt needs at least one token');
  prompts.forEach((p) => checkTokenIds([p], model.config.vocab_size));
  const pad = opts.padTokenId ?? model.config.pad_token_id ?? 0;
  const width = Math.max(...prompts.map((p) => p.length));
  if (width + opts.maxNewTokens > model.config.max_position_embeddings) {
    throw new Error(`generateBatch: ${width} + ${opts.maxNewTokens} tokens exceed the context of ${model.config.max_position_embeddings}`);
  }
  const padding = (p: number[]) => new Array(width - p.length).fill(pad);
  const input = prompts.map((p) => (opts.paddingSide === 'left' ? [...padding(p), ...p] : [...p, ...padding(p)]));
  const attentionMask = prompts.map((p) => {
    const ones = new Array(p.length).fill(1);
    const zeros = new Array(width - p.length).fill(0);
    return opts.paddingSide === 'left' ? [...zeros, ...ones] : [...ones, ...zeros];
  });
  const positionsFor = (start: number, count: number) =>
    opts.usePositionIdsFromMask
      ? positionIdsFromMask(attentionMask).map((row) => row.slice(start, start + count))
      : undefined; // the forward's default: start, start + 1, ...
  const cache = new KVCache(model.config.num_hidden_layers);
  const newIds: number[][] = prompts.map(() => []);
  try {
    let logits = await stepLogits(model, input, cache, opts.useAttentionMask ? attentionMask : undefined, positionsFor(0, width));
    for (let step = 0; step < opts.maxNewTokens; step++) {
      const next = logits.map(argmax);
      next.forEach((id, row) => {
        newIds[row].push(id);
        attentionMask[row].push(1);
      });
      if (step + 1 === opts.maxNewTokens) break;
      const position = width + step;
      logits = await stepLogits(
        model,
        next.map((id) => [id]),
        cache,
        opts.useAttentionMask ? attentionMask : undefined,
        positionsFor(position, 1) ?? next.map(() => [position]),
      );
    }
  } finally {
    cache.dispose();
  }
  return { input, attentionMask, newIds };
}
