// Chapter 8's exercises. Answers: tests/unit/exercise-answers.test.ts (the shipped tokenizer and the
// parameter count of the shipped config).
import type { Exercise } from './types';

export default [
  {
    id: 'missing-character',
    kind: 'choice',
    prompt: 'Our vocabulary has no piece for the Chinese character 猫 (cat). Type it alone into the tokenizer: how many of its tokens are bytes?',
    choices: ['None: it becomes the unknown token', 'One', 'Three, one per UTF-8 byte'],
    answer: 2,
    run: { widget: 'tokens-playground', state: { text: '猫' } },
    explanation: '猫 is three bytes in UTF-8 (E7 8C AB), and byte fallback spells a missing character byte by byte, so nothing is ever unknown; it costs three tokens where a known word costs one.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'vocabulary-share',
    kind: 'numeric',
    prompt: 'Our model has a vocabulary of $V = 1735$, a hidden size of $d = 128$, separate input and output rows, and 1,182,592 parameters in all. What share of them, in percent, sits in the two vocabulary tables? One decimal.',
    answer: 37.6,
    tolerance: 0.05,
    unit: '%',
    explanation: 'The embedding and the output layer hold $2Vd = 2 \\times 1735 \\times 128 = 444{,}160$ parameters: 37.6% of 1,182,592.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'byte-row',
    kind: 'widget',
    prompt: 'Look up the neighbours of the byte token that spells the letter "A" (the tokenizer writes a byte as <0xNN>).',
    widget: 'tokens-neighbours',
    start: { token: 'red' },
    goal: { token: '<0x41>' },
    explanation: '"A" is the byte 0x41. Its row was never used in training, since the stories spell A with a piece, so its neighbours are other untouched rows, not letters.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
