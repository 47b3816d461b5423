/**
 * The maths of the tokens chapter (content/08-tokens.mdx): what a tokenizer makes of a text,
 * nearest neighbours and a 2-D projection of embedding rows, and the small Chinese set of the
 * initialisation experiment with its new pieces. (What the vocabulary costs in parameters is
 * vocabularyShare in src/llama/vocabExtend.ts, next to the weight shapes it counts.)
 * Page-safe: no worker, no DOM, no tfjs.
 */
import type { Tokenizer } from '../llama/tokenizer';

// ----------------------------------------------------------------------------- text to tokens

export type TokenKind = 'special' | 'byte' | 'piece';

export interface TokenView {
  id: number;
  piece: string;
  kind: TokenKind;
}

/** The tokens of `text` (no <s>), each with its piece and whether it is a byte-fallback token. */
export function tokenView(tokenizer: Tokenizer, text: string): TokenView[] {
  return tokenizer.encode(text, { bos: false }).map((id) => ({
    id,
    piece: tokenizer.idToPiece(id),
    kind: id === tokenizer.bosId || id === tokenizer.eosId || id === tokenizer.unkId ? 'special' : tokenizer.isByteToken(id) ? 'byte' : 'piece',
  }));
}

/** Tokens per character (characters as code points, so an emoji counts once). */
export function tokensPerCharacter(tokenizer: Tokenizer, texts: readonly string[]): number {
  let tokens = 0;
  let characters = 0;
  for (const text of texts) {
    tokens += tokenizer.encode(text, { bos: false }).length;
    characters += [...text].length;
  }
  return tokens / characters;
}

/**
 * English our corpora never had, written for this chapter: office, science and computing words
 * rather than children's stories.
 */
export const OTHER_ENGLISH: readonly string[] = [
  'The quarterly revenue exceeded expectations.',
  'Photosynthesis converts sunlight into chemical energy.',
  'Please restart the server before installing the update.',
  'The committee approved the budget after a long debate.',
];

// ----------------------------------------------------------------------------- embedding geometry

export interface Neighbour {
  id: number;
  cosine: number;
}

/** The `count` rows most similar to row `id` by cosine (itself excluded), most similar first. */
export function nearestByCosine(table: Float32Array, hidden: number, id: number, count: number): Neighbour[] {
  const rows = table.length / hidden;
  if (!Number.isInteger(id) || id < 0 || id >= rows) throw new Error(`nearestByCosine: id must be in [0, ${rows}). Received ${id}.`);
  const norms = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let j = 0; j < hidden; j++) sum += table[row * hidden + j] ** 2;
    norms[row] = Math.sqrt(sum);
  }
  const scored: Neighbour[] = [];
  for (let row = 0; row < rows; row++) {
    if (row === id) continue;
    let dot = 0;
    for (let j = 0; j < hidden; j++) dot += table[id * hidden + j] * table[row * hidden + j];
    scored.push({ id: row, cosine: norms[row] === 0 || norms[id] === 0 ? 0 : dot / (norms[row] * norms[id]) });
  }
  return scored.sort((a, b) => b.cosine - a.cosine || a.id - b.id).slice(0, count);
}

/**
 * The first two principal components of the chosen rows: centre them, find the top two
 * eigenvectors of their covariance by power iteration (the second after removing the first),
 * and project. Each axis's sign is fixed so that its largest-magnitude entry is positive, so the
 * picture does not flip between runs. Returns the 2-D points and the share of variance each
 * axis explains.
 */
export interface PrincipalPlane {
  /** the chosen rows projected, in their order */
  points: [number, number][];
  /** the share of the rows' variance along each axis */
  explained: [number, number];
  mean: Float64Array;
  axes: [Float64Array, Float64Array];
}

