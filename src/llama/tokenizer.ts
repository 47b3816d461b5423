/**
 * The Llama-2 tokenizer (SentencePiece BPE with byte fallback) over a pruned vocabulary.
 *
 * How Llama-2 turns text into tokens:
 *   1. Put a space in front of the text (SentencePiece's "dummy prefix") and write every space as
 *      "▁" (U+2581), so "Hi there" becomes "▁Hi▁there".
 *   2. Split it into characters. A character that is not in the vocabulary becomes its UTF-8
 *      bytes, each one a byte token "<0xNN>" (byte fallback), so no text is ever unknown.
 *   3. Byte-pair merging: repeatedly join the adjacent pair whose merge has the best (lowest)
 *      rank, the leftmost pair first on ties, until no adjacent pair can merge.
 *
 * Our vocabulary keeps only the pieces our corpora need (plus every merge step on the way to
 * them, all 256 byte tokens and <unk>, <s>, </s>), so on corpus text this gives exactly the
 * tokens Llama-2 gives, and `llamaIds` maps each of our ids back to Llama-2's id.
 *
 * One deliberate difference: a literal "▁" in the input is encoded as its bytes, not as a space,
 * so that every string decodes back to itself.
 */

export const SPACE_MARK = '\u2581'; // "▁"

/** What public/models/<name>/tokenizer.json holds. */
export interface TokenizerJSON {
  /** Our id -> SentencePiece piece ("▁the", "<0x0A>", "<s>"). */
  pieces: string[];
  /** Our id -> Llama-2 id. */
  llamaIds: number[];
  /** Merge rules as pairs of our ids, best (first applied) first. */
  merges: [number, number][];
  unkId: number;
  bosId: number;
  eosId: number;
  /** Facts for the model card: how much of Llama-2's vocabulary was kept. */
  source?: { name: string; vocabSize: number };
}

const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;
const byteToPiece = (byte: number) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;

/**
 * Byte-pair merging of one chunk. `symbols` are pieces; `rankOf(left, right)` is the merge's
 * rank or undefined when the pair never merges. `onMerge` sees each merged piece as it forms
 * (the tokenizer builder uses it to keep every intermediate piece).
 */
export function bytePairMerge(
  symbols: string[],
  rankOf: (left: string, right: string) => number | undefined,
  onMerge?: (merged: string) => void,
): string[] {
  const parts = [...symbols];
  for (;;) {
    let bestRank = Infinity;
    let bestAt = -1;
    for (let i = 0; i + 1 < parts.length; i++) {
      const rank = rankOf(parts[i], parts[i + 1]);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        bestAt = i;
      }
    }
    if (bestAt < 0) return parts;
    const merged = parts[bestAt] + parts[bestAt + 1];
    onMerge?.(merged);
    parts.splice(bestAt, 2, merged);
  }
}

export class Tokenizer {
  readonly pieces: readonly string[];
  readonly llamaIds: readonly number[];
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  /** Llama-2 has no padding token; batches pad with </s> and rely on the attention mask. */
  readonly padId: number;
  private readonly idOfPiece = new Map<string, number>();
  /** "left right" -> rank. Pieces never contain a plain space, so the key is unambiguous. */
  private readonly mergeRank = new Map<string, number>();
  /** Chunks repeat a lot ("▁the"), so their tokens are remembered. */
  private readonly chunkCache = new Map<string, number[]>();

  constructor(json: TokenizerJSON) {
    this.pieces = json.pieces;
    this.llamaIds = json.llamaIds;
    this.unkId = json.unkId;
    this.bosId = json.bosId;
    this.eosId = json.eosId;
    this.padId = json.eosId;
    json.pieces.forEach((piece, id) => this.idOfPiece.set(piece, id));
    json.merges.forEach(([left, right], rank) => {
      this.mergeRank.set(`${json.pieces[left]} ${json.pieces[right]}`, rank);
    });
    for (let byte = 0; byte < 256; byte++) {
      if (!this.idOfPiece.has(byteToPiece(byte))) {
        throw new Error(`Tokenizer: the vocabulary lacks byte token ${byteToPiece(byte)}; byte fallback needs all 256.`);
      }
    }
  }

