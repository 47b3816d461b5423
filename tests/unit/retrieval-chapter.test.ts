// The retrieval chapter: BM25 against scores worked out by hand, the context the reader gets, and
// every number the chapter states about the shipped model reading retrieved stories.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ACTIVE_LEARNING_RUN,
  answerWord,
  assembleContext,
  attentionBySpan,
  bm25Idf,
  Bm25Index,
  contextPassages,
  meanByKind,
  meanRows,
  mostUncertain,
  NAME_HEADS,
  randomChoice,
  RETRIEVAL_FACTS,
  retrievalTerms,
  speakerQuestions,
  type DistractorPlace,
} from '../../src/chapters/retrieval';
import { generate } from '../../src/llama/generate';
import { tokenLogProbs } from '../../src/llama/math';
import { createRandom } from '../../src/llama/rng';
import { activeLearningPool } from '../../scripts/make-active-learning-pool';
import { layerTap } from '../../src/llama/taps';
import exercises from '../../src/exercises/19-retrieval';
import { useBackend } from './helpers/backends';
import { loadChapterModel, SHIPPED_MODEL_DIR, type ChapterModel } from './helpers/chapter-model';

describe('BM25, against scores worked out by hand', () => {
  // Three passages: "the cat sat" (3 terms), "the dog sat on the cat" (6), "a dog" (2).
  // N = 3, mean length 11/3; k1 = 1.2, b = 0.75.
  const index = new Bm25Index(['The cat sat.', 'The dog sat on the cat!', 'A dog']);

  test('terms: lower case, letters only', () => {
    expect(retrievalTerms('"Poor little frog," said Rita. Let\'s go!')).toEqual(['poor', 'little', 'frog', 'said', 'rita', "let's", 'go']);
    expect(index.lengths).toEqual([3, 6, 2]);
    expect(index.meanLength).toBeCloseTo(11 / 3, 12);
  });

  test('IDF: "cat" is in 2 of 3 passages: ln(1 + 1.5/2.5) = ln 1.6 = 0.470004; a term in none: ln(1 + 3.5/0.5) = ln 8', () => {
    expect(index.idf('cat')).toBeCloseTo(0.470004, 6);
    expect(bm25Idf(3, 0)).toBeCloseTo(2.079442, 6);
    expect(bm25Idf(16, 16)).toBeGreaterThan(0); // a term in every passage still counts a little
  });

  test('"cat dog": passage 1 scores 0.745842, passage 2 0.577366, passage 0 0.507772', () => {
    // passage 0, "cat" once, |D| = 3: 0.470004 · 2.2 / (1 + 1.2 (0.25 + 0.75 · 3 / 3.6667)) = 1.034009 / 2.036364
    // passage 1, "cat" and "dog" once each, |D| = 6: 2 · 1.034009 / (1 + 1.2 (0.25 + 0.75 · 6 / 3.6667)) = 2 · 1.034009 / 2.772727
    // passage 2, "dog" once, |D| = 2: 1.034009 / (1 + 1.2 (0.25 + 0.75 · 2 / 3.6667)) = 1.034009 / 1.790909
    const hits = index.search('cat dog');
    expect(hits.map((hit) => hit.passage)).toEqual([1, 2, 0]);
    expect(hits[0].score).toBeCloseTo(0.745842, 5);
    expect(hits[1].score).toBeCloseTo(0.577366, 5);
    expect(hits[2].score).toBeCloseTo(0.507772, 5);
    expect(hits[0].terms.map((t) => [t.term, t.frequency])).toEqual([['cat', 1], ['dog', 1]]);
  });

  test('a repeated term saturates: "the" twice in passage 1 gives 0.548149, not twice the single-count 0.372921', () => {
    // 0.470004 · 2 · 2.2 / (2 + 1.772727) = 2.068018 / 3.772727
    const hit = index.search('the').find((h) => h.passage === 1)!;
    expect(hit.score).toBeCloseTo(0.548149, 5);
    // a query word repeated counts once; an unknown word adds nothing
    expect(index.search('the the zebra').find((h) => h.passage === 1)!.score).toBeCloseTo(0.548149, 5);
    expect(index.search('zebra').every((h) => h.score === 0)).toBe(true);
  });
});

describe('the exercises', () => {
  test('idf-one-story: ln(1 + 15.5/1.5)', () => {
    const exercise = exercises.find((e) => e.id === 'idf-one-story')!;
    expect(exercise.kind).toBe('numeric');
    if (exercise.kind === 'numeric') expect(Math.abs(bm25Idf(16, 1) - exercise.answer)).toBeLessThanOrEqual(exercise.tolerance);
  });

  test('presence-only: with k1 = 0 every present word adds exactly its IDF, for any count and any b', () => {
    const exercise = exercises.find((e) => e.id === 'presence-only')!;
    expect(exercise.kind === 'widget' && exercise.goal.k1).toEqual({ max: 0 });
    for (const b of [0, 0.5, 1]) {
      const index = new Bm25Index(['frog frog frog pond', 'a frog'], { k1: 0, b });
      for (const hit of index.search('frog')) expect(hit.score).toBeCloseTo(index.idf('frog'), 12);
    }
  });
});

