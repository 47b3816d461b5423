// The attention chapter's arithmetic (src/chapters/attention.ts) against the engine's taps, and
// every number the chapter states about the shipped model's heads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  attendOne,
  argmax,
  cleanPrompt,
  firstTokenScore,
  kvCacheWidth,
  kvHeadOf,
  NAME_HEAD_PROMPT,
  pieceLabel,
  previousTokenScore,
  promptProblem,
  queriesPerKvHead,
  SHIPPED_ATTENTION,
  softmax,
  tapHead,
  tapRow,
  tokenLosses,
  topPrediction,
} from '../../src/chapters/attention';
import { headDim } from '../../src/llama/config';
import { createRandom, randomNormal } from '../../src/llama/rng';
import { layerTap } from '../../src/llama/taps';
import { DEFAULT_OPTIONS, modelConfig } from '../../scripts/train';
import { useBackend } from './helpers/backends';
import { loadChapterModel, SHIPPED_MODEL_DIR, type ChapterModel } from './helpers/chapter-model';

describe('the shipped model, as the chapter describes it', () => {
  test('SHIPPED_ATTENTION is the training configuration', () => {
    const config = modelConfig(DEFAULT_OPTIONS, 1735);
    expect(SHIPPED_ATTENTION).toEqual({
      layers: config.num_hidden_layers,
      heads: config.num_attention_heads,
      kvHeads: config.num_key_value_heads,
      hidden: config.hidden_size,
      headDim: headDim(config),
      context: config.max_position_embeddings,
    });
  });

  test('SHIPPED_ATTENTION is public/models/glass-llama/config.json', () => {
    const config = JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, 'config.json'), 'utf8'));
    expect(config.num_hidden_layers).toBe(SHIPPED_ATTENTION.layers);
    expect(config.num_attention_heads).toBe(SHIPPED_ATTENTION.heads);
    expect(config.num_key_value_heads).toBe(SHIPPED_ATTENTION.kvHeads);
    expect(config.hidden_size).toBe(SHIPPED_ATTENTION.hidden);
    expect(config.max_position_embeddings).toBe(SHIPPED_ATTENTION.context);
  });

  test('grouped-query attention: 2 query heads per KV head, heads 0,1 read KV head 0 and heads 2,3 read KV head 1', () => {
    expect(queriesPerKvHead(4, 2)).toBe(2);
    expect([0, 1, 2, 3].map((head) => kvHeadOf(head, 4, 2))).toEqual([0, 0, 1, 1]);
    // the chapter: 128 numbers per token per layer in the cache, half of multi-head's 256
    expect(kvCacheWidth(SHIPPED_ATTENTION.kvHeads, SHIPPED_ATTENTION.headDim)).toBe(128);
    expect(kvCacheWidth(SHIPPED_ATTENTION.heads, SHIPPED_ATTENTION.headDim)).toBe(256);
  });
});

describe('softmax and one query step', () => {
  test('softmax rows sum to 1 and keep the order of the scores', () => {
    const probs = softmax([2, 1, 0.5, -3]);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(probs[0]).toBeCloseTo(1 / (1 + Math.exp(-1) + Math.exp(-1.5) + Math.exp(-5)), 12);
    expect(softmax([1000, 1000])).toEqual([0.5, 0.5]); // stable: no overflow
  });

  test('masked keys get probability exactly 0 and the rest still sum to 1', () => {
    const keys = [[1, 0], [0, 1], [1, 1], [2, 2]];
    const step = attendOne([1, 2], keys, keys, 1);
    expect(step.dots).toEqual([1, 2, 3, 6]);
    expect(step.scaled[3]).toBeCloseTo(6 / Math.SQRT2, 12);
    expect(step.masked.slice(2)).toEqual([-Infinity, -Infinity]);
    expect(step.probs[2]).toBe(0);
    expect(step.probs[3]).toBe(0);
    expect(step.probs[0] + step.probs[1]).toBeCloseTo(1, 12);
    // out = p0 v0 + p1 v1
    expect(step.out[0]).toBeCloseTo(step.probs[0], 12);
    expect(step.out[1]).toBeCloseTo(step.probs[1], 12);
    // without the mask the future keys take most of the weight
    expect(argmax(attendOne([1, 2], keys, keys, 1, { causal: false }).probs)).toBe(3);
  });

  test('why sqrt(d): for unit-variance q and k the dot product has variance d, the scaled one about 1', () => {
    const random = createRandom(7);
    const gaussian = () => randomNormal(random);
    const d = 64;
    const samples = Array.from({ length: 4000 }, () => {
      const q = Array.from({ length: d }, gaussian);
      const k = Array.from({ length: d }, gaussian);
      return attendOne(q, [k], [k], 0).scaled[0];
    });
    const variance = samples.reduce((sum, x) => sum + x * x, 0) / samples.length;
    expect(variance).toBeGreaterThan(0.9);
    expect(variance).toBeLessThan(1.1);
  });
});

describe('head summaries', () => {
  const previousTokenHead = [
    [1, 0, 0],
    [1, 0, 0],
    [0, 1, 0],
  ];
  test('previousTokenScore is 1 for a head that always looks one back', () => {
    expect(previousTokenScore(previousTokenHead)).toBe(1);
    expect(firstTokenScore(previousTokenHead)).toBe(0.5);
    expect(previousTokenScore([[1]])).toBe(0);
  });
});

