/**
 * Reader for a karpathy/llama2.c tokenizer file (tokenizer.bin, tok512.bin), walking it in order
 * as run.c's build_tokenizer does:
 *
 *   int32 LE  max_token_length
 *   then, for each token id 0, 1, 2, ... to the end of the file:
 *     float32 LE  score       SentencePiece's score of the piece (higher merges first)
 *     int32 LE    length      bytes of the piece
 *     bytes       piece       UTF-8, with SentencePiece's "▁" written as a plain space;
 *                             <s> and </s> are written "\n<s>\n" and "\n</s>\n"
 *
 * The file stores scores, not merge rules: run.c merges, again and again, the adjacent pair whose
 * joined text is a piece with the best score. That is byte-pair merging with the merges ranked by
 * the score of the piece they make, so `readLlama2cTokenizer` lists, for every piece, each way to
 * split it into two pieces, best score first, and the page's one Tokenizer runs it. (When one text
 * can form the same piece from two different splits at once, run.c takes the leftmost pair and we
 * take the split listed first; both are the same piece, and Hugging Face's conversion of
 * SentencePiece models makes the same choice as we do.)
 */
import { SPACE_MARK, type TokenizerJSON } from './tokenizer';

const SPECIALS = { unk: '<unk>', bos: '<s>', eos: '</s>' } as const;

/** The tokenizer in the page's form (pieces with "▁", merges as id pairs); ids are the file's own. */
export function readLlama2cTokenizer(bytes: Uint8Array): TokenizerJSON {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) throw new Error(`llama2.c tokenizer: ${bytes.byteLength} bytes is shorter than its 4-byte header`);
  const maxTokenLength = view.getInt32(0, true);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const pieces: string[] = [];
  const scores: number[] = [];
  for (let offset = 4; offset < bytes.byteLength; ) {
    const id = pieces.length;
    if (offset + 8 > bytes.byteLength) throw new Error(`llama2.c tokenizer: token ${id} is cut short at byte ${offset}`);
    const score = view.getFloat32(offset, true);
    const length = view.getInt32(offset + 4, true);
    if (length < 0 || length > maxTokenLength || offset + 8 + length > bytes.byteLength) {
      throw new Error(`llama2.c tokenizer: token ${id} at byte ${offset} claims ${length} bytes (longest allowed ${maxTokenLength}, ${bytes.byteLength - offset - 8} left)`);
    }
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(offset + 8, offset + 8 + length));
    } catch {
      throw new Error(`llama2.c tokenizer: token ${id} at byte ${offset} is not UTF-8 text`);
    }
    const trimmed = text.trim();
    pieces.push(trimmed === SPECIALS.bos || trimmed === SPECIALS.eos ? trimmed : text.replaceAll(' ', SPACE_MARK));
    scores.push(score);
    offset += 8 + length;
  }
  if (pieces.length === 0) throw new Error('llama2.c tokenizer: the file holds no tokens');
  const idOf = new Map(pieces.map((piece, id) => [piece, id]));
  const special = (name: keyof typeof SPECIALS, fallback: number) => idOf.get(SPECIALS[name]) ?? fallback;
  return {
    pieces,
    llamaIds: pieces.map((_, id) => id),
    merges: mergesFromScores(pieces, scores),
    unkId: special('unk', 0),
    bosId: special('bos', 1),
    eosId: special('eos', 2),
  };
}

/**
 * Every split of every piece into two pieces (left + right = piece), ordered by the score of the
 * piece they make, best first; byte tokens and <s>-style control pieces make no merges.
 */
export function mergesFromScores(pieces: readonly string[], scores: readonly number[]): [number, number][] {
  const idOf = new Map(pieces.map((piece, id) => [piece, id]));
  const merges: { left: number; right: number; score: number; made: number }[] = [];
  pieces.forEach((piece, made) => {
    if (/^<.*>$/.test(piece)) return;
    const characters = [...piece];
    for (let cut = 1; cut < characters.length; cut++) {
      const left = idOf.get(characters.slice(0, cut).join(''));
      const right = idOf.get(characters.slice(cut).join(''));
      if (left !== undefined && right !== undefined) merges.push({ left, right, score: scores[made], made });
    }
  });
  // best score first; equal scores in id order (SentencePiece numbers pieces in merge order)
  merges.sort((a, b) => b.score - a.score || a.made - b.made);
  return merges.map(({ left, right }) => [left, right]);
}
