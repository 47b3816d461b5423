/**
 * The tokens chapter's ops (embeddingTable, extendVocabulary): a session's embedding rows for the
 * page to measure, and a forked session with new vocabulary rows (src/llama/vocabExtend.ts).
 * No worker globals here, so unit tests run these ops in Node exactly as the worker runs them.
 */
import type { LlamaModel } from '../llama/model';
import { extendVocabulary, type NewRowInit } from '../llama/vocabExtend';
import { EMBED_TOKENS, LM_HEAD } from '../llama/weights';
import type { SessionName } from './messages';
import type { Sessions } from './sessions';

/** The most new pieces extendVocabulary adds at once. */
export const MAX_NEW_PIECES = 256;

export interface EmbeddingTableArgs {
  session?: SessionName;
  /** 'input': model.embed_tokens.weight; 'output': lm_head.weight (the embedding when tied). */
  which: 'input' | 'output';
}

export interface EmbeddingTableResult {
  /** [vocab, hidden] */
  shape: [number, number];
  /** row-major, vocab * hidden values */
  data: Float32Array;
}

export interface ExtendVocabularyArgs {
  /** The new session's name. */
  name: SessionName;
  /** The session to copy (default: the loaded model). */
  from?: SessionName;
  /** Per new piece, the byte-token ids that spell it (the rows 'bytes' averages). */
  byteIds: number[][];
  init: NewRowInit;
  /** Seeds 'random'. */
  seed: number;
}

/** A copy of the session's embedding (or output) matrix. */
export function embeddingTableOf(model: LlamaModel, which: EmbeddingTableArgs['which']): EmbeddingTableResult {
  if (which !== 'input' && which !== 'output') throw new Error(`embeddingTable: which must be "input" or "output". Received ${String(which)}.`);
  const name = which === 'output' && !model.config.tie_word_embeddings ? LM_HEAD : EMBED_TOKENS;
  const tensor = model.params.get(name)!;
  const [vocab, hidden] = tensor.shape as [number, number];
  return { shape: [vocab, hidden], data: Float32Array.from(tensor.dataSync() as Float32Array) };
}

/** Forks `from` into `name` with byteIds.length new pieces appended to its vocabulary. */
export function extendVocabularyOf(sessions: Sessions, { name, from, byteIds, init, seed }: ExtendVocabularyArgs): { name: SessionName; parameters: number; vocabSize: number } {
  if (!Array.isArray(byteIds) || byteIds.length === 0 || byteIds.length > MAX_NEW_PIECES) {
    throw new Error(`extendVocabulary: add between 1 and ${MAX_NEW_PIECES} pieces. Received ${Array.isArray(byteIds) ? byteIds.length : typeof byteIds}.`);
  }
  const forked = sessions.fork(name, from, (config, weights) => extendVocabulary(config, weights, byteIds, init, seed));
  return { ...forked, vocabSize: sessions.model(name).config.vocab_size };
}