export function principalPlane(table: Float32Array, hidden: number, rowIds: readonly number[]): PrincipalPlane {
  const n = rowIds.length;
  if (n < 3) throw new Error(`principalPlane: needs at least 3 rows. Received ${n}.`);
  const centred = rowIds.map((row) => Float64Array.from(table.subarray(row * hidden, (row + 1) * hidden)));
  const mean = new Float64Array(hidden);
  for (const x of centred) for (let j = 0; j < hidden; j++) mean[j] += x[j] / n;
  for (const x of centred) for (let j = 0; j < hidden; j++) x[j] -= mean[j];
  // Covariance C = X^T X / n, [hidden, hidden].
  const covariance = Array.from({ length: hidden }, () => new Float64Array(hidden));
  for (const x of centred) for (let a = 0; a < hidden; a++) for (let b = 0; b < hidden; b++) covariance[a][b] += (x[a] * x[b]) / n;
  let trace = 0;
  for (let a = 0; a < hidden; a++) trace += covariance[a][a];
  const axes: Float64Array[] = [];
  const variances: number[] = [];
  for (let k = 0; k < 2; k++) {
    let v = Float64Array.from({ length: hidden }, (_, j) => 1 + j / hidden);
    let eigenvalue = 0;
    for (let iteration = 0; iteration < 500; iteration++) {
      const next = new Float64Array(hidden);
      for (let a = 0; a < hidden; a++) {
        let sum = 0;
        for (let b = 0; b < hidden; b++) sum += covariance[a][b] * v[b];
        next[a] = sum;
      }
      for (const axis of axes) {
        const along = dot(next, axis);
        for (let j = 0; j < hidden; j++) next[j] -= along * axis[j];
      }
      const length = Math.sqrt(dot(next, next));
      if (length === 0) break;
      for (let j = 0; j < hidden; j++) next[j] /= length;
      const change = Math.abs(length - eigenvalue);
      v = next;
      eigenvalue = length;
      if (change < 1e-12 * Math.max(1, length)) break;
    }
    let largest = 0;
    for (let j = 0; j < hidden; j++) if (Math.abs(v[j]) > Math.abs(v[largest])) largest = j;
    if (v[largest] < 0) for (let j = 0; j < hidden; j++) v[j] = -v[j];
    axes.push(v);
    variances.push(eigenvalue);
  }
  return {
    points: centred.map((x) => [dot(x, axes[0]), dot(x, axes[1])]),
    explained: [variances[0] / trace, variances[1] / trace],
    mean,
    axes: [axes[0], axes[1]],
  };
}

/** Any row of the table on a plane found from other rows. */
export function projectRow(table: Float32Array, hidden: number, row: number, plane: PrincipalPlane): [number, number] {
  const x = Float64Array.from(table.subarray(row * hidden, (row + 1) * hidden), (value, j) => value - plane.mean[j]);
  return [dot(x, plane.axes[0]), dot(x, plane.axes[1])];
}

/**
 * The rows a picture of the vocabulary shows: up to `perGroup` pieces of each group, evenly
 * spaced through the ids, so every kind of piece is there and the picture is the same each time.
 */
export function sampleRows(pieces: readonly string[], perGroup: number): number[] {
  const byGroup = new Map<PieceGroup, number[]>();
  pieces.forEach((piece, id) => {
    const group = pieceGroup(piece);
    if (group) byGroup.set(group, [...(byGroup.get(group) ?? []), id]);
  });
  const rows: number[] = [];
  for (const ids of byGroup.values()) {
    const step = Math.max(1, ids.length / perGroup);
    for (let k = 0; k < Math.min(perGroup, ids.length); k++) rows.push(ids[Math.floor(k * step)]);
  }
  return rows.sort((a, b) => a - b);
}

/**
 * The piece a reader means by a typed token: the word with its leading-space marker ("red",
 * "␣red" and "▁red" all mean "▁red"), else the exact piece ("<0x41>"), else the bare text ("ily").
 * undefined when none is a piece.
 */
export function findPiece(pieces: readonly string[], typed: string): number | undefined {
  const bare = typed.trim().replace(/^[␣\u2581]/, '');
  for (const candidate of [`\u2581${bare}`, typed, bare]) {
    const id = pieces.indexOf(candidate);
    if (id >= 0 && candidate.length > 0) return id;
  }
  return undefined;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += a[j] * b[j];
  return sum;
}

export const PIECE_GROUPS = ['capitalised', 'verb', 'word', 'punctuation', 'byte', 'chinese'] as const;
export type PieceGroup = (typeof PIECE_GROUPS)[number];

/**
 * Verb forms, for colouring the picture: written for this chapter from the word pieces of our
 * vocabulary, keeping forms our stories use as verbs (base, past, -s and -ing forms, the forms of
 * "be" and "have", the modal "will"). Words that are as often nouns ("play", "walk", "run", "help",
 * "smile", "turn", "slide", "fly", "stick", "set", "need", "cook", "drink") and "like" (mostly
 * "like a ...") are left with the other words: the group is for telling kinds apart, not a parser.
 */
