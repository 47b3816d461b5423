// Exercises of the LoRA chapter (content/13-lora.mdx); every answer is checked by
// tests/unit/lora-exercises.test.ts against the chapter maths (src/chapters/lora.ts) or the model.
import type { Exercise } from './types';

export default [
  {
    id: 'qv-rank-8-ours',
    kind: 'numeric',
    prompt:
      'Our model has 4 layers, hidden size 128, and 2 key-value heads of 32, so q_proj is [128, 128] and v_proj is [64, 128]. How many values does a LoRA adapter of rank r = 8 on q_proj and v_proj train?',
    answer: 14_336,
    tolerance: 0,
    unit: 'values',
    explanation: 'Each module adds A [r, in] and B [out, r]: 8 × (128 + 128) = 2,048 for q_proj and 8 × (128 + 64) = 1,536 for v_proj, 3,584 per layer, 14,336 for 4 layers.',
    run: { widget: 'lora-calculator', state: { model: 'glass-llama', r: 8, modules: 'q_proj,v_proj', dtype: 'fp32', optimizer: 'adamw' } },
    source: 'tests/unit/lora-exercises.test.ts',
  },
  {
    id: 'first-step-difference',
    kind: 'choice',
    prompt: 'A fresh adapter is attached (A random, B = 0) and nothing is trained yet. How far apart are the adapted model\'s logits and the base model\'s?',
    choices: ['Exactly 0: B A = 0, so every adapted projection computes W x', 'Small but not 0: A is random', 'Large: the adapter starts from random noise', 'It depends on alpha'],
    answer: 0,
    explanation: 'With B = 0 the update (alpha/r) B A x is 0 whatever A and alpha are; the lab prints the largest difference before the first step, and it is 0.',
    run: { widget: 'lora-lab', state: { steps: 1 } },
    source: 'tests/unit/lora-exercises.test.ts',
  },
  {
    id: 'rank-of-update',
    kind: 'choice',
    prompt: 'The shipped adapter has r = 4. How many non-zero singular values does its update (alpha/r) B A of layer 0\'s q_proj, a [128, 128] matrix, have?',
    choices: ['128', '4', '8', '1'],
    answer: 1,
    explanation: 'B A is B [128, 4] times A [4, 128]: every column of it is a mix of B\'s 4 columns, so at most 4 singular values are non-zero, and training makes all 4 of them count.',
    run: { widget: 'lora-update-inspector', state: { layer: 0, module: 'q_proj' } },
    source: 'tests/unit/lora-exercises.test.ts',
  },
  {
    id: 'llama2-7b-memory-budget',
    kind: 'widget',
    prompt: 'In the calculator, pick Llama 2 7B in bf16 with AdamW and adapt q_proj and v_proj. Find a rank of at least 64 at which LoRA still holds under 14.1 GB (before activations).',
    widget: 'lora-calculator',
    start: { model: 'llama-2-7b', modules: 'q_proj,v_proj', dtype: 'bf16', optimizer: 'adamw' },
    goal: { model: 'llama-2-7b', modules: 'q_proj,v_proj', dtype: 'bf16', optimizer: 'adamw', r: { min: 64, max: 74 } },
    explanation: 'The frozen bf16 weights take 13.48 GB whatever the rank; each unit of rank on q and v adds 32 × 2 × 8,192 = 524,288 trained values at 16 bytes each, 8.4 MB. r = 74 holds 14.098 GB; r = 75 holds 14.106 GB, over.',
    source: 'tests/unit/lora-exercises.test.ts',
  },
] satisfies Exercise[];
