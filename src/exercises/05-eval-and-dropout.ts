// Chapter 5's exercises. Answers: tests/unit/exercise-answers.test.ts (the engine in eval and train
// mode; the chapter's dropout maths, src/chapters/dropout.ts).
import type { Exercise } from './types';

export default [
  {
    id: 'eval-runs',
    kind: 'choice',
    prompt: 'The dropout figure runs the model ten times on one prompt, each run with new dropout masks. Switch it to eval mode with $p = 0.5$: how many different next-token distributions do the ten runs give?',
    choices: ['One: all ten are identical', 'Ten: every run has its own masks', 'A few: the masks repeat'],
    answer: 0,
    run: { widget: 'dropout-runs', state: { mode: 'eval', p: 0.5 } },
    explanation: 'In eval mode dropout is the identity, whatever the rate: no mask is drawn, so the ten runs are bit for bit the same forward pass.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'kept-scale',
    kind: 'numeric',
    prompt: 'Inverted dropout with $p = 0.2$ zeroes each value with probability 0.2. By what factor does it multiply the values it keeps?',
    answer: 1.25,
    tolerance: 0.001,
    explanation: 'The kept values are scaled by $1 / (1 - p) = 1 / 0.8 = 1.25$, so the expected output, $0.8 \\times 1.25\\,x$, is $x$ again.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'double-kept',
    kind: 'widget',
    prompt: 'Set the dropout rate at which every value that survives comes out exactly twice as large.',
    widget: 'dropout-inside',
    start: { p: 0.2 },
    goal: { p: 0.5 },
    explanation: '$1 / (1 - p) = 2$ gives $p = 0.5$: half the values are dropped and the other half doubled, so the mean is kept.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
