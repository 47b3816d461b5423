// Chapter 7's exercises. Answers: tests/unit/exercise-answers.test.ts (the engine's sampling,
// src/llama/sampling.ts, and the chapter's staged logits, src/chapters/decoding.ts).
import type { Exercise } from './types';

export default [
  {
    id: 'cold-argmax',
    kind: 'choice',
    prompt: 'Lower the temperature from 1 to 0.3 in the next-token figure. Can a different token become the most likely one?',
    choices: ['No: dividing every logit by $T$ keeps their order', 'Yes: a low temperature can promote a token from further down'],
    answer: 0,
    run: { widget: 'next-token-bars', state: { temperature: 0.3 } },
    explanation: 'Temperature divides every logit by the same $T > 0$, which keeps their order: the top token stays on top and only gets more of the mass.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'top-k-renormalise',
    kind: 'numeric',
    prompt: 'A model gives five tokens the probabilities $0.5, 0.2, 0.15, 0.1, 0.05$. Top-k with $k = 2$ keeps the first two and renormalises. What probability does the first token get? Three decimals.',
    answer: 0.714,
    tolerance: 0.001,
    explanation: 'The two kept tokens hold $0.5 + 0.2 = 0.7$ of the mass; renormalised, the first gets $0.5 / 0.7 = 5/7 = 0.714$.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'greedy-by-top-k',
    kind: 'widget',
    prompt: 'Make the figure decode greedily, always taking the most likely token, without touching the temperature.',
    widget: 'next-token-bars',
    start: { temperature: 1, topK: 50 },
    goal: { topK: 1, temperature: 1 },
    explanation: 'Top-k with $k = 1$ keeps only the most likely token, which then has probability 1: the same choice as greedy decoding (temperature 0).',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