export const VERB_FORMS: ReadonlySet<string> = new Set([
  'am', 'are', 'be', 'is', 'was', 'were', 'has', 'had', 'have', 'did', 'do', 'does', 'will', 'could',
  'ask', 'asked', 'blow', 'brought', 'build', 'built', 'call', 'called', 'came', 'catch', 'close',
  'count', 'counted', 'cried', 'eat', 'fell', 'felt', 'find', 'found', 'gave', 'get', 'give', 'go',
  'gone', 'got', 'grown', 'heard', 'held', 'helped', 'hide', 'hurt', 'jump', 'laugh', 'laughed',
  'learn', 'learned', 'liked', 'lived', 'look', 'looked', 'loved', 'make', 'makes', 'met', 'played',
  'pulled', 'put', 'ran', 'rolled', 'running', 'said', 'sang', 'sat', 'saw', 'says', 'see', 'seek',
  'sent', 'share', 'sharing', 'shook', 'sing', 'singing', 'stay', 'stopped', 'stuck', 'told', 'took',
  'turned', 'used', 'walked', 'want', 'wanted', 'wear', 'went', 'win', 'winning', 'won',
]);

/**
 * What kind of piece this is, for colouring a picture: byte tokens, Chinese characters,
 * punctuation, capitalised whole words (in our stories nearly all of them names: "▁Lily",
 * "▁Tom"), verbs (whole words in VERB_FORMS), other word pieces. Special tokens and digits are
 * left out (undefined).
 */
export function pieceGroup(piece: string): PieceGroup | undefined {
  if (/^<0x[0-9A-F]{2}>$/.test(piece)) return 'byte';
  if (/^<.*>$/.test(piece)) return undefined;
  const bare = piece.replaceAll('\u2581', '');
  if (bare.length === 0 || /\d/.test(bare)) return undefined;
  if (/[\u4e00-\u9fff]/.test(bare)) return 'chinese';
  if (/^[\p{P}\p{S}]+$/u.test(bare)) return 'punctuation';
  if (/^\u2581[A-Z][a-z]+$/.test(piece)) return 'capitalised';
  if (piece.startsWith('\u2581') && VERB_FORMS.has(bare)) return 'verb';
  if (/^\u2581?[a-z]+$/i.test(piece)) return 'word';
  return undefined;
}

// ----------------------------------------------------------------------------- the initialisation experiment

/**
 * The Chinese set of the initialisation experiment, written for this chapter (not taken from any
 * corpus or dataset): sixteen short, plain sentences about everyday things in simplified Chinese.
 * Every fourth is held out to measure the loss on sentences the training never saw.
 */
export const CHINESE_SET: readonly string[] = [
  '小猫喜欢吃鱼。',
  '小狗喜欢吃肉。',
  '今天天气很好，我们去公园玩。',
  '妈妈在厨房做饭。',
  '爸爸在看报纸。',
  '我喜欢喝牛奶。',
  '她每天早上喝茶。',
  '我们今天去学校。',
  '弟弟喜欢画画。',
  '姐姐喜欢唱歌。',
  '小鸟在树上唱歌。',
  '今天我们吃鱼和米饭。',
  '猫在床上睡觉。',
  '狗在门口睡觉。',
  '我喜欢看书，也喜欢画画。',
  '妈妈喜欢喝茶，爸爸喜欢喝牛奶。',
];

/** Sentences trained on, and the held-out ones the loss is also measured on. */
export const CHINESE_TRAIN = CHINESE_SET.filter((_, i) => i % 4 !== 3);
export const CHINESE_HELD_OUT = CHINESE_SET.filter((_, i) => i % 4 === 3);

/**
 * The new pieces: the characters of the set that our vocabulary can only write as UTF-8 byte
 * tokens (three per character), most frequent first (ties in order of first appearance),
 * at most `count` of them.
 */
export function newChinesePieces(tokenizer: Tokenizer, texts: readonly string[], count: number): string[] {
  const frequency = new Map<string, number>();
  for (const text of texts) {
    for (const character of text) {
      if (!/[\u4e00-\u9fff]/.test(character)) continue;
      const ids = tokenizer.encode(character, { bos: false }).filter((id) => tokenizer.idToPiece(id) !== '\u2581');
      if (!ids.every((id) => tokenizer.isByteToken(id))) continue;
      frequency.set(character, (frequency.get(character) ?? 0) + 1);
    }
  }
  return [...frequency.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([character]) => character);
}

