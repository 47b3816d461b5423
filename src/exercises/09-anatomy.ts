// Chapter 9's exercises. Answers: tests/unit/exercise-answers.test.ts, with the chapter's parameter
// count (src/chapters/anatomy.ts) and the shipped config.
import type { Exercise } from './types';

export default [
  {
    id: 'where-7b-lives',
    kind: 'choice',
    prompt: 'In Llama 2 7B, which holds more parameters: its 32 MLPs, or its two vocabulary tables (the embedding and the output layer)?',
    choices: ['The MLPs, by far', 'The vocabulary tables', 'About the same'],
    answer: 0,
    run: { widget: 'anatomy-params', state: { preset: 'llama-2-7b' } },
    explanation: 'The MLPs hold $32 \\times 3 \\times 4096 \\times 11008 = 4.33$ billion parameters, the two tables $2 \\times 32000 \\times 4096 = 0.26$ billion: 64% of the model against 4%. In our tiny model the tables hold 38% and the MLPs 46%.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'our-parameters',
    kind: 'numeric',
    prompt:
      'Our model: hidden size 128, 4 layers, 4 query heads and 2 KV heads of 32 dimensions, an MLP width of 352, a vocabulary of 1735, separate input and output tables, no biases. How many parameters does it have?',
    answer: 1182592,
    tolerance: 0,
    explanation:
      'Per layer $2hHd + 2hK\\!Vd + 3hF + 2h = 32{,}768 + 16{,}384 + 135{,}168 + 256 = 184{,}576$; four layers make 738,304; the two tables $2 \\times 1735 \\times 128 = 444{,}160$ and the final norm 128: 1,182,592.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'gqa-for-7b',
    kind: 'widget',
    prompt: 'Start from Llama 2 7B and change only its number of KV heads (grouped-query attention) until the model has fewer than 6.5 billion parameters.',
    widget: 'anatomy-params',
    start: { preset: 'llama-2-7b', hidden: 4096, layers: 32, heads: 32, kvHeads: 32, mlp: 11008, vocab: 32000, tied: false },
    goal: { hidden: 4096, layers: 32, heads: 32, mlp: 11008, vocab: 32000, tied: false, kvHeads: { max: 24 } },
    explanation:
      'Each KV head removed saves its key and value rows in every layer, $2 \\times 4096 \\times 128 \\times 32 = 33.6$ million parameters; 24 KV heads give 6.47 billion, 25 still 6.50. The heads must divide 32, so 16 is the first that works: 6.20 billion.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
