/**
 * TEST FIXTURE, built by the tests themselves and never written into the repository: a 512-token
 * SentencePiece-style BPE tokenizer for the stories260K checkpoint, which comes without its own
 * (../shared/fixtures/README.md). Its pieces are learned here by plain pair counting over a few
 * fixed sentences, so its ids mean nothing to the checkpoint: tests that use it compare token ids
 * and logits, never the text a model writes.
 *
 * Layout as llama2.c's tok512.bin: 0 <unk>, 1 <s>, 2 </s>, 3..258 the byte tokens <0x00>..<0xFF>,
 * then characters and merged pieces, each scored -(its id) (earlier learned = better).
 * It is written two ways: as llama2.c's tokenizer.bin and as a Hugging Face tokenizer.json.
 * `referenceLlama2cEncode` is run.c's encoder, written out here for an independent check.
 */
export const TEST_TOKENIZER_TEXT = [
  'Once upon a time, there was a little girl named Lily. She liked to play in the park with her dog.',
  'One day, the sun was hot and the sky was blue. Tom said, "Let us go to the big tree!"',
  'They ran and ran. Then they sat under the tree and ate an apple. It was a happy day.',
].join(' ');

export const TEST_VOCAB_SIZE = 512;
const SPACE = '\u2581';
const byteToPiece = (byte: number) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;

export interface TestTokenizer {
  pieces: string[];
  scores: number[];
  /** The merges in the order they were learned, as Hugging Face lists them ("left right"). */
  merges: [string, string][];
}

/** Learns pieces until there are `vocabSize`: the most frequent adjacent pair first, ties by text order. */
export function trainTestTokenizer(vocabSize = TEST_VOCAB_SIZE, text = TEST_TOKENIZER_TEXT): TestTokenizer {
  const pieces = ['<unk>', '<s>', '</s>', ...Array.from({ length: 256 }, (_, byte) => byteToPiece(byte))];
  const words = text.split(' ').map((word) => [...(SPACE + word)]);
  for (const character of new Set(words.flat())) pieces.push(character);
  const merges: [string, string][] = [];
  while (pieces.length < vocabSize) {
    const counts = new Map<string, number>();
    for (const word of words) for (let i = 0; i + 1 < word.length; i++) {
      const key = `${word[i]}\u0000${word[i + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let best: string | null = null;
    for (const [key, count] of counts) if (best === null || count > counts.get(best)!) best = key;
    if (best === null) break;
    const [left, right] = best.split('\u0000');
    merges.push([left, right]);
    if (!pieces.includes(left + right)) pieces.push(left + right);
    for (const word of words) for (let i = 0; i + 1 < word.length; i++) {
      if (word[i] === left && word[i + 1] === right) word.splice(i, 2, left + right);
    }
  }
  // not enough text to learn more: fill with pieces nothing merges into
  for (let filler = 0; pieces.length < vocabSize; filler++) pieces.push(`${SPACE}unused${filler}`);
  return { pieces, scores: pieces.map((_, id) => (id < 259 ? 0 : -id)), merges };
}

/** llama2.c's tokenizer.bin: max_token_length, then (score, length, bytes) per token, "▁" as " ". */
export function llama2cTokenizerBytes({ pieces, scores }: TestTokenizer): Uint8Array {
  const encoder = new TextEncoder();
  const texts = pieces.map((piece) => encoder.encode(piece === '<s>' ? '\n<s>\n' : piece === '</s>' ? '\n</s>\n' : piece.replaceAll(SPACE, ' ')));
  const bytes = new Uint8Array(4 + texts.reduce((sum, text) => sum + 8 + text.length, 0));
  const view = new DataView(bytes.buffer);
  view.setInt32(0, Math.max(...texts.map((text) => text.length)), true);
  let offset = 4;
  texts.forEach((text, id) => {
    view.setFloat32(offset, scores[id], true);
    view.setInt32(offset + 4, text.length, true);
    bytes.set(text, offset + 8);
    offset += 8 + text.length;
  });
  return bytes;
}

/** The same tokenizer as the `tokenizers` library writes a Llama 2 one. */
export function huggingFaceTokenizerJson({ pieces, merges }: TestTokenizer): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: ['<unk>', '<s>', '</s>'].map((content, id) => ({ id, content, special: true, single_word: false, lstrip: false, rstrip: false, normalized: false })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SPACE }, { type: 'Replace', pattern: { String: ' ' }, content: SPACE }] },
    pre_tokenizer: null,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      fuse_unk: true,
      byte_fallback: true,
      vocab: Object.fromEntries(pieces.map((piece, id) => [piece, id])),
      merges: merges.map(([left, right]) => `${left} ${right}`),
    },
  };
}

/**
 * run.c's encode(): the dummy-prefix " ", each UTF-8 character as its piece (else its bytes as ids
 * byte + 3), then merge the adjacent pair whose joined text has the best score, leftmost on ties,
 * until none joins; <s> in front. Pieces in llama2.c's spelling (" " for "▁").
 */
export function referenceLlama2cEncode({ pieces, scores }: TestTokenizer, text: string): number[] {
  const vocab = pieces.map((piece) => piece.replaceAll(SPACE, ' '));
  const lookup = (piece: string) => {
    const id = vocab.indexOf(piece);
    return id >= 3 ? id : -1; // <unk>, <s>, </s> are never looked up by text
  };
  const tokens: number[] = [];
  if (text.length > 0) tokens.push(lookup(' '));
  for (const character of text) {
    const id = lookup(character);
    if (id >= 0) tokens.push(id);
    else for (const byte of new TextEncoder().encode(character)) tokens.push(byte + 3);
  }
  for (;;) {
    let bestScore = -Infinity;
    let bestId = -1;
    let bestAt = -1;
    for (let i = 0; i + 1 < tokens.length; i++) {
      const id = lookup(vocab[tokens[i]] + vocab[tokens[i + 1]]);
      if (id >= 0 && scores[id] > bestScore) {
        bestScore = scores[id];
        bestId = id;
        bestAt = i;
      }
    }
    if (bestAt < 0) break;
    tokens.splice(bestAt, 2, bestId);
  }
  return [1, ...tokens];
}
