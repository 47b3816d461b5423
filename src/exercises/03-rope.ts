// Chapter 3's exercises. Answers: tests/unit/exercise-answers.test.ts, with the chapter's RoPE maths
// (src/chapters/rope.ts).
import type { Exercise } from './types';

export default [
  {
    id: 'shift-both',
    kind: 'choice',
    prompt: 'The relative-position figure moves the key and the query together by $s$ positions. Move them by $s = 500$ instead of 100: what happens to their score $q \\cdot k$?',
    choices: ['It stays the same, up to rounding', 'It grows with $s$', 'It shrinks with $s$'],
    answer: 0,
    run: { widget: 'rope-relative', state: { shift: 500 } },
    explanation:
      'Rotating $q$ by $(m + s)\\theta_i$ and $k$ by $(n + s)\\theta_i$ leaves the angle between them at $(m - n)\\theta_i$: the score depends on the distance only, whatever $s$.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'slowest-period',
    kind: 'numeric',
    prompt:
      'Our heads have $d = 32$ dimensions, so 16 pairs, and the base is $b = 10000$. Pair $i$ turns by $\\theta_i = b^{-2i/d}$ per position. How many positions does the slowest pair, $i = 15$, take for one full turn? Within 1%.',
    answer: 35333,
    tolerance: 353,
    explanation: 'A full turn takes $2\\pi / \\theta_{15} = 2\\pi \\cdot 10000^{30/32} = 35{,}333$ positions: far beyond our context of 256, so within it that pair barely moves.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'fast-base',
    kind: 'widget',
    prompt: 'Lower the base until even the slowest pair makes a full turn within 1,000 positions.',
    widget: 'rope-rotation',
    start: { base: 10000 },
    goal: { base: { max: 223 } },
    explanation:
      'The slowest pair needs $2\\pi \\, b^{30/32} \\le 1000$ positions, so $b \\le 223$: on the slider, 200 does it (902 positions) and 224 just misses (1,004). Such a model could no longer tell positions 1,000 apart by that pair.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
