// Exercises of the sparse attention chapter (content/16-sparse-attention.mdx); every answer is
// checked by tests/unit/sparse-attention-exercises.test.ts.
import type { Exercise } from './types';

export default [
  {
    id: 'window-pairs',
    kind: 'numeric',
    prompt: 'Our model reads at most N = 256 tokens. How many (query, key) pairs does one head of one layer score under a sliding window of w = 16 keys?',
    answer: 3976,
    tolerance: 0,
    unit: 'pairs',
    explanation:
      'The first 16 queries see 1, 2, …, 16 keys: 16 · 17 / 2 = 136 pairs. The other 240 queries see 16 keys each: 3,840. Together 3,976, or 12.1% of the 32,896 causal pairs.',
    source: 'tests/unit/sparse-attention-exercises.test.ts',
    run: { widget: 'sparse-mask', state: { pattern: 'window', window: 16 } },
  },
  {
    id: 'smallest-window',
    kind: 'choice',
    prompt: 'In Tom’s story with three weather sentences, the name is D = 20 tokens before the last token. What is the smallest sliding window w with which the model still names Tom next?',
    choices: ['16', '20', '21', '40'],
    answer: 2,
    explanation:
      'With a window of w the last token sees the keys at distances 0 to w − 1, so the name at distance 20 needs w ≥ 21. With w = 21 the model gives Tom 97%; with w = 20 the name is hidden and Tom is not its top guess.',
    source: 'tests/unit/sparse-attention-exercises.test.ts',
    run: { widget: 'sparse-recall', state: { name: 'Tom', fillers: 3, window: 21, global: 0 } },
  },
  {
    id: 'strided-two-percent',
    kind: 'widget',
    prompt: 'Choose a stride for the strided pattern so that, at 65,536 tokens (the last row of the table), it keeps under 2% of the causal pairs.',
    explanation:
      'Query i keeps about l + i/l keys, so the pattern keeps about N(l + N/2l) pairs: a share of about 2(l + N/2l)/N. That is under 2% for every stride from 55 up (to the box’s 256); the smallest share, 1.1%, is near l = √(N/2) ≈ 181.',
    source: 'tests/unit/sparse-attention-exercises.test.ts',
    widget: 'sparse-mask',
    start: { pattern: 'strided', stride: 4 },
    goal: { pattern: 'strided', stride: { min: 55, max: 256 } },
  },
] satisfies Exercise[];
