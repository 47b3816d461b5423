/**
 * The long-context chapter's ops (NBCE): continuing a text longer than the context by truncation,
 * position interpolation or NBCE, token by token with progress and cancel (nbceGenerate), and the
 * per-chunk next-token distributions NBCE pools (nbceDistributions). No worker globals here, so unit
 * tests run them in Node as the worker does.
 */
import type { LlamaModel } from '../llama/model';
import type { NbcePooling } from '../llama/nbce';
import { longContextGenerate, nbceDistributions, type LongContextMethod, type LongContextStep } from '../llama/nbceGenerate';
import { StreamDecoder, type Tokenizer } from '../llama/tokenizer';
import { formatCount } from './limits';

/** The longest context these ops read, in contexts of the model (interpolation reads it all at once). */
export const NBCE_MAX_CONTEXTS = 4;
/** The most new tokens one call generates. */
export const NBCE_MAX_NEW_TOKENS = 32;

export interface NbceGenerateArgs {
  session?: string;
  /** The long part: cut into chunks by NBCE, cut off by truncation. */
  context: string;
  /** The end of the text, read with every chunk (no BOS; it follows the context after a space). */
  question: string;
  method: LongContextMethod;
  maxNewTokens: number;
  chunkSize?: number;
  pooling?: NbcePooling;
  beta?: number;
}

export type NbceGenerateProgress = LongContextStep & { text: string };

export interface NbceGenerateResult {
  method: LongContextMethod;
  /** The context's and the question's tokens, without BOS. */
  contextIds: number[];
  questionIds: number[];
  /** Tokens of each row the model read (BOS included). */
  rowLengths: number[];
  /** NBCE: [start, end) of each chunk in contextIds. */
  chunks?: [number, number][];
  /** interpolate: the linear RoPE factor. */
  factor?: number;
  newIds: number[];
  text: string;
  steps: NbceGenerateProgress[];
  stopReason: 'length' | 'eos' | 'cancelled';
}

export interface NbceDistributionsArgs {
  session?: string;
  context: string;
  question: string;
  chunkSize: number;
}

export interface NbceDistributionsResult {
  contextIds: number[];
  questionIds: number[];
  chunks: [number, number][];
  /** [vocab] logits after each row: the question alone first, then each chunk + question. */
  logits: Float32Array[];
}

/** Tokens of context and question, checked against the ops' limits. */
function tokenize(model: LlamaModel, tokenizer: Tokenizer, context: string, question: string): { contextIds: number[]; questionIds: number[] } {
  if (question.trim() === '') throw new Error('The question is empty: NBCE reads every chunk with it, so it needs at least one token.');
  const contextIds = tokenizer.encode(context, { bos: false });
  const questionIds = tokenizer.encode(question, { bos: false });
  const window = model.config.max_position_embeddings;
  const limit = NBCE_MAX_CONTEXTS * window;
  const total = contextIds.length + questionIds.length + 1;
  if (total > limit) {
    throw new RangeError(`This text is ${formatCount(total)} tokens; these figures read at most ${formatCount(limit)} (${NBCE_MAX_CONTEXTS} times the context of ${formatCount(window)}).`);
  }
  return { contextIds, questionIds };
}

/**
 * Continues context + question with one method; `progress` gets every token (with its text),
 * `step` is awaited between tokens (it lets quick ops run, and false stops: the result then has
 * the tokens so far and stopReason 'cancelled').
 */
export async function nbceGenerateOf(
  model: LlamaModel,
  tokenizer: Tokenizer,
  { context, question, method, maxNewTokens, chunkSize, pooling, beta }: NbceGenerateArgs,
  progress: (step: NbceGenerateProgress) => void = () => {},
  step: () => Promise<boolean> = async () => true,
): Promise<NbceGenerateResult> {
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > NBCE_MAX_NEW_TOKENS) {
    throw new Error(`maxNewTokens must be a whole number from 1 to ${NBCE_MAX_NEW_TOKENS}. Received ${maxNewTokens}.`);
  }
  const { contextIds, questionIds } = tokenize(model, tokenizer, context, question);
  const decoder = new StreamDecoder(tokenizer);
  const steps: NbceGenerateProgress[] = [];
  const result = await longContextGenerate(model, contextIds, questionIds, {
    method,
    maxNewTokens,
    chunkSize,
    pooling,
    beta,
    eosTokenId: tokenizer.eosId,
    onStep: async (value) => {
      const withText = { ...value, text: decoder.push(value.tokenId) };
      steps.push(withText);
      progress(withText);
      return step();
    },
  });
  return {
    method,
    contextIds,
    questionIds,
    rowLengths: result.rows.map((row) => row.length),
    ...(result.chunks ? { chunks: result.chunks } : {}),
    ...(result.factor !== undefined ? { factor: result.factor } : {}),
    newIds: result.newIds,
    text: steps.map((s) => s.text).join('') + decoder.flush(),
    steps,
    stopReason: result.stopReason,
  };
}

/** NBCE's first-step distributions, one row per chunk and one for the question alone. */
export async function nbceDistributionsOf(
  model: LlamaModel,
  tokenizer: Tokenizer,
  { context, question, chunkSize }: NbceDistributionsArgs,
): Promise<NbceDistributionsResult> {
  const { contextIds, questionIds } = tokenize(model, tokenizer, context, question);
  const { chunks, logits } = await nbceDistributions(model, contextIds, questionIds, chunkSize);
  return { contextIds, questionIds, chunks, logits };
}