describe('the context and the readout', () => {
  test('contextPassages puts the second hit before or after the best', () => {
    const hits = [{ passage: 4, score: 2, terms: [] }, { passage: 9, score: 1, terms: [] }];
    expect(contextPassages(hits, 'none')).toEqual([{ passage: 4, role: 'retrieved' }]);
    expect(contextPassages(hits, 'before').map((p) => p.passage)).toEqual([9, 4]);
    expect(contextPassages(hits, 'after').map((p) => p.passage)).toEqual([4, 9]);
  });

  test('assembleContext: spans cover every token once, in order', () => {
    const encode = (text: string) => text.split(' ').map((word) => word.length);
    const { ids, spans } = assembleContext(encode, 1, [{ text: 'aa bbb', passage: 3, role: 'retrieved' }], 'c dddd');
    expect(ids).toEqual([1, 2, 3, 1, 4]);
    expect(spans).toEqual([
      { kind: 'bos', start: 0, end: 1 },
      { kind: 'passage', passage: 3, role: 'retrieved', start: 1, end: 3 },
      { kind: 'question', start: 3, end: 5 },
    ]);
    expect(attentionBySpan([0.1, 0.2, 0.3, 0.15, 0.25], spans).map((x) => Math.round(x * 100) / 100)).toEqual([0.1, 0.5, 0.4]);
    expect(Array.from(meanRows([[1, 0], [0, 1]]))).toEqual([0.5, 0.5]);
  });

  test('answerWord keeps the leading letters', () => {
    expect(answerWord(' Rita. She')).toBe('Rita');
    expect(answerWord(' the bear')).toBe('the');
    expect(answerWord(',"')).toBe('');
  });

  test('mostUncertain takes the highest losses; randomChoice draws distinct indices', () => {
    expect(mostUncertain([0.2, 1.5, 0.9, 1.5, 0.1], 3)).toEqual([1, 3, 2]);
    let state = 0;
    const fixed = () => [0.05, 0.05, 0.55, 0.95, 0.3][state++ % 5];
    expect(randomChoice(10, 3, fixed)).toEqual([0, 5, 9]);
  });
});

