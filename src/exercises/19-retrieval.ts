// Exercises of the retrieval chapter; every answer is checked by tests/unit/retrieval-chapter.test.ts.
import type { Exercise } from './types';

export default [
  {
    id: 'distractor-after',
    kind: 'choice',
    prompt: 'The context is the story about Rita and the frog, then the second-ranked story (Fatima and the mouse), then "Poor little frog," said. Which name does our model give?',
    choices: ['Rita, the speaker in the right story', 'Fatima, a name from the distractor', 'No name at all'],
    answer: 1,
    explanation:
      'The name heads read the nearest place where a name followed a line of speech, and that is the distractor: they put most of their attention there, and the model copies its name, although the distractor never says "Poor little frog".',
    source: 'tests/unit/retrieval-chapter.test.ts',
    run: { widget: 'rag-reader', state: { prompt: '"Poor little frog," said', distractor: 'after' } },
  },
  {
    id: 'idf-one-story',
    kind: 'numeric',
    prompt: 'A word occurs in exactly one of our 16 stories. What is its BM25 inverse document frequency, ln(1 + (N − n + 0.5) / (n + 0.5))?',
    answer: 2.428,
    tolerance: 0.005,
    explanation: 'N = 16, n = 1: ln(1 + 15.5 / 1.5) = ln(11.33) ≈ 2.428.',
    source: 'tests/unit/retrieval-chapter.test.ts',
    run: { widget: 'rag-bm25', state: { prompt: 'frog' } },
  },
  {
    id: 'presence-only',
    kind: 'widget',
    prompt: 'Make BM25 count only whether a query word is present, not how often it occurs: a word then adds exactly its IDF, whatever its count and the story\'s length.',
    widget: 'rag-bm25',
    start: { prompt: 'little frog said' },
    goal: { k1: { max: 0 } },
    explanation: 'With k1 = 0 the fraction f (k1 + 1) / (f + k1 (…)) is f / f = 1 for any f > 0, so each word present adds its IDF and b has no effect.',
    source: 'tests/unit/retrieval-chapter.test.ts',
  },
] satisfies Exercise[];
