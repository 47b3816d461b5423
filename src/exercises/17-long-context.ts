// Exercises of the long-context chapter (NBCE). Every answer is checked by
// tests/unit/nbce-exercises.test.ts against the pooling maths or the shipped model.
import type { Exercise } from './types';

export default [
  {
    id: 'average-pooling',
    kind: 'choice',
    prompt: 'Story 0, chunks of 32 tokens, β = 0.25. With average pooling instead of lowest entropy, does NBCE’s continuation name the hero, Karl?',
    choices: ['Yes: every chunk is evidence, and the first chunk’s evidence is strong', 'No: the chunks that never saw the name outvote the one that did'],
    answer: 1,
    explanation: 'Averaging the log-probabilities multiplies the chunks’ probabilities: eleven chunks that give “Karl” almost no probability pull it down further than the one sure chunk can lift it. Lowest entropy lets that one chunk decide.',
    source: 'tests/unit/nbce-exercises.test.ts',
    run: { widget: 'nbce-generate', state: { seed: 0, chunk: 32, beta: 0.25, pooling: 'average' } },
  },
  {
    id: 'naive-bayes-score',
    kind: 'numeric',
    prompt: 'Two chunks give the next token T probabilities 0.5 and 0.2; the question alone gives it 0.4. With average pooling and β = 1 (naive Bayes for two chunks), what is exp of T’s score, (β + 1) · mean log p(T | Sₖ) − β · log p(T), before normalising?',
    answer: 0.25,
    tolerance: 0.001,
    explanation: 'exp(2 · (ln 0.5 + ln 0.2) / 2 − ln 0.4) = 0.5 · 0.2 / 0.4 = 0.25: the product of the chunks’ probabilities divided by the prior once, as naive Bayes says for n − 1 = 1.',
    source: 'tests/unit/nbce-exercises.test.ts',
  },
  {
    id: 'chunk-count',
    kind: 'numeric',
    prompt: 'Story 0’s context (everything before “One day,”) is cut into chunks of 32 tokens. How many rows does NBCE run at each step, counting the question alone?',
    answer: 13,
    tolerance: 0,
    unit: 'rows',
    explanation: 'The context is 361 tokens without BOS and the question, so 12 chunks (11 of 32 and one of 9), plus one row for the question alone: 13.',
    source: 'tests/unit/nbce-exercises.test.ts',
    run: { widget: 'nbce-formula', state: { seed: 0, chunk: 32 } },
  },
  {
    id: 'chunks-too-long',
    kind: 'widget',
    prompt: 'Keep story 0 and lowest-entropy pooling, and make the chunks at least four times as long as they start (128 tokens or more). Is the hero’s name still the top token of the pooled distribution?',
    explanation: 'With chunks of 128 tokens or more, the chunk with the name also holds dozens of filler tokens after it: farther than our model copies a name, so no chunk is sure of “Karl”.',
    source: 'tests/unit/nbce-exercises.test.ts',
    widget: 'nbce-formula',
    start: { seed: 0, chunk: 32, pooling: 'lowestEntropy' },
    goal: { seed: 0, pooling: 'lowestEntropy', chunk: { min: 128 } },
  },
] satisfies Exercise[];
