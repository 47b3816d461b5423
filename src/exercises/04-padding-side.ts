// Chapter 4's exercises. Answers: tests/unit/exercise-answers.test.ts, with the chapter's padding
// maths (src/chapters/padding.ts).
import type { Exercise } from './types';

export default [
  {
    id: 'right-pad-read',
    kind: 'choice',
    prompt: 'A batch of a short and a long prompt is padded on the right, and generate() reads the next-token logits from the last column. For the short prompt, what does that column hold?',
    choices: ['A pad token', 'Its own last token', 'Its first token'],
    answer: 0,
    run: { widget: 'logits-position', state: { side: 'right' } },
    explanation: 'Right padding fills the short row\'s end with pads, so the last column is a pad: its logits predict what follows a pad, not the prompt. Left padding puts every row\'s last real token in the last column.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'pad-count',
    kind: 'numeric',
    prompt: 'Three prompts of 4, 2 and 9 tokens go into one batch. How many pad tokens does the batch hold?',
    answer: 12,
    tolerance: 0,
    unit: 'pads',
    explanation: 'The batch is as wide as the longest prompt, 9: the others get $9 - 4 = 5$ and $9 - 2 = 7$ pads, 12 in all, on whichever side.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'fix-the-batch',
    kind: 'widget',
    prompt: 'The batch starts padded on the right, the way training pads. Set it up for generation so that every row reads its next token from its own last token, with the pads masked and positions counted from each row\'s first real token.',
    widget: 'padding-batch',
    start: { side: 'right', mask: true, positions: true },
    goal: { side: 'left', mask: true, positions: true },
    explanation: 'Left padding puts each row\'s last real token in the last column, which generate() reads; the mask keeps the pads out of attention, and positions $\\text{cumsum}(m) - 1$ start every row at 0.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
