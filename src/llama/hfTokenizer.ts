/**
 * Reader for a Hugging Face `tokenizer.json` (the `tokenizers` library's file) of the Llama-2 kind:
 * a BPE model with byte fallback over SentencePiece pieces ("▁the", "<0x0A>"), spaces written as
 * "▁" and a "▁" put in front of the text. That is what the page's one Tokenizer runs, so the
 * file becomes the page's form (pieces by id, merges as id pairs); nothing else is translated.
 *
 * Tokenizers of other kinds are refused with a sentence naming what the file is:
 *   byte-level BPE (GPT-2, Llama 3: no byte fallback, bytes mapped to printable characters),
 *   WordPiece, Unigram, and files with gaps in their ids.
 */
import type { TokenizerJSON } from './tokenizer';

interface HfTokenizerFile {
  model?: { type?: string; vocab?: unknown; merges?: unknown; byte_fallback?: boolean; unk_token?: string | null };
  added_tokens?: { id: number; content: string }[];
  pre_tokenizer?: { type?: string; pretokenizers?: { type?: string }[] } | null;
}

/** Whether a parsed tokenizer.json is the `tokenizers` library's file (not the page's own form). */
export function isHuggingFaceTokenizer(json: unknown): boolean {
  return typeof json === 'object' && json !== null && 'model' in json && !('pieces' in json);
}

/**
 * The tokenizer in the page's form. `ids` gives <s> and </s> when the file's added tokens do not
 * name them (the config's bos_token_id and eos_token_id).
 */
export function tokenizerFromHuggingFace(json: unknown, ids: { bosId?: number; eosId?: number } = {}): TokenizerJSON {
  const file = json as HfTokenizerFile;
  const model = file.model ?? {};
  const kind = model.type ?? 'an unnamed model';
  const preTokenizers = [file.pre_tokenizer?.type, ...(file.pre_tokenizer?.pretokenizers ?? []).map((step) => step.type)];
  if (preTokenizers.includes('ByteLevel')) {
    throw new Error('it is a byte-level BPE tokenizer (the GPT-2 and Llama 3 kind); this page reads SentencePiece BPE with byte fallback (the Llama 2 kind)');
  }
  if (kind !== 'BPE') throw new Error(`it is a ${kind} tokenizer; this page reads SentencePiece BPE with byte fallback (the Llama 2 kind)`);
  if (model.byte_fallback !== true) {
    throw new Error('its BPE has no byte fallback (model.byte_fallback is not true), so some text would have no tokens; this page reads the Llama 2 kind');
  }
  if (typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab)) {
    throw new Error('model.vocab must be an object of piece: id');
  }

  const pieces: string[] = [];
  const place = (piece: string, id: unknown) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new Error(`the id of "${piece}" is ${JSON.stringify(id)}, not a token id`);
    if (pieces[id] !== undefined && pieces[id] !== piece) throw new Error(`id ${id} is given to both "${pieces[id]}" and "${piece}"`);
    pieces[id] = piece;
  };
  for (const [piece, id] of Object.entries(model.vocab as Record<string, unknown>)) place(piece, id);
  for (const added of file.added_tokens ?? []) place(added.content, added.id);
  const gap = Array.from({ length: pieces.length }, (_, id) => id).find((id) => pieces[id] === undefined);
  if (gap !== undefined) throw new Error(`no token has id ${gap} (ids must run from 0 to ${pieces.length - 1})`);

  const idOf = new Map(pieces.map((piece, id) => [piece, id]));
  if (!Array.isArray(model.merges)) throw new Error('model.merges must be a list');
  const merges = (model.merges as unknown[]).map((merge, rank): [number, number] => {
    // "left right" in older files, ["left", "right"] in newer ones
    const [left, right] = typeof merge === 'string' ? splitMerge(merge) : Array.isArray(merge) ? (merge as string[]) : [];
    const leftId = idOf.get(left);
    const rightId = idOf.get(right);
    if (leftId === undefined || rightId === undefined || !idOf.has(left + right)) {
      throw new Error(`merge ${rank} (${JSON.stringify(merge)}) joins pieces that are not all in the vocabulary`);
    }
    return [leftId, rightId];
  });
  const special = (content: string, fallback: number | undefined, what: string) => {
    const id = idOf.get(content) ?? fallback;
    if (id === undefined) throw new Error(`it has no ${content} token and config.json gives no ${what}`);
    return id;
  };
  return {
    pieces,
    llamaIds: pieces.map((_, id) => id),
    merges,
    unkId: special(model.unk_token ?? '<unk>', 0, 'unknown token'),
    bosId: special('<s>', ids.bosId, 'bos_token_id'),
    eosId: special('</s>', ids.eosId, 'eos_token_id'),
  };
}

/** "▁t he" -> ["▁t", "he"]; pieces hold no plain space, so the one space splits the pair. */
function splitMerge(merge: string): [string, string] {
  const at = merge.indexOf(' ');
  return at < 0 ? [merge, ''] : [merge.slice(0, at), merge.slice(at + 1)];
}
