// Exercises of the FlashAttention chapter (content/15-flash-attention.mdx). Every answer is
// checked by tests/unit/flash-chapter.test.ts against src/llama/flashAttention.ts,
// src/chapters/flash.ts and the shipped model.
import type { Exercise } from './types';

export default [
  {
    id: 'exact-or-not',
    kind: 'choice',
    prompt: 'Run tiled attention in float32 with 5 × 5 tiles on layer 0, head 0 of our model, and compare it with the model’s own attention (its softmax times V). What do you expect?',
    choices: [
      'A difference of about 1%: tiling approximates the softmax',
      'Equal up to float32 rounding: the largest difference is below 10⁻⁵ but not zero',
      'Bit for bit the same numbers',
    ],
    answer: 1,
    explanation: 'The online softmax rescales every partial sum to the final maximum, so the tiled output is the same sums taken in another order. Float32 rounds them differently, so a difference of around 10⁻⁶ remains.',
    source: 'tests/unit/flash-chapter.test.ts',
    run: { widget: 'flash-tiles', state: { rows: 5, cols: 5, tile: 0 } },
  },
  {
    id: 'rescale-by-hand',
    kind: 'numeric',
    prompt: 'Read the scores [1, 3, 2, 5] in chunks of two with the online softmax. When the second chunk arrives, the running sum of the first chunk is multiplied by a factor. What is it (to three decimals)?',
    answer: 0.135,
    tolerance: 0.001,
    explanation: 'The running maximum goes from 3 to 5, so every earlier term e^(s − 3) becomes e^(s − 5) by multiplying with e^(3 − 5) = e^(−2) ≈ 0.135.',
    source: 'tests/unit/flash-chapter.test.ts',
  },
  {
    id: 'passes-over-q',
    kind: 'numeric',
    prompt: 'Algorithm 1 with an SRAM of M = 98,304 numbers and head dimension d = 64 takes key blocks of B_c = ⌈M / 4d⌉. For a sequence of N = 4096 tokens, how many times does it read all of Q and O from HBM?',
    answer: 11,
    tolerance: 0,
    explanation: 'B_c = ⌈98,304 / 256⌉ = 384 keys, so there are ⌈4096 / 384⌉ = 11 key blocks, and each one sweeps all of Q and O.',
    source: 'tests/unit/flash-chapter.test.ts',
    run: { widget: 'flash-memory', state: { n: 4096, d: 64, sram: 192 } },
  },
  {
    id: 'overflow',
    kind: 'choice',
    prompt: 'Multiply the scores of the last query (layer 0, head 0) by 100 before the softmax. What happens to the online softmax, read in chunks of 4?',
    choices: [
      'It overflows like the naive sum of e^s',
      'It gives the same probabilities as the two-pass softmax, while the naive float32 sum overflows',
      'It still works, but differs from the two-pass softmax by about 1%',
    ],
    answer: 1,
    explanation: 'Every exponential it takes is e^(s − m) with m the largest score so far, so none exceeds 1; the naive sum of e^s passes float32’s largest number once a score exceeds about 88.7.',
    source: 'tests/unit/flash-chapter.test.ts',
    run: { widget: 'flash-online-softmax', state: { stretch: 100 } },
  },
  {
    id: 'when-tiling-pays',
    kind: 'widget',
    prompt: 'With head dimension 256 and N = 1024, the tiled algorithm moves more numbers than standard attention on a small chip. Raise the on-chip memory until FlashAttention moves fewer.',
    widget: 'flash-memory',
    start: { n: 1024, d: 256, sram: 16 },
    goal: { n: 1024, d: 256, sram: { min: 512 } },
    explanation: 'At 256 KiB a key block holds 128 keys and Q and O are read 8 times: 7.11 million numbers against standard attention’s 5.24 million. At 512 KiB the blocks hold 256 keys, 4 passes: 3.95 million.',
    source: 'tests/unit/flash-chapter.test.ts',
  },
] satisfies Exercise[];
