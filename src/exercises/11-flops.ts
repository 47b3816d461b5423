// Chapter 11's exercises. Answers: tests/unit/exercise-answers.test.ts, with the chapter's FLOP
// arithmetic (src/chapters/flops.ts) and the shipped config.
import type { Exercise } from './types';

export default [
  {
    id: 'decode-bound',
    kind: 'choice',
    prompt:
      'Decoding one token of our model in float32 does about 0.5 FLOP per byte of weights it reads. An A100\'s ridge point is near 10 FLOPs per byte in float32 (and 150 in bf16). What limits the decode step?',
    choices: ['Memory bandwidth: the weights cannot arrive fast enough', 'Compute: the arithmetic units are saturated'],
    answer: 0,
    run: { widget: 'flops-roofline', state: { largest: '512' } },
    explanation: 'Below the ridge point the roofline is the bandwidth slope: at 0.5 FLOP per byte an A100 could do at most $0.5 \\times 2039$ GB/s $\\approx 1$ TFLOP/s, a twentieth of its float32 peak.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'one-projection',
    kind: 'numeric',
    prompt: 'One token ($m = 1$) goes through our model\'s MLP up-projection, a $[128] \\times [128, 352]$ product. How many FLOPs is that?',
    answer: 90112,
    tolerance: 0,
    unit: 'FLOPs',
    explanation: 'A $[m, k] \\times [k, n]$ product is $2mkn$ FLOPs, a multiply and an add per weight: $2 \\times 1 \\times 128 \\times 352 = 90{,}112$.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'a-month',
    kind: 'widget',
    prompt: 'Train Llama 2 7B (6.738 billion parameters, 2 trillion tokens) on A100s at 40% MFU. Start from 64 devices and add devices until training takes less than 30 days.',
    widget: 'flops-training-calculator',
    start: { devices: 64 },
    goal: { parameters: 6.738, tokens: 2000, peak: 312, mfu: 40, devices: { min: 250 } },
    explanation: '$6NT = 8.09 \\times 10^{22}$ FLOPs; one A100 at 40% of 312 TFLOP/s does $1.25 \\times 10^{14}$ a second, so 30 days need $8.09 \\times 10^{22} / (1.25 \\times 10^{14} \\times 2{,}592{,}000) = 249.96$ devices: 250.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
