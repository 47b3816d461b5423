// Chapter 1's exercises: the softmax-temperature figure (its logits are components/SoftmaxTemperature.ts's
// EXAMPLE_LOGITS). Every answer is checked in tests/unit/exercise-answers.test.ts.
import type { Exercise } from './types';

export default [
  {
    id: 'hotter-moon',
    kind: 'choice',
    prompt: 'In the temperature figure, "moon" is the least likely word. Raise the temperature from $T = 1$ to $T = 3$: what happens to its probability?',
    choices: ['It rises', 'It falls', 'It stays the same'],
    answer: 0,
    run: { widget: 'softmax-temperature', state: { temperature: 3 } },
    explanation:
      'Dividing the logits by $T > 1$ shrinks the gaps between them, so the distribution flattens: p(moon) goes from 0.011 at $T = 1$ to 0.076 at $T = 3$, almost seven times more, while "mat" falls from 0.458 to 0.261.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'mat-at-one',
    kind: 'numeric',
    prompt: 'At $T = 1$ the figure is plain $\\operatorname{softmax}(z)$ of six logits, $z = (3.2, 2.6, 2.1, 1.4, 1.0, -0.5)$. What probability does "mat", the first, get? Three decimals.',
    answer: 0.458,
    tolerance: 0.002,
    run: { widget: 'softmax-temperature', state: { temperature: 1 } },
    explanation: '$e^{3.2} / \\sum_j e^{z_j} = 24.53 / 53.54 = 0.458$.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'mat-majority',
    kind: 'widget',
    prompt: 'Cool the distribution down until "mat" takes more than 0.6 of the probability.',
    widget: 'softmax-temperature',
    start: { temperature: 1 },
    goal: { temperature: { max: 0.6 } },
    explanation: 'p(mat) is 0.623 at $T = 0.60$ and 0.595 at $T = 0.65$: the slider moves in steps of 0.05, so any temperature up to 0.60 does it, and every step above does not.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
