// Exercises of the training chapter (content/12-training.mdx). Every answer is checked in
// tests/unit/training-exercises.test.ts against the chapter's maths, the engine or the shipped logs.
import type { Exercise } from './types';

export default [
  {
    id: 'adamw-first-step',
    kind: 'numeric',
    prompt:
      'One weight $w = 1$ gets the gradient $g = 0.5$ in AdamW’s first step, with $\\beta_1 = 0.9$, $\\beta_2 = 0.95$, weight decay $\\lambda = 0.1$ and learning rate 0.1. What is $w$ after the step?',
    answer: 0.89,
    tolerance: 0.001,
    explanation:
      'At $t = 1$ the bias corrections make $\\hat m = g$ and $\\hat v = g^2$, so the Adam direction is $g / |g| = 1$ whatever the size of $g$. Then $w = 1 - 0.1\\,(1 + 0.1 \\cdot 1) = 0.89$.',
    source: 'tests/unit/training-exercises.test.ts',
  },
  {
    id: 'halfway-learning-rate',
    kind: 'numeric',
    prompt:
      'Our pretraining warmed up for 60 steps to a peak of $3 \\cdot 10^{-3}$, then followed a cosine to 10% of the peak at step 2000. What was the learning rate at step 1030, half-way through the decay? (Give it in units of $10^{-3}$.)',
    answer: 1.65,
    tolerance: 0.005,
    unit: '× 10⁻³',
    explanation:
      'Half-way the cosine term $(1 + \\cos(\\pi/2))/2$ is $1/2$: $0.3 + (3 - 0.3)/2 = 1.65$ in units of $10^{-3}$. The shipped training log records exactly this value at step 1030.',
    source: 'tests/unit/training-exercises.test.ts',
  },
  {
    id: 'masked-loss',
    kind: 'numeric',
    prompt:
      'A chat turn has four predicted tokens with losses 1, 2, 3 and 4 nats; the last two are the answer. What is the SFT loss (mask on the answer only)?',
    answer: 3.5,
    tolerance: 0.001,
    unit: 'nats',
    explanation: 'The mask keeps the answer’s two tokens: (3 + 4) / 2 = 3.5. Without the mask the mean is 2.5: the prompt’s easier tokens would dilute the answer’s loss.',
    source: 'tests/unit/training-exercises.test.ts',
  },
  {
    id: 'race-largest-rate',
    kind: 'choice',
    prompt: 'Three copies fine-tune on the notes for 20 steps with learning rates 1e-5, 3e-3 and 3e-1. Which ends with the lowest loss on the held-out notes?',
    choices: ['1e-5', '3e-3', '3e-1'],
    answer: 1,
    run: { widget: 'train-lr-race', state: { a: '1e-5', b: '3e-3', c: '3e-1' } },
    explanation:
      'In the race shipped with the page, after 20 steps the held-out notes loss is 12.09 at 1e-5 (it started at 12.92: too small to move in 20 steps), 1.78 at 3e-3 and 5.65 at 3e-1, whose first steps throw the training loss up to 35 before the decaying schedule brings it back down. Race here to see it on your device.',
    source: 'tests/unit/training-exercises.test.ts',
  },
  {
    id: 'ask-the-notes-adapter',
    kind: 'widget',
    prompt: 'Ask the notes adapter for a weather report: pick the model and the prompt "Weather for Monday in" in the before-and-after figure.',
    widget: 'train-before-after',
    start: { model: 'base', prompt: 'Once upon a time' },
    goal: { model: 'notes', prompt: 'Weather for Monday in' },
    explanation: 'The shipped model continues "Weather for Monday in" as a story; the notes adapter writes the form of a weather report (“It will be … in the morning and sunny …”), garbled in places: 150 steps of post-pretraining taught it the notes’ form.',
    source: 'tests/unit/training-exercises.test.ts',
  },
] satisfies Exercise[];
