// The attention chapter's arithmetic (src/chapters/attention.ts) against the engine's taps, and
// every number the chapter states about the shipped model's heads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  attendOne,
  argmax,
  evenShare,
  firstTokenScore,
  kvCacheWidth,
  kvHeadOf,
  meanLargestWeight,
  NAME_HEAD_PROMPT,
  nextTokenScore,
  previousTokenScore,
  queriesPerKvHead,
  SHIPPED_ATTENTION,
  SHIPPED_HEAD_FACTS,
  softmax,
  tapHead,
  tapRow,
  tokenLosses,
  topPrediction,
} from '../../src/chapters/attention';
import { comparePredictions, MASK_PROMPT, maskFor, meanLosses, type PositionComparison } from '../../src/chapters/attentionMask';
import { headDim } from '../../src/llama/config';
import { LlamaModel } from '../../src/llama/model';
import { createRandom, randomNormal } from '../../src/llama/rng';
import { layerTap } from '../../src/llama/taps';
import { DEFAULT_OPTIONS, modelConfig } from '../../scripts/train';
import { BOY_NAMES, GIRL_NAMES } from '../../scripts/corpus/words';
import { nameRecall } from '../../scripts/eval';
import { readModelFiles } from '../../scripts/load-model';
import type { WeightMap } from '../../src/llama/weights';
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
    expect(meanLargestWeight(previousTokenHead)).toBe(1);
  });
  test('evenShare: a head spreading evenly gives the previous token 1/2, 1/3, ... of its attention', () => {
    expect(evenShare(3)).toBeCloseTo((1 / 2 + 1 / 3) / 2, 15);
    expect(evenShare(1)).toBe(0);
    const even = [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]];
    expect(previousTokenScore(even)).toBeCloseTo(evenShare(3), 15);
    expect(firstTokenScore(even)).toBeCloseTo(evenShare(3), 15);
  });
  test('nextTokenScore reads the weight on key i + 1 (only non-zero without the causal mask)', () => {
    expect(nextTokenScore([[0.5, 0.5, 0], [0, 0.25, 0.75], [0, 0, 1]])).toBe((0.5 + 0.75) / 2);
    expect(nextTokenScore(previousTokenHead)).toBe(0);
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

/**
 * What the chapter says about the shipped model's heads, recomputed on its weights over the 16
 * held-out stories of public/data/validation-sample.json (SHIPPED_HEAD_FACTS holds the numbers the
 * prose prints; each is asserted to the digits printed).
 */
describe('the shipped model\'s heads, as the chapter describes them', () => {
  const facts = SHIPPED_HEAD_FACTS;
  const stories: string[] = JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, '..', '..', 'data', 'validation-sample.json'), 'utf8')).texts;
  const pool = [...GIRL_NAMES, ...BOY_NAMES];
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  let chapter: ChapterModel;
  let files: ReturnType<typeof readModelFiles>;
  beforeAll(async () => {
    await useBackend('wasm');
    chapter = loadChapterModel();
    files = readModelFiles(SHIPPED_MODEL_DIR);
  });
  afterAll(() => chapter?.model.dispose());

  const layers = SHIPPED_ATTENTION.layers;
  const heads = SHIPPED_ATTENTION.heads;
  const probTaps = Array.from({ length: layers }, (_, layer) => layerTap(layer, 'attn.probs'));
  /** summary(head probs) for every head, [layer][head], on one text (optionally with a query-key mask). */
  async function perHead(model: LlamaModel, ids: number[], summary: (probs: number[][]) => number, queryKeyMask?: number[][]) {
    const { taps } = await model.run([ids], { taps: probTaps, ...(queryKeyMask ? { queryKeyMask } : {}) });
    return probTaps.map((tap) => Array.from({ length: heads }, (_, head) => summary(tapHead(taps[tap], head))));
  }
  /** Mean over the stories of summary, for every head; and the strongest head. */
  async function overStories(summary: (probs: number[][]) => number, masked = false) {
    const totals = probTaps.map(() => new Array<number>(heads).fill(0));
    for (const story of stories) {
      const ids = chapter.tokenizer.encode(story, { bos: true });
      const values = await perHead(chapter.model, ids, summary, masked ? maskFor('none', ids.length, []) : undefined);
      values.forEach((row, layer) => row.forEach((v, head) => (totals[layer][head] += v / stories.length)));
    }
    return { values: totals, ...strongest(totals) };
  }
  function strongest(values: number[][]) {
    let best = { layer: 0, head: 0, score: -1 };
    values.forEach((row, layer) => row.forEach((score, head) => score > best.score && (best = { layer, head, score })));
    return best;
  }
  const round2 = (x: number) => Math.round(x * 100) / 100;

  test('no previous-token head: the best scores 12% over the stories (27% on the opening prompt); evenly would be 4%', async () => {
    const stats = await overStories(previousTokenScore);
    expect({ layer: stats.layer, head: stats.head, score: round2(stats.score) }).toEqual(facts.previousToken);
    const onPrompt = strongest(await perHead(chapter.model, chapter.tokenizer.encode(NAME_HEAD_PROMPT, { bos: true }), previousTokenScore));
    expect({ layer: onPrompt.layer, head: onPrompt.head, score: round2(onPrompt.score) }).toEqual(facts.previousTokenOnPrompt);
    const even = mean(stories.map((story) => evenShare(chapter.tokenizer.encode(story, { bos: true }).length)));
    expect(round2(even)).toBe(facts.evenShare);
    expect(stats.score).toBeLessThan(0.3); // far from a diagonal line
  }, 120_000);

  test('no <s> sink: the most any head puts on <s> is 7%, near the even share; heads spread (largest weight 19-42%)', async () => {
    const sink = await overStories(firstTokenScore);
    expect({ layer: sink.layer, head: sink.head, score: round2(sink.score) }).toEqual(facts.firstToken);
    const sharpness = await overStories(meanLargestWeight);
    const all = sharpness.values.flat();
    expect({ min: round2(Math.min(...all)), max: round2(Math.max(...all)) }).toEqual(facts.largestWeight);
  }, 120_000);

  /** The shipped weights with the listed heads' outputs zeroed: their d input columns of o_proj. */
  function withoutHeads(weights: WeightMap, zeroed: readonly (readonly [number, number])[]): WeightMap {
    const d = SHIPPED_ATTENTION.headDim;
    const out = new Map(weights);
    for (const [layer, head] of zeroed) {
      const name = `model.layers.${layer}.self_attn.o_proj.weight`; // [hidden, heads * d]
      const { shape, data } = out.get(name)!;
      const copy = Float32Array.from(data);
      for (let row = 0; row < shape[0]; row++) copy.fill(0, row * shape[1] + head * d, row * shape[1] + (head + 1) * d);
      out.set(name, { shape, data: copy });
    }
    return out;
  }

  test('zeroing the two name heads: "Ben" is no longer the top guess, no second mention is named right, and the loss rises', async () => {
    const { tokenizer } = chapter;
    const ben = tokenizer.encode('Ben', { bos: false })[0];
    const nameIds = tokenizer.encode(NAME_HEAD_PROMPT, { bos: true });
    const recallStories = stories.map((text) => ({ text, names: pool.filter((name) => new RegExp(`\\b${name}\\b`).test(text)) }));
    async function measure(zeroed: readonly (readonly [number, number])[]) {
      const model = zeroed.length ? LlamaModel.fromWeights(files.config, withoutHeads(files.weights, zeroed)) : chapter.model;
      try {
        const recall = await nameRecall({ model, tokenizer, config: files.config }, recallStories);
        const losses: number[] = [];
        for (const story of stories) {
          const ids = tokenizer.encode(story, { bos: true });
          losses.push(...tokenLosses((await model.run([ids])).logits, ids));
        }
        const { logits } = await model.run([nameIds]);
        const last = Array.from(logits.data.subarray((nameIds.length - 1) * logits.shape[2], nameIds.length * logits.shape[2]));
        return {
          cases: recall.cases.length,
          recalled: recall.cases.filter((c) => c.expectedId === c.predictedId).length,
          namesChosenRight: recall.cases.filter((c) => c.expectedId === c.predictedNameId).length,
          loss: mean(losses),
          ben: softmax(last)[ben],
          top: tokenizer.idToPiece(argmax(last)).replace('\u2581', ''),
        };
      } finally {
        if (model !== chapter.model) model.dispose();
      }
    }
    const { ablation } = facts;
    const intact = await measure([]);
    const without = await measure(ablation.heads);
    const controls = [];
    for (const pair of ablation.controls) controls.push(await measure(pair));
    expect(intact.cases).toBe(ablation.cases);
    expect(intact.recalled).toBe(ablation.recalled.intact);
    expect(intact.top).toBe('Ben');
    expect(round2(intact.ben)).toBe(ablation.benProbability.intact);
    expect(without.recalled).toBe(ablation.recalled.withoutNameHeads);
    expect(without.namesChosenRight).toBe(0); // not even among names alone
    expect(without.top).toBe(ablation.topWithoutNameHeads);
    expect(without.ben).toBeLessThan(ablation.benProbability.withoutNameHeads);
    expect(without.ben).toBeGreaterThan(ablation.benProbability.withoutNameHeads / 10); // "under 0.1%", not far under
    expect(controls.map((c) => c.recalled)).toEqual(ablation.recalled.controls);
    expect(controls.every((c) => c.top === 'Ben')).toBe(true);
    expect(Math.round(intact.loss * 1000) / 1000).toBe(ablation.loss.intact);
    expect(Math.round(without.loss * 1000) / 1000).toBe(ablation.loss.withoutNameHeads);
    expect(controls.map((c) => Math.round(c.loss * 1000) / 1000)).toEqual(ablation.loss.controls);
  }, 300_000);

  test('without the mask: the loss more than doubles over the stories, though it falls on the widget prompt; no head reads the answer', async () => {
    const { model, tokenizer } = chapter;
    const vocab = model.config.vocab_size;
    const rows: PositionComparison[] = [];
    for (const story of stories) {
      const ids = tokenizer.encode(story, { bos: true });
      const open = maskFor('none', ids.length, []);
      rows.push(...comparePredictions((await model.run([ids])).logits.data, (await model.run([ids], { queryKeyMask: open })).logits.data, ids, vocab, open));
    }
    const { noMask } = facts;
    const losses = meanLosses(rows);
    expect(rows.length).toBe(noMask.positions);
    expect(Math.round(losses.causal * 1000) / 1000).toBe(noMask.loss.causal);
    expect(Math.round(losses.masked * 1000) / 1000).toBe(noMask.loss.none);
    const accuracy = (top: (r: (typeof rows)[number]) => number) => Math.round((1000 * rows.filter((r) => top(r) === r.target).length) / rows.length) / 1000;
    expect(accuracy((r) => r.causalTop)).toBe(noMask.accuracy.causal);
    expect(accuracy((r) => r.maskedTop)).toBe(noMask.accuracy.none);
    expect(rows.filter((r) => r.maskedProbability > r.causalProbability).length).toBe(noMask.rose);
    const reads = await overStories(nextTokenScore, true);
    expect(Math.round(reads.score * 1000) / 1000).toBe(noMask.nextTokenScore);

    const ids = tokenizer.encode(MASK_PROMPT, { bos: true });
    const open = maskFor('none', ids.length, []);
    const prompt = comparePredictions((await model.run([ids])).logits.data, (await model.run([ids], { queryKeyMask: open })).logits.data, ids, vocab, open);
    const promptLosses = meanLosses(prompt);
    expect(Math.round(promptLosses.causal * 1000) / 1000).toBe(noMask.promptLoss.causal);
    expect(Math.round(promptLosses.masked * 1000) / 1000).toBe(noMask.promptLoss.none);
    const row = prompt[noMask.promptPosition];
    expect(tokenizer.idToPiece(ids[row.position])).toBe('.');
    expect(tokenizer.idToPiece(row.target)).toBe('\u2581M');
    expect(Math.round(row.causalProbability * 1000) / 1000).toBe(noMask.promptProbability.causal);
    expect(Math.round(row.maskedProbability * 1000) / 1000).toBe(noMask.promptProbability.none);
  }, 300_000);

  test('flipping one mask cell (row 6, column 8) changes row 6 and may change later rows; earlier rows stay exactly as they were', async () => {
    const { model, tokenizer } = chapter;
    const ids = tokenizer.encode(MASK_PROMPT, { bos: true });
    const vocab = model.config.vocab_size;
    const causal = (await model.run([ids])).logits.data;
    const flipped = (await model.run([ids], { queryKeyMask: maskFor('edited', ids.length, [[6, 8]]) })).logits.data;
    const rowGap = (t: number) => Math.max(...Array.from({ length: vocab }, (_, v) => Math.abs(causal[t * vocab + v] - flipped[t * vocab + v])));
    const gaps = ids.map((_, t) => rowGap(t));
    expect(gaps.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(gaps[6]).toBeGreaterThan(1e-3);
    expect(Math.max(...gaps.slice(7))).toBeGreaterThan(1e-3); // the change flows on to later rows
  }, 60_000);

  test('score scale: q.k/sqrt(d) has a spread of 0.05 at init (weights N(0, 0.02^2)) and 1.5 after training, up to 20', async () => {
    const scoreTaps = Array.from({ length: layers }, (_, layer) => layerTap(layer, 'attn.scores'));
    async function spread(model: LlamaModel) {
      let [n, sum, squares, largest] = [0, 0, 0, -Infinity];
      for (const story of stories) {
        const { taps } = await model.run([chapter.tokenizer.encode(story, { bos: true })], { taps: scoreTaps });
        for (const tap of scoreTaps) {
          for (const x of taps[tap].data) {
            if (x === -Infinity) continue; // masked
            [n, sum, squares, largest] = [n + 1, sum + x, squares + x * x, Math.max(largest, x)];
          }
        }
      }
      return { sd: Math.sqrt(squares / n - (sum / n) ** 2), largest };
    }
    const fresh = LlamaModel.init(files.config, 1234, { trainable: false });
    const init = await spread(fresh);
    fresh.dispose();
    const trained = await spread(chapter.model);
    const { scoreSpread } = facts;
    expect(round2(init.sd)).toBe(scoreSpread.init);
    // the raw q.k at init: sqrt(d) * hidden * 0.02^2 for unit-RMS hidden states (q and k of d
    // coordinates, each a sum of `hidden` terms of variance 0.02^2); the division brings it to 0.05
    expect(init.sd * Math.sqrt(SHIPPED_ATTENTION.headDim)).toBeCloseTo(Math.sqrt(SHIPPED_ATTENTION.headDim) * SHIPPED_ATTENTION.hidden * 0.02 ** 2, 1);
    expect(Math.round(trained.sd * 10) / 10).toBe(scoreSpread.trained);
    expect(Math.round(trained.largest)).toBe(scoreSpread.trainedLargest);
  }, 120_000);
});
