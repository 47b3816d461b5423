// Exercises of the assistant chapter; every answer is checked by tests/unit/assistant-chapter.test.ts.
import type { Exercise } from './types';

export default [
  {
    id: 'kl-formula-n4',
    kind: 'numeric',
    prompt: 'The often-quoted KL divergence of best-of-n from its base model is ln n − (n − 1)/n. What is it for n = 4, in nats?',
    answer: 0.636,
    tolerance: 0.005,
    explanation: 'ln 4 − 3/4 = 1.386 − 0.75 = 0.636 nats. Beirami et al. (2024) show this is an upper bound on the true KL.',
    source: 'tests/unit/assistant-chapter.test.ts',
    run: { widget: 'assist-best-of-n', state: { n: 4 } },
  },
  {
    id: 'reward-saturates',
    kind: 'choice',
    prompt: 'With 12 samples, n goes from 16 to 64. What happens to the expected reward of the best of n?',
    choices: ['It keeps rising in proportion to ln n', 'It barely moves: it is already close to the best sample\'s reward', 'It falls, because the KL penalty grows'],
    answer: 1,
    explanation:
      'Drawing from 12 samples, the best one is among 16 draws with probability 1 − (11/12)^16 ≈ 0.75 and among 64 with 1 − (11/12)^64 ≈ 0.996: the expected reward can only creep up to the best sample\'s. Best-of-n has no penalty; the KL only describes how far it moved.',
    source: 'tests/unit/assistant-chapter.test.ts',
    run: { widget: 'assist-best-of-n', state: { n: 64 } },
  },
  {
    id: 'no-move',
    kind: 'widget',
    prompt: 'Set n so that best-of-n is exactly the base model: a KL divergence of 0 from the samples.',
    widget: 'assist-best-of-n',
    start: { n: 8 },
    goal: { n: 1 },
    explanation: 'With n = 1 the single draw is kept whatever its reward: each sample is chosen with probability 1/N, the base distribution, so the KL is 0.',
    source: 'tests/unit/assistant-chapter.test.ts',
  },
] satisfies Exercise[];
