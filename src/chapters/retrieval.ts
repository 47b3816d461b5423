// The retrieval chapter's arithmetic: BM25 over our stories, the context a reader model is given
// (passages, then the question as a cloze), which part of that context the name heads read, and
// the uncertainty-vs-random choice of the active-learning experiment. Plain arrays, no model.

/** The name-lookup heads of the shipped model (eval.json nameLookupHeads; the attention chapter): layer 3, heads 0 and 2. */
export const NAME_HEADS = { layer: 3, heads: [0, 2] } as const;

/**
 * BM25's two settings. k1 bounds what repeating a term can add (a term's weight saturates at
 * (k1 + 1) · IDF); b is how much a long passage is discounted (0: not at all, 1: in proportion to
 * its length). 1.2 and 0.75 are the usual defaults (Lucene's; Robertson and Zaragoza, "The
 * Probabilistic Relevance Framework: BM25 and Beyond", 2009).
 */
export interface Bm25Settings {
  k1: number;
  b: number;
}

export const BM25_DEFAULTS: Bm25Settings = { k1: 1.2, b: 0.75 };

/** The words BM25 counts: lower case, runs of letters (and apostrophes inside a word: "let's"). */
export function retrievalTerms(text: string): string[] {
  return (text.toLowerCase().match(/[a-z]+(?:'[a-z]+)*/g) ?? []);
}

/**
 * Inverse document frequency of a term that occurs in n of N passages, in the form that cannot go
 * negative (Lucene's): ln(1 + (N − n + 0.5) / (n + 0.5)). A term in every passage still gets a
 * little weight; a term in one passage of sixteen gets ln(1 + 15.5 / 1.5) ≈ 2.43.
 */
export function bm25Idf(passageCount: number, passagesWithTerm: number): number {
  return Math.log(1 + (passageCount - passagesWithTerm + 0.5) / (passagesWithTerm + 0.5));
}

/**
 * One term's share of a passage's score: IDF · f (k1 + 1) / (f + k1 (1 − b + b · |D| / avgdl)),
 * where f is how often the term occurs in the passage and |D| / avgdl the passage's length against
 * the mean (in terms).
 */
export function bm25TermScore(idf: number, frequency: number, length: number, meanLength: number, { k1, b }: Bm25Settings = BM25_DEFAULTS): number {
  if (frequency === 0) return 0;
  return (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * length) / meanLength));
}

export interface Bm25Hit {
  /** Index of the passage in the corpus. */
  passage: number;
  score: number;
  /** Each distinct query term that the passage contains, with what it adds. */
  terms: { term: string; frequency: number; idf: number; score: number }[];
}

/** A BM25 index over fixed passages: term counts, lengths and document frequencies, computed once. */
export class Bm25Index {
  readonly passages: readonly string[];
  readonly settings: Bm25Settings;
  /** Per passage: term → how often it occurs. */
  private readonly counts: Map<string, number>[];
  /** Per passage: its length in terms. */
  readonly lengths: number[];
  readonly meanLength: number;
  /** term → in how many passages it occurs. */
  private readonly documentFrequency = new Map<string, number>();

  constructor(passages: readonly string[], settings: Bm25Settings = BM25_DEFAULTS) {
    if (passages.length === 0) throw new Error('BM25 needs at least one passage.');
    this.passages = passages;
    this.settings = settings;
    this.counts = passages.map((text) => {
      const counts = new Map<string, number>();
      for (const term of retrievalTerms(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
      return counts;
    });
    this.lengths = passages.map((text) => retrievalTerms(text).length);
    this.meanLength = this.lengths.reduce((a, b) => a + b, 0) / passages.length;
    for (const counts of this.counts) for (const term of counts.keys()) this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
  }

  idf(term: string): number {
    return bm25Idf(this.passages.length, this.documentFrequency.get(term) ?? 0);
  }

  /** Every passage's score for the query (each distinct query term counted once), best first; ties keep corpus order. */
  search(query: string): Bm25Hit[] {
    const queryTerms = [...new Set(retrievalTerms(query))];
    const hits = this.counts.map((counts, passage): Bm25Hit => {
      const terms = queryTerms
        .filter((term) => counts.has(term))
        .map((term) => {
          const frequency = counts.get(term)!;
          const idf = this.idf(term);
          return { term, frequency, idf, score: bm25TermScore(idf, frequency, this.lengths[passage], this.meanLength, this.settings) };
        });
      return { passage, score: terms.reduce((sum, t) => sum + t.score, 0), terms };
    });
    return hits.sort((a, b) => b.score - a.score || a.passage - b.passage);
  }
}

/** Where the distractor passage goes: none, before the retrieved passage, or after it (next to the question). */
export const DISTRACTOR_PLACES = ['none', 'before', 'after'] as const;
export type DistractorPlace = (typeof DISTRACTOR_PLACES)[number];

/**
 * The passages the reader gets, in context order: the best hit, and with a distractor the
 * second-best hit before or after it.
 */
export function contextPassages(hits: readonly Bm25Hit[], distractor: DistractorPlace): { passage: number; role: 'retrieved' | 'distractor' }[] {
  const best = { passage: hits[0].passage, role: 'retrieved' as const };
  if (distractor === 'none' || hits.length < 2) return [best];
  const other = { passage: hits[1].passage, role: 'distractor' as const };
  return distractor === 'before' ? [other, best] : [best, other];
}

/** A span of the assembled context: which part it is and its token positions [start, end). */
export interface ContextSpan {
  kind: 'bos' | 'passage' | 'question';
  /** For a passage: its index in the corpus and its role. */
  passage?: number;
  role?: 'retrieved' | 'distractor';
  start: number;
  end: number;
}

/**
 * The reader's input: <s>, each passage's tokens, then the question's, each part tokenized on its
 * own (so the spans are exact); the same ids as tokenizing the parts joined by spaces (tested).
 */
export function assembleContext(
  encode: (text: string) => number[],
  bosId: number,
  passages: readonly { text: string; passage: number; role: 'retrieved' | 'distractor' }[],
  question: string,
): { ids: number[]; spans: ContextSpan[] } {
  const ids = [bosId];
  const spans: ContextSpan[] = [{ kind: 'bos', start: 0, end: 1 }];
  for (const { text, passage, role } of passages) {
    const start = ids.length;
    ids.push(...encode(text));
    spans.push({ kind: 'passage', passage, role, start, end: ids.length });
  }
  const start = ids.length;
  ids.push(...encode(question));
  spans.push({ kind: 'question', start, end: ids.length });
  return { ids, spans };
}

/** The share of one attention row that falls in each span (the row sums to 1, so the shares do). */
export function attentionBySpan(row: ArrayLike<number>, spans: readonly ContextSpan[]): number[] {
  return spans.map(({ start, end }) => {
    let sum = 0;
    for (let i = start; i < end; i++) sum += row[i];
    return sum;
  });
}

/** The mean of several heads' attention rows (the name heads read together). */
export function meanRows(rows: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(rows[0].length);
  for (const row of rows) for (let i = 0; i < out.length; i++) out[i] += row[i] / rows.length;
  return out;
}

/** The answer in the reader's words: the generated text up to its first non-letter, trimmed ("Rita," → "Rita"). */
export function answerWord(generated: string): string {
  return generated.trimStart().match(/^[A-Za-z]*/)![0];
}

/**
 * The questions the chapter asks of our stories, found in them: every `"…" said Name` or
 * `"…" asked Name`, as the cloze `"…" said` and the name that completes it. The name must come
 * from the passage: a name is drawn from 246 for each character, so no story without it can
 * tell which.
 */
export function speakerQuestions(stories: readonly string[]): { story: number; cloze: string; answer: string }[] {
  const questions: { story: number; cloze: string; answer: string }[] = [];
  stories.forEach((text, story) => {
    for (const match of text.matchAll(/("[^"]+[,?!.]") (said|asked) ([A-Z][a-z]+)/g)) questions.push({ story, cloze: `${match[1]} ${match[2]}`, answer: match[3] });
  });
  return questions;
}

/**
 * Active learning by uncertainty: the `count` pool texts the model is least sure of (highest mean
 * loss per token), most uncertain first; ties keep pool order.
 */
export function mostUncertain(meanLosses: readonly number[], count: number): number[] {
  return meanLosses
    .map((loss, index) => ({ loss, index }))
    .sort((a, b) => b.loss - a.loss || a.index - b.index)
    .slice(0, count)
    .map(({ index }) => index);
}

/** The random baseline: `count` distinct pool indices drawn with the given uniform random source. */
export function randomChoice(poolSize: number, count: number, random: () => number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, poolSize)) chosen.add(Math.floor(random() * poolSize));
  return [...chosen];
}

/**
 * What the chapter states about the shipped model reading our 16 validation stories
 * (public/data/validation-sample.json), each asserted by tests/unit/retrieval-chapter.test.ts.
 */
export const RETRIEVAL_FACTS = {
  /** `"…" said Name` lines in the 16 stories, and those whose quote occurs in one story only (the questions with one right answer). */
  questions: { found: 15, unambiguous: 8 },
  /** Of the unambiguous questions: BM25 (the cloze as the query) ranks the story that holds the answer first. */
  retrievedFirst: 8,
  /** Greedy answers equal to the right name: with no passage, with the retrieved passage alone, with the second-ranked passage before it or after it. */
  answered: { closedBook: 0, retrieved: 8, distractorBefore: 8, distractorAfter: 0 },
  /** Closed book (the cloze alone), how many answers are a capitalised word (a name, wrong). */
  closedBookNames: 3,
  /** With the retrieved passage alone, how many times the name heads' largest weight is on the answer's first token inside the passage. */
  headsOnAnswer: 8,
  /** With the distractor after the right passage, how many answers are a name from the distractor. */
  distractorNamesCopied: 8,
  /** The two name heads' mean attention from the question's last token, averaged over the unambiguous questions: into the retrieved passage (alone), and into the distractor when it comes after. */
  nameHeadShare: { retrievedAlone: 0.99, distractorAfter: 0.93 },
  /** The active-learning pool (public/data/active-learning-pool.json) under the shipped model: every note's loss per token is above `noteLossAbove`, every story's below `storyLossBelow`; how many notes each strategy picks (random: seed 1). */
  activeLearning: { noteLossAbove: 11, storyLossBelow: 0.3, uncertaintyNotes: 4, randomNotesSeed1: 2 },
  /** The widget's default question and its answer. */
  example: { cloze: '"Poor little frog," said', answer: 'Rita' },
} as const;

/** The active-learning figure's run: the same for both strategies, so only the chosen texts differ. */
export const ACTIVE_LEARNING_RUN = {
  picks: 4,
  steps: 12,
  batchSize: 2,
  seqLength: 48,
  /** Seeds the batches drawn from the chosen texts (PackedCorpus.randomBatch). */
  batchSeed: 1,
  /** Peak of a 2-step warm-up, then cosine decay to a tenth. */
  learningRate: 1e-3,
} as const;

export type TextKind = 'story' | 'note';

/** Mean of per-text losses: over the stories, over the notes, over all. */
export function meanByKind(losses: readonly number[], kinds: readonly TextKind[]): { story: number; note: number; all: number } {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    story: mean(losses.filter((_, i) => kinds[i] === 'story')),
    note: mean(losses.filter((_, i) => kinds[i] === 'note')),
    all: mean([...losses]),
  };
}
