// Chapter 2's exercises. Answers: tests/unit/exercise-answers.test.ts (the shape from the shipped
// config; the model's facts from SHIPPED_HEAD_FACTS, which tests/unit/attention-chapter.test.ts
// measures on the weights).
import type { Exercise } from './types';

export default [
  {
    id: 'mask-off-loss',
    kind: 'choice',
    prompt:
      'Switch the causal mask off in the mask figure, so every token also sees the tokens after it, on its prompt "Once upon a time, there was a girl named Mia. Mia had a red ball." What happens to the mean next-token loss on that prompt?',
    choices: ['It falls', 'It rises', 'It stays the same: the mask only hides zeros'],
    answer: 0,
    run: { widget: 'attention-mask', state: { mode: 'none' } },
    explanation:
      'On this prompt it falls, from 0.845 to 0.775 nats: some positions now see the very token they must predict (after "Mia." the right next token goes from 0.287 to 0.674). Over whole stories the loss rises, from 0.297 to 0.694: the model never learned to read ahead, so the peek helps in a few places and misleads it in many.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'score-scale',
    kind: 'numeric',
    prompt: 'Our model has a hidden size of 128 split over 4 query heads. Each head divides its scores $q \\cdot k$ by $\\sqrt{d_k}$. What is $\\sqrt{d_k}$? Two decimals.',
    answer: 5.66,
    tolerance: 0.005,
    explanation: '$d_k = 128 / 4 = 32$, and $\\sqrt{32} = 5.657$.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'previous-token-head',
    kind: 'widget',
    prompt:
      'One head of our model looks mostly at the token just before each query: its map has a bright line right under the diagonal. Find it: bring the attention map to its layer and head.',
    widget: 'attention-heatmap',
    start: { layer: 0, head: 0 },
    goal: { layer: 1, head: 1 },
    explanation:
      'Layer 1, head 1 is the previous-token head: over the stories it puts more weight on the previous token than any other head (0.12 on average, 0.27 on this prompt). Heads like it let later layers copy what followed a word last time.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
