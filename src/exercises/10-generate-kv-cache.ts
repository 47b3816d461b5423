// Chapter 10's exercises. Answers: tests/unit/exercise-answers.test.ts, with the chapter's cache
// arithmetic (src/chapters/kvcache.ts, src/chapters/attention.ts) and the shipped config.
import type { Exercise } from './types';

export default [
  {
    id: 'cache-work',
    kind: 'choice',
    prompt:
      'Generate 40 tokens after a 4-token prompt. Count the attention work in query-key pairs: how much does recomputing the whole text at every step cost, against one new query per step with the KV cache?',
    choices: ['About the same', 'About 3 times as much', 'About 15 times as much'],
    answer: 2,
    run: { widget: 'kv-grow', state: { steps: 40 } },
    explanation:
      'With the cache: the prefill\'s 10 pairs, then one query against 5, 6, … 43 keys: 946 pairs. Recomputing: a causal triangle at every step, 14,180 pairs, 15 times as many, and the gap grows with the length.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'bytes-per-token',
    kind: 'numeric',
    prompt: 'Our model has 4 layers, 2 KV heads of 32 dimensions, and keeps its cache in float32 (4 bytes). How many bytes does the KV cache grow by for each token?',
    answer: 2048,
    tolerance: 0,
    unit: 'bytes',
    explanation: 'A key and a value per layer and KV head: $2 \\times 4 \\times 2 \\times 32 = 512$ numbers, times 4 bytes: 2,048 bytes, 2 KiB.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
  {
    id: 'shared-head',
    kind: 'widget',
    prompt: 'Our 4 query heads share 2 KV heads: query heads 0 and 1 read KV head 0, heads 2 and 3 read KV head 1. Show the cache that query head 3 reads.',
    widget: 'kv-grow',
    start: { head: 0 },
    goal: { head: 1 },
    explanation: 'With 4 query heads and 2 KV heads, each KV head serves $4 / 2 = 2$ query heads in order, so query head 3 reads KV head $\\lfloor 3 / 2 \\rfloor = 1$.',
    source: 'tests/unit/exercise-answers.test.ts',
  },
] satisfies Exercise[];