describe('the shipped model reads retrieved stories, as the chapter says', () => {
  const stories: string[] = JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, '..', '..', 'data', 'validation-sample.json'), 'utf8')).texts;
  const facts = RETRIEVAL_FACTS;
  let chapter: ChapterModel;
  beforeAll(async () => {
    await useBackend('wasm');
    chapter = loadChapterModel();
  });
  afterAll(() => chapter?.model.dispose());

  const all = speakerQuestions(stories);
  const unambiguous = all.filter((q) => stories.filter((text) => text.includes(q.cloze)).length === 1);
  const index = new Bm25Index(stories);

  async function read(passages: { passage: number; role: 'retrieved' | 'distractor' }[], cloze: string) {
    const { model, tokenizer } = chapter;
    const encode = (text: string) => tokenizer.encode(text, { bos: false });
    const parts = passages.map((p) => ({ ...p, text: stories[p.passage] }));
    const { ids, spans } = assembleContext(encode, tokenizer.bosId, parts, cloze);
    // the same ids as the parts joined by spaces
    expect(ids).toEqual(tokenizer.encode([...parts.map((p) => p.text), cloze].join(' '), { bos: true }));
    const { newIds } = await generate(model, ids, { maxNewTokens: 4, temperature: 0 });
    const tap = layerTap(NAME_HEADS.layer, 'attn.probs');
    const { taps } = await model.run([ids], { taps: [tap] });
    const n = ids.length;
    const rows = NAME_HEADS.heads.map((head) => taps[tap].data.subarray((head * n + n - 1) * n, (head * n + n) * n));
    const row = meanRows(rows);
    return { ids, row, answer: answerWord(tokenizer.decode(newIds)), spans, shares: attentionBySpan(row, spans) };
  }

  test(`${facts.questions.found} "…" said Name lines, ${facts.questions.unambiguous} with a quote in one story only; BM25 ranks that story first for every one`, () => {
    expect(all.length).toBe(facts.questions.found);
    expect(unambiguous.length).toBe(facts.questions.unambiguous);
    expect(unambiguous.filter((q) => index.search(q.cloze)[0].passage === q.story).length).toBe(facts.retrievedFirst);
    expect(unambiguous.find((q) => q.cloze === facts.example.cloze)?.answer).toBe(facts.example.answer);
  });

  test('closed book 0, with the passage 8, distractor before 8, distractor after 0 (copied from it); the name heads read the nearest passage', async () => {
    const answered = { closedBook: 0, retrieved: 0, distractorBefore: 0, distractorAfter: 0 };
    let copied = 0;
    let closedBookNames = 0;
    let headsOnAnswer = 0;
    const retrievedShares: number[] = [];
    const distractorShares: number[] = [];
    for (const question of unambiguous) {
      const hits = index.search(question.cloze);
      const closed = await read([], question.cloze);
      answered.closedBook += Number(closed.answer === question.answer);
      closedBookNames += Number(/^[A-Z]/.test(closed.answer));
      const places: Record<DistractorPlace, keyof typeof answered> = { none: 'retrieved', before: 'distractorBefore', after: 'distractorAfter' };
      for (const [place, key] of Object.entries(places) as [DistractorPlace, keyof typeof answered][]) {
        const passages = contextPassages(hits, place);
        const { answer, spans, shares } = await read(passages, question.cloze);
        answered[key] += Number(answer === question.answer);
        const share = (role: string) => shares[spans.findIndex((s) => s.role === role)];
        if (place === 'none') {
          retrievedShares.push(share('retrieved'));
          // the heads' largest weight: on the answer's first token, inside the passage
          const { ids, row } = await read(passages, question.cloze);
          let top = 1;
          for (let i = 1; i < row.length; i++) if (row[i] > row[top]) top = i;
          const passage = spans.find((s) => s.role === 'retrieved')!;
          const nameId = chapter.tokenizer.encode(question.answer, { bos: false })[0];
          if (top >= passage.start && top < passage.end && ids[top] === nameId) headsOnAnswer++;
        }
        if (place === 'before') expect(share('retrieved')).toBeGreaterThan(share('distractor')); // "on the right story"
        if (place === 'after') {
          expect(stories[hits[1].passage]).not.toContain(question.cloze); // the distractor never holds the quote
          distractorShares.push(share('distractor'));
          if (new RegExp(`\\b${answer}\\b`).test(stories[hits[1].passage])) copied++;
        }
      }
    }
    const mean = (values: number[]) => Math.round((100 * values.reduce((a, b) => a + b, 0)) / values.length) / 100;
    console.log({ answered, copied, closedBookNames, headsOnAnswer, retrievedShares, distractorShares });
    expect(answered).toEqual(facts.answered);
    expect(closedBookNames).toBe(facts.closedBookNames);
    expect(headsOnAnswer).toBe(facts.headsOnAnswer);
    expect(copied).toBe(facts.distractorNamesCopied);
    // the choice exercise: with the distractor after, the frog question gets the distractor's name
    const frog = unambiguous.find((q) => q.cloze === '"Poor little frog," said')!;
    const frogHits = index.search(frog.cloze);
    const withDistractor = await read(contextPassages(frogHits, 'after'), frog.cloze);
    const choice = exercises.find((e) => e.id === 'distractor-after')!;
    expect(choice.kind).toBe('choice');
    if (choice.kind === 'choice') {
      expect(choice.run?.state).toEqual({ prompt: frog.cloze, distractor: 'after' });
      expect(stories[frogHits[1].passage]).toContain('Fatima');
      expect(withDistractor.answer).toBe('Fatima');
      expect(choice.answer).toBe(1);
    }
    expect({ retrievedAlone: mean(retrievedShares), distractorAfter: mean(distractorShares) }).toEqual(facts.nameHeadShare);
  }, 300_000);

  test('active learning: every note is above 11 nats per token, every story below 0.3; uncertainty picks 4 notes, random (seed 1) 2', async () => {
    const data = JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, '..', '..', 'data', 'active-learning-pool.json'), 'utf8'));
    // the file is what the script writes
    expect(data).toEqual(JSON.parse(JSON.stringify(activeLearningPool(data.seed, 12, 8))));
    const { model, tokenizer } = chapter;
    const losses: number[] = [];
    for (const text of data.pool as string[]) {
      const ids = tokenizer.encode(text, { bos: true }).slice(0, model.config.max_position_embeddings);
      const { logits } = await model.run([ids]);
      const logProbs = tokenLogProbs(logits.data, logits.shape[2], ids);
      losses.push(-logProbs.reduce((a, b) => a + b, 0) / logProbs.length);
    }
    const kinds = data.kinds as string[];
    const { activeLearning } = facts;
    expect(Math.min(...losses.filter((_, i) => kinds[i] === 'note'))).toBeGreaterThan(activeLearning.noteLossAbove);
    expect(Math.max(...losses.filter((_, i) => kinds[i] === 'story'))).toBeLessThan(activeLearning.storyLossBelow);
    const notes = (chosen: number[]) => chosen.filter((i) => kinds[i] === 'note').length;
    expect(notes(mostUncertain(losses, ACTIVE_LEARNING_RUN.picks))).toBe(activeLearning.uncertaintyNotes);
    expect(notes(randomChoice(data.pool.length, ACTIVE_LEARNING_RUN.picks, createRandom(1)))).toBe(activeLearning.randomNotesSeed1);
    const byKind = meanByKind(losses, kinds as ('story' | 'note')[]);
    expect(byKind.all).toBeCloseTo((byKind.story + byKind.note) / 2, 10); // 12 of each
  }, 120_000);
});