  static fromJSON(json: unknown): Tokenizer {
    const candidate = json as Partial<TokenizerJSON>;
    for (const field of ['pieces', 'llamaIds', 'merges'] as const) {
      if (!Array.isArray(candidate?.[field])) {
        throw new Error(`Tokenizer.fromJSON: "${field}" must be an array. Received ${typeof candidate?.[field]}.`);
      }
    }
    if (candidate.pieces!.length !== candidate.llamaIds!.length) {
      throw new Error(
        `Tokenizer.fromJSON: "pieces" and "llamaIds" must have the same length. Received ${candidate.pieces!.length} and ${candidate.llamaIds!.length}.`,
      );
    }
    return new Tokenizer(candidate as TokenizerJSON);
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  idToPiece(id: number): string {
    const piece = this.pieces[id];
    if (piece === undefined) throw new Error(`Tokenizer.idToPiece: id must be in [0, ${this.vocabSize}). Received ${id}.`);
    return piece;
  }

  /** True for the 256 byte-fallback tokens <0x00>..<0xFF>. */
  isByteToken(id: number): boolean {
    return BYTE_PIECE.test(this.pieces[id] ?? '');
  }

  /** The byte a byte-fallback token stands for, or undefined for any other token. */
  byteOf(id: number): number | undefined {
    const match = BYTE_PIECE.exec(this.pieces[id] ?? '');
    return match ? parseInt(match[1], 16) : undefined;
  }

  encode(text: string, { bos = true }: { bos?: boolean } = {}): number[] {
    const ids = bos ? [this.bosId] : [];
    if (text.length === 0) return ids;
    for (const chunk of splitIntoChunks(SPACE_MARK + text.replaceAll(' ', SPACE_MARK), text)) {
      ids.push(...this.encodeChunk(chunk));
    }
    return ids;
  }

  /**
   * Text of the ids, like SentencePiece's decode: <s>, </s> and <unk> print nothing, byte
   * tokens are joined into UTF-8 characters, and the dummy-prefix space is removed.
   */
  decode(ids: number[]): string {
    const text = new TextDecoder().decode(this.bytesOf(ids));
    return text.startsWith(' ') ? text.slice(1) : text;
  }

  /** The UTF-8 bytes the ids stand for, with "▁" in pieces read as a space. */
  bytesOf(ids: number[]): Uint8Array {
    const encoder = new TextEncoder();
    const bytes: number[] = [];
    for (const id of ids) {
      if (id === this.bosId || id === this.eosId || id === this.unkId) continue;
      const byte = this.byteOf(id);
      if (byte !== undefined) bytes.push(byte);
      else bytes.push(...encoder.encode(this.idToPiece(id).replaceAll(SPACE_MARK, ' ')));
    }
    return Uint8Array.from(bytes);
  }

  private encodeChunk(chunk: Chunk): number[] {
    const key = chunk.literal ? `\u0000${chunk.text}` : chunk.text;
    const cached = this.chunkCache.get(key);
    if (cached) return cached;
    const symbols: string[] = [];
    for (const character of chunk.text) {
      if (!chunk.literal && this.idOfPiece.has(character)) symbols.push(character);
      else for (const byte of new TextEncoder().encode(character)) symbols.push(byteToPiece(byte));
    }
    const ids = bytePairMerge(symbols, (left, right) => this.mergeRank.get(`${left} ${right}`)).map(
      (piece) => this.idOfPiece.get(piece)!,
    );
    if (this.chunkCache.size > 100_000) this.chunkCache.clear();
    this.chunkCache.set(key, ids);
    return ids;
  }
}

interface Chunk {
  text: string;
  /** A literal "▁" from the input: always bytes, never a space. */
  literal: boolean;
}

/**
 * No Llama-2 piece has "▁" after another character except runs of "▁" ("▁▁", "▁▁▁"), so the
 * text can be cut before every "▁" that follows a non-"▁" without changing any merge; each
 * chunk is a word with its leading space(s), and chunks merge independently.
 * `original` is the input text, used to tell literal "▁" characters from spaces.
 */
function splitIntoChunks(marked: string, original: string): Chunk[] {
  const chunks: Chunk[] = [];
  let current = '';
  // marked = "▁" + original with spaces replaced, so marked[i + 1] came from original[i].
  for (let i = 0; i < marked.length; i++) {
    const character = marked[i];
    const isLiteralMark = i > 0 && original[i - 1] === SPACE_MARK;
    if (isLiteralMark) {
      if (current) chunks.push({ text: current, literal: false });
      chunks.push({ text: character, literal: true });
      current = '';
      continue;
    }
    if (character === SPACE_MARK && current && !current.endsWith(SPACE_MARK)) {
      chunks.push({ text: current, literal: false });
      current = '';
    }
    current += character;
  }
  if (current) chunks.push({ text: current, literal: false });
  return chunks;
}

/**
 * Turns token ids into text as they stream in, holding back byte tokens until they complete a
 * UTF-8 character, so a character split over several byte tokens ("你" = <0xE4><0xBD><0xA0>)
 * is emitted whole and never as replacement characters. Spaces are kept as they are (a
 * continuation token "▁there" gives " there").
 */
export class StreamDecoder {
  private pendingBytes: number[] = [];
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(private readonly tokenizer: Tokenizer) {}

  /** The text that this token completes ("" while a multi-byte character is unfinished). */
  push(id: number): string {
    this.pendingBytes.push(...this.tokenizer.bytesOf([id]));
    const complete = completeUtf8Prefix(this.pendingBytes);
    if (complete === 0) return '';
    const text = this.decoder.decode(Uint8Array.from(this.pendingBytes.slice(0, complete)));
    this.pendingBytes = this.pendingBytes.slice(complete);
    return text;
  }

  /** Whatever is still held back (an unfinished character prints as U+FFFD). */
  flush(): string {
    const text = this.pendingBytes.length ? this.decoder.decode(Uint8Array.from(this.pendingBytes)) : '';
    this.pendingBytes = [];
    return text;
  }
}

/**
 * Length of the longest prefix of `bytes` that does not end inside a UTF-8 character.
 * A lead byte 110xxxxx starts a 2-byte character, 1110xxxx a 3-byte one, 11110xxx a 4-byte one;
 * 10xxxxxx are continuation bytes. Only the last (up to 3) bytes can be an unfinished character.
 */
function completeUtf8Prefix(bytes: number[]): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0b1100_0000) === 0b1000_0000) continue; // continuation byte: keep looking back
    const needed = byte >= 0b1111_0000 ? 4 : byte >= 0b1110_0000 ? 3 : byte >= 0b1100_0000 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length; // only stray continuation bytes: let the decoder replace them
}