/** The byte-token ids that spell a piece in our vocabulary ("猫" -> ids of <0xE7> <0x8C> <0xAB>). */
export function byteIdsOf(tokenizer: Tokenizer, piece: string): number[] {
  const byteIdOf = new Map<number, number>();
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const byte = tokenizer.byteOf(id);
    if (byte !== undefined) byteIdOf.set(byte, id);
  }
  return [...new TextEncoder().encode(piece)].map((byte) => byteIdOf.get(byte)!);
}

/**
 * Token ids of `text` with the extended vocabulary: encoded as before, then every run of byte
 * tokens that spells new piece k (whole, starting at a character boundary) becomes the one id
 * firstNewId + k. This is what a tokenizer with those pieces added gives for single characters.
 */
export function encodeWithNewPieces(tokenizer: Tokenizer, text: string, newPieces: readonly string[], firstNewId: number, { bos = true } = {}): number[] {
  const ids = tokenizer.encode(text, { bos });
  const spelled = newPieces.map((piece) => byteIdsOf(tokenizer, piece));
  const out: number[] = [];
  for (let i = 0; i < ids.length; ) {
    const k = tokenizer.isByteToken(ids[i]) ? spelled.findIndex((bytes) => bytes.every((id, j) => ids[i + j] === id)) : -1;
    if (k >= 0) {
      out.push(firstNewId + k);
      i += spelled[k].length;
    } else {
      out.push(ids[i]);
      i++;
    }
  }
  return out;
}

/** The settings of the initialisation experiment, the same in the page and in the shipped run. */
export const INIT_EXPERIMENT = {
  /** New pieces by default, and at most (every byte-spelled character of the training sentences). */
  defaultPieces: 20,
  maxPieces: 35,
  steps: 30,
  batchSize: 4,
  seqLength: 24,
  /** Seeds the batches. */
  seed: 1,
  /** Seeds the random rows. */
  initSeed: 7,
  maxGradNorm: 1,
  schedule: { peakLearningRate: 3e-3, warmupSteps: 3, totalSteps: 30, finalFraction: 0.1 },
  /** The held-out loss: one row of this many tokens from each held-out sentence (packed, as in training). */
  heldOutSeqLength: 12,
} as const;

export interface InitExperimentData {
  /** The new pieces, ids vocabSize, vocabSize + 1, ... */
  pieces: string[];
  /** Per new piece, the byte-token ids that spelled it. */
  byteIds: number[][];
  /** The training sentences as <s> ... </s> with the new pieces. */
  train: { ids: number[] }[];
  /** The held-out sentences the same way. */
  heldOut: { ids: number[] }[];
}

/** The new pieces, their byte spellings and the tokenized sentences for `pieceCount` new pieces. */
export function initExperimentData(tokenizer: Tokenizer, pieceCount: number): InitExperimentData {
  if (!Number.isInteger(pieceCount) || pieceCount < 1 || pieceCount > INIT_EXPERIMENT.maxPieces) {
    throw new Error(`initExperimentData: pieceCount must be a whole number in [1, ${INIT_EXPERIMENT.maxPieces}]. Received ${pieceCount}.`);
  }
  const pieces = newChinesePieces(tokenizer, CHINESE_TRAIN, pieceCount);
  const encode = (text: string) => [...encodeWithNewPieces(tokenizer, text, pieces, tokenizer.vocabSize), tokenizer.eosId];
  return {
    pieces,
    byteIds: pieces.map((piece) => byteIdsOf(tokenizer, piece)),
    train: CHINESE_TRAIN.map((text) => ({ ids: encode(text) })),
    heldOut: CHINESE_HELD_OUT.map((text) => ({ ids: encode(text) })),
  };
}

/** What the experiment records for one initialisation. */
export interface InitRun {
  init: 'random' | 'mean' | 'bytes';
  /** Training loss of each step. */
  losses: number[];
  /** Mean loss per token on the held-out sentences before and after training. */
  heldOutBefore: number;
  heldOutAfter: number;
}

/** public/data/tokens-init-run.json, written by scripts/tokens-init-run.ts. */
export interface TokensInitRunFile {
  /** Where and how it ran, for the figure's note. */
  source: string;
  pieceCount: number;
  pieces: string[];
  runs: InitRun[];
}
