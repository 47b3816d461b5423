// Chapter 6's exercises. Answers: tests/unit/exercise-answers.test.ts (src/chapters/activations.ts;
// the activation swap losses are measured on the weights by tests/unit/activations-chapter.test.ts).
import type { Exercise } from './types';

export default [
  {
    id: 'relu-swap',
    kind: 'choice',
    prompt: 'Put ReLU in place of SiLU in every MLP of our trained model, without training it again. How much does its loss on the stories change?',
    choices: ['By under 1%', 'By about 10%', 'It doubles or worse'],
    answer: 0,
    run: { widget: 'mlp-inside', state: { activation: 'relu' } },
    explanation:
      'The loss goes from 0.2970 to 0.2985 nats, 0.5% more: where the model\'s pre-activations mostly sit, ReLU and SiLU are close. Making the MLPs linear instead raises it to 0.4296, 45% more.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'silu-minimum',
    kind: 'numeric',
    prompt: 'SiLU, $x\\,\\sigma(x)$, dips below zero before it comes back to 0. At which $x$ is its minimum? Three decimals.',
    answer: -1.278,
    tolerance: 0.0015,
    explanation: 'Setting the derivative $\\sigma(x)(1 + x(1 - \\sigma(x)))$ to 0 gives $x^\\star = -1 - W(1/e) = -1.2785$, where SiLU is $x^\\star + 1 = -0.2785$.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'read-the-dip',
    kind: 'widget',
    prompt: 'With $\\beta = 1$ (SiLU), move the read-out line to the bottom of the dip, within 0.05.',
    widget: 'activation-explorer',
    start: { beta: 1, x: 0 },
    goal: { beta: 1, x: { min: -1.33, max: -1.23 } },
    explanation: 'The minimum is at $x^\\star = -1.278$, where SiLU reads $-0.278$, its lowest value: to the left the curve rises back towards 0, to the right it climbs towards $x$.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