describe('prompt checks and labels', () => {
  test('empty and too-long prompts get a message; a fitting prompt none', () => {
    expect(promptProblem('  ', 1, 256)).toBe('The prompt is empty: type a few words.');
    expect(promptProblem('x', 300, 256)).toBe('The prompt is 300 tokens long, but the model reads at most 256 (its context). Shorten it.');
    expect(promptProblem('Once upon a time', 5, 256)).toBeNull();
  });
  test('control characters are dropped, newlines and emoji kept', () => {
    expect(cleanPrompt('a\u0000b\u0007c\nd 🦙 猫')).toBe('abc\nd 🦙 猫');
  });
  test('pieces show their leading space as a middle dot', () => {
    expect(pieceLabel('\u2581the')).toBe('·the');
    expect(pieceLabel('<0x0A>')).toBe('⏎');
    expect(pieceLabel('<s>')).toBe('<s>');
  });
});

describe('the name head the chapter points at', () => {
  let chapter: ChapterModel;
  beforeAll(async () => {
    await useBackend('wasm');
    chapter = loadChapterModel();
  });
  afterAll(() => chapter?.model.dispose());

  test('on the chapter prompt it looks from the full stop back at "Ben", and the model predicts "Ben"', async () => {
    const evaluation = JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, 'eval.json'), 'utf8'));
    const { layer, head, attention } = evaluation.nameLookupHeads[0];
    const second = evaluation.nameLookupHeads[1];
    expect(layer).toBe(second.layer); // the prose: two heads of the same layer
    expect(layer).toBe(chapter.model.config.num_hidden_layers - 1); // its last layer
    expect(attention).toBeGreaterThan(0.5);
    const { model, tokenizer } = chapter;
    const ids = tokenizer.encode(NAME_HEAD_PROMPT, { bos: true });
    const { logits, taps } = await model.run([ids], { taps: [layerTap(layer, 'attn.probs')] });
    const last = ids.length - 1;
    const ben = tokenizer.encode('Ben', { bos: false })[0];
    expect(tokenizer.idToPiece(ids[last])).toBe('.');
    const first = ids.indexOf(ben);
    expect(last - first).toBe(7); // "seven tokens back"
    const row = tapRow(taps[layerTap(layer, 'attn.probs')], head, last);
    console.log(`layer ${layer}, head ${head}: ${(100 * row[first]).toFixed(1)}% on "Ben"`);
    expect(row[first]).toBeGreaterThan(0.9); // "nearly all of its attention"
    expect(topPrediction(logits, last).id).toBe(ben);
  });
});

describe('the step-through widget recomputes the engine', () => {
  let chapter: ChapterModel;
  beforeAll(async () => {
    await useBackend('cpu');
    chapter = loadChapterModel();
  });
  afterAll(() => chapter?.model.dispose());

  test('q.k/sqrt(d), the mask and the softmax from the q/k/v taps equal the scores and probs taps', async () => {
    const { model, tokenizer } = chapter;
    const config = model.config;
    const ids = tokenizer.encode('Lily saw a cat. Lily said hi.', { bos: true });
    const layer = config.num_hidden_layers - 1;
    const names = ['attn.q_rotated', 'attn.k_rotated', 'attn.v', 'attn.scores', 'attn.probs'] as const;
    const { taps } = await model.run([ids], { taps: names.map((name) => layerTap(layer, name)) });
    const tap = (name: (typeof names)[number]) => taps[layerTap(layer, name)];
    const heads = config.num_attention_heads;
    const kvHeads = config.num_key_value_heads;
    let largestGap = 0;
    for (let head = 0; head < heads; head++) {
      const kv = kvHeadOf(head, heads, kvHeads);
      const keys = tapHead(tap('attn.k_rotated'), kv);
      const values = tapHead(tap('attn.v'), kv);
      for (const query of [0, 3, ids.length - 1]) {
        const step = attendOne(tapRow(tap('attn.q_rotated'), head, query), keys, values, query);
        const engineScores = tapRow(tap('attn.scores'), head, query);
        const engineProbs = tapRow(tap('attn.probs'), head, query);
        for (let key = 0; key < ids.length; key++) {
          if (key > query) {
            expect(engineScores[key]).toBe(-Infinity);
            expect(engineProbs[key]).toBe(0);
            expect(step.probs[key]).toBe(0);
          } else {
            largestGap = Math.max(largestGap, Math.abs(step.masked[key] - engineScores[key]), Math.abs(step.probs[key] - engineProbs[key]));
          }
        }
        expect(engineProbs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
    }
    expect(largestGap).toBeLessThan(1e-4);
  });

  test('tokenLosses and topPrediction read the logits as -ln softmax', async () => {
    const { model, tokenizer } = chapter;
    const ids = tokenizer.encode('One day', { bos: true });
    const { logits } = await model.run([ids]);
    const vocab = logits.shape[2];
    const losses = tokenLosses(logits, ids);
    expect(losses).toHaveLength(ids.length - 1);
    const row = Array.from(logits.data.subarray(0, vocab));
    expect(losses[0]).toBeCloseTo(-Math.log(softmax(row)[ids[1]]), 4);
    const top = topPrediction(logits, 0);
    expect(top.id).toBe(argmax(row));
    expect(top.probability).toBeCloseTo(Math.max(...softmax(row)), 5);
  });
});
