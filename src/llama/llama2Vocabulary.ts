/**
 * The whole Llama-2 SentencePiece vocabulary (32,000 pieces and their merges), read from the
 * llama-tokenizer-js package, as a TokenizerJSON whose ids are Llama-2's own. Used by
 * scripts/build-tokenizer.ts to prune it and by the tokens chapter to count tokens side by side.
 * The package embeds its vocabulary in its JavaScript (about 0.7 MB) and fetches nothing, so
 * pages import this module dynamically, only when a figure needs it.
 */
import llamaTokenizer from 'llama-tokenizer-js';
import type { TokenizerJSON } from './tokenizer';

/** The whole Llama-2 vocabulary as a TokenizerJSON (our ids = Llama ids). */
export function fullLlamaTokenizerJSON(): TokenizerJSON {
  const pieces = llamaTokenizer.vocabById;
  const idOf = llamaTokenizer.vocabByString;
  // llama-tokenizer-js stores merges as "left right" -> priority (lower merges first).
  const merges = [...llamaTokenizer.merges.entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([key]) => key.split(' ').map((piece) => idOf.get(piece)!) as [number, number]);
  return { pieces, llamaIds: pieces.map((_, id) => id), merges, unkId: 0, bosId: 1, eosId: 2 };
}
