// The answers of the exercises of chapters 1 to 11 (src/exercises/<chapter-id>.ts), each checked
// against the maths of its chapter or the engine, computed here independently in float64 where the
// maths is short. A chapter's facts about the shipped model come from its own tested constants
// (SHIPPED_HEAD_FACTS and the like, asserted on the weights by that chapter's tests).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/llama/config';
import type { ChoiceExercise, Exercise, NumericExercise, WidgetExercise } from '../../src/exercises/types';
import { exercisesFor } from '../../src/exercises/catalog';

function exercise<Kind extends Exercise['kind']>(chapterId: string, id: string, kind: Kind): Extract<Exercise, { kind: Kind }> {
  const found = exercisesFor(chapterId).find((candidate) => candidate.id === id);
  if (!found) throw new Error(`${chapterId} has no exercise "${id}"`);
  if (found.kind !== kind) throw new Error(`${chapterId} "${id}" is a ${found.kind}, not a ${kind}`);
  return found as Extract<Exercise, { kind: Kind }>;
}
const choice = (chapterId: string, id: string): ChoiceExercise => exercise(chapterId, id, 'choice');
const numeric = (chapterId: string, id: string): NumericExercise => exercise(chapterId, id, 'numeric');
const widget = (chapterId: string, id: string): WidgetExercise => exercise(chapterId, id, 'widget');

/** float64 softmax, written out. */
function softmax(logits: readonly number[]): number[] {
  const largest = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - largest));
  const total = exps.reduce((sum, e) => sum + e, 0);
  return exps.map((e) => e / total);
}

describe('01-how-to-read', async () => {
  const { EXAMPLE_LOGITS, schema } = await import('../../components/SoftmaxTemperature');
  const logits = EXAMPLE_LOGITS.map((token) => token.logit);
  const at = (temperature: number) => softmax(logits.map((z) => z / temperature));
  const moon = EXAMPLE_LOGITS.findIndex((token) => token.label === 'moon');
  const mat = EXAMPLE_LOGITS.findIndex((token) => token.label === 'mat');

  test('hotter-moon: p(moon) rises from T = 1 to T = 3 (0.011 to 0.076)', () => {
    const question = choice('01-how-to-read', 'hotter-moon');
    expect(at(1)[moon]).toBeCloseTo(0.0113, 4);
    expect(at(3)[moon]).toBeCloseTo(0.076, 3);
    expect(at(1)[mat]).toBeCloseTo(0.458, 3);
    expect(at(3)[mat]).toBeCloseTo(0.261, 3);
    expect(question.choices[question.answer]).toBe('It rises');
    expect(question.run?.state.temperature).toBe(3);
  });

  test('mat-at-one: softmax(z)[mat] = 0.458', () => {
    const question = numeric('01-how-to-read', 'mat-at-one');
    expect(Math.abs(at(1)[mat] - question.answer)).toBeLessThanOrEqual(question.tolerance / 2);
    expect(question.prompt).toContain(`$z = (${logits.map((z) => z.toFixed(1)).join(', ')})$`);
  });

  test('mat-majority: every slider step up to T = 0.6 gives p(mat) > 0.6, every step above does not', () => {
    const question = widget('01-how-to-read', 'mat-majority');
    const step = 0.05; // the slider's step (components/SoftmaxTemperature.ts)
    const steps = Array.from({ length: Math.round((schema.temperature.max - schema.temperature.min) / step) + 1 }, (_, i) => schema.temperature.min + i * step);
    for (const temperature of steps) {
      const meets = temperature <= (question.goal.temperature as { max: number }).max + 1e-9;
      expect(at(temperature)[mat] > 0.6, `T = ${temperature}`).toBe(meets);
    }
    expect(at(0.6)[mat]).toBeCloseTo(0.623, 3);
    expect(at(0.65)[mat]).toBeCloseTo(0.595, 3);
  });
});

describe('02-attention', async () => {
  const { SHIPPED_HEAD_FACTS, NAME_HEAD_PROMPT } = await import('../../src/chapters/attention');
  const { MASK_PROMPT } = await import('../../src/chapters/attentionMask');
  const mask = await import('../../components/AttentionMask');
  const heatmap = await import('../../components/AttentionHeatmap');
  const config = shippedConfig();

  test('mask-off-loss: on the mask figure’s prompt the loss falls without the mask (measured by attention-chapter.test.ts)', () => {
    const question = choice('02-attention', 'mask-off-loss');
    const { noMask } = SHIPPED_HEAD_FACTS;
    expect(mask.schema.prompt.default).toBe(MASK_PROMPT);
    expect(question.prompt).toContain(`"${MASK_PROMPT}"`);
    expect(noMask.promptLoss.none).toBeLessThan(noMask.promptLoss.causal);
    expect(question.choices[question.answer]).toBe('It falls');
    for (const stated of [noMask.promptLoss.causal, noMask.promptLoss.none, noMask.promptProbability.causal, noMask.promptProbability.none, noMask.loss.causal, noMask.loss.none]) {
      expect(question.explanation).toContain(String(stated));
    }
  });

  test('score-scale: sqrt(128 / 4) = 5.66, from the shipped config', () => {
    const question = numeric('02-attention', 'score-scale');
    expect(config.hidden_size).toBe(128);
    expect(config.num_attention_heads).toBe(4);
    expect(Math.abs(Math.sqrt(config.hidden_size / config.num_attention_heads) - question.answer)).toBeLessThanOrEqual(question.tolerance);
  });

  test('previous-token-head: the goal is the head SHIPPED_HEAD_FACTS names, on the heatmap’s own prompt', () => {
    const question = widget('02-attention', 'previous-token-head');
    expect(question.goal).toEqual({ layer: SHIPPED_HEAD_FACTS.previousToken.layer, head: SHIPPED_HEAD_FACTS.previousToken.head });
    expect(heatmap.schema.prompt.default).toBe(NAME_HEAD_PROMPT);
    expect(question.explanation).toContain(`(${SHIPPED_HEAD_FACTS.previousToken.score} on average, ${SHIPPED_HEAD_FACTS.previousTokenOnPrompt.score} on this prompt)`);
  });
});

describe('03-rope', async () => {
  const { applyRope, pairPeriod } = await import('../../src/chapters/rope');
  const { createRandom } = await import('../../src/llama/rng');
  const config = shippedConfig();
  const headDim = config.hidden_size / config.num_attention_heads;
  /** float64 dot product of q rotated to m and k rotated to n. */
  const score = (q: number[], k: number[], m: number, n: number) => {
    const rq = applyRope(q, m, config.rope_theta);
    const rk = applyRope(k, n, config.rope_theta);
    return rq.reduce((sum, value, i) => sum + value * rk[i], 0);
  };

  test('shift-both: moving both by 100 or by 500 gives the same score', () => {
    const question = choice('03-rope', 'shift-both');
    const random = createRandom(3);
    const q = Array.from({ length: headDim }, () => random() * 2 - 1);
    const k = Array.from({ length: headDim }, () => random() * 2 - 1);
    const [m, n] = [7, 4];
    expect(score(q, k, m + 500, n + 500)).toBeCloseTo(score(q, k, m + 100, n + 100), 9);
    expect(score(q, k, m + 500, n + 500)).toBeCloseTo(score(q, k, m, n), 9);
    expect(Math.abs(score(q, k, m + 1, n) - score(q, k, m, n))).toBeGreaterThan(1e-3); // the distance does matter
    expect(question.choices[question.answer]).toBe('It stays the same, up to rounding');
  });

  test('slowest-period: 2 pi / theta_15 = 35,333 positions for d = 32, b = 10000', () => {
    const question = numeric('03-rope', 'slowest-period');
    expect(headDim).toBe(32);
    expect(config.rope_theta).toBe(10000);
    const period = pairPeriod(headDim / 2 - 1, headDim, config.rope_theta);
    expect(period).toBeCloseTo(2 * Math.PI * 10000 ** (30 / 32), 6);
    expect(Math.abs(period - question.answer)).toBeLessThanOrEqual(1);
  });

  test('fast-base: every base the slider gives meets the goal exactly when the slowest pair turns within 1,000 positions', async () => {
    const question = widget('03-rope', 'fast-base');
    const { schema } = await import('../../components/RopeRotation');
    const max = (question.goal.base as { max: number }).max;
    // the slider holds log10(base) from 2 to 6 in steps of 0.05 and writes the base to 3 digits
    for (let step = 0; step <= 80; step++) {
      const base = Number((10 ** (2 + step * 0.05)).toPrecision(3));
      expect(base).toBeGreaterThanOrEqual(schema.base.min);
      expect(pairPeriod(headDim / 2 - 1, headDim, base) <= 1000, `base ${base}`).toBe(base <= max);
    }
    expect(Math.round(pairPeriod(15, 32, 200))).toBe(902);
    expect(Math.round(pairPeriod(15, 32, 224))).toBe(1004);
  });
});

describe('04-padding-side', async () => {
  const { padBatch, logitsSources, positionIdsFromMask } = await import('../../src/chapters/padding');
  const prompts = (lengths: number[]) => lengths.map((length, row) => Array.from({ length }, (_, i) => 10 + row * 20 + i));

  test('right-pad-read: with right padding the short row’s read column is a pad', () => {
    const question = choice('04-padding-side', 'right-pad-read');
    const { attentionMask } = padBatch(prompts([3, 7]), 'right', 0);
    const [short, long] = logitsSources(attentionMask);
    expect(attentionMask[0][short.readColumn]).toBe(0);
    expect(short.correct).toBe(false);
    expect(long.correct).toBe(true);
    expect(question.choices[question.answer]).toBe('A pad token');
  });

  test('pad-count: prompts of 4, 2 and 9 tokens hold 12 pads', () => {
    const question = numeric('04-padding-side', 'pad-count');
    for (const side of ['left', 'right'] as const) {
      const { attentionMask } = padBatch(prompts([4, 2, 9]), side, 0);
      expect(attentionMask.flat().filter((m) => m === 0).length).toBe(question.answer);
    }
  });

  test('fix-the-batch: left padding reads every row’s own last token, and positions start at 0 in every row; right padding does not', () => {
    const question = widget('04-padding-side', 'fix-the-batch');
    const left = padBatch(prompts([4, 2, 9]), question.goal.side as 'left', 0).attentionMask;
    expect(logitsSources(left).every((source) => source.correct)).toBe(true);
    const positions = positionIdsFromMask(left);
    left.forEach((row, r) => expect(positions[r][row.indexOf(1)]).toBe(0));
    const right = padBatch(prompts([4, 2, 9]), question.start!.side as 'right', 0).attentionMask;
    expect(logitsSources(right).every((source) => source.correct)).toBe(false);
    expect(question.goal).toMatchObject({ mask: true, positions: true });
  });
});

describe('05-eval-and-dropout', async () => {
  const { dropoutDraw } = await import('../../src/chapters/dropout');
  const x = [0.5, -1, 2, 3];

  test('eval-runs: the engine in eval mode gives identical logits whatever the rate and seed; train mode does not', async () => {
    const question = choice('05-eval-and-dropout', 'eval-runs');
    const { allRunsIdentical } = await import('../../src/chapters/dropout');
    const { useBackend } = await import('./helpers/backends');
    const { loadChapterModel } = await import('./helpers/chapter-model');
    await useBackend('wasm');
    const { model, tokenizer } = loadChapterModel();
    try {
      const ids = [tokenizer.encode('Once upon a time, there was a little')];
      const p = question.run!.state.p as number;
      const evalRuns = [1, 2, 3].map((seed) => model.run(ids, { training: false, dropoutRate: p, seed }));
      const trainRuns = [1, 2].map((seed) => model.run(ids, { training: true, dropoutRate: p, seed }));
      const [e1, e2, e3, t1, t2] = await Promise.all([...evalRuns, ...trainRuns]);
      expect(allRunsIdentical([e1.logits.data, e2.logits.data, e3.logits.data])).toBe(true);
      expect(allRunsIdentical([t1.logits.data, t2.logits.data])).toBe(false);
    } finally {
      model.dispose();
    }
    expect(question.choices[question.answer]).toBe('One: all ten are identical');
    expect(question.run!.state.mode).toBe('eval');
  });

  test('kept-scale: p = 0.2 scales a kept value by 1.25', () => {
    const question = numeric('05-eval-and-dropout', 'kept-scale');
    const keptAll = dropoutDraw(x, 0.2, () => 0.99);
    keptAll.output.forEach((value, i) => expect(value / x[i]).toBeCloseTo(question.answer, 12));
  });

  test('double-kept: p = 0.5 doubles every kept value; the slider (steps of 0.05) reaches it', () => {
    const question = widget('05-eval-and-dropout', 'double-kept');
    const p = question.goal.p as number;
    dropoutDraw(x, p, () => 0.99).output.forEach((value, i) => expect(value).toBe(2 * x[i]));
    expect(Number.isInteger(Math.round(p / 0.05)) && Math.abs(p / 0.05 - Math.round(p / 0.05)) < 1e-9).toBe(true);
  });
});

describe('06-swish-silu-swiglu', async () => {
  const { ACTIVATION_SWAP_LOSS, lossChangeFromSilu, silu, siluMinimum } = await import('../../src/chapters/activations');

  test('relu-swap: ReLU changes the loss by under 1% (measured on the weights by activations-chapter.test.ts)', () => {
    const question = choice('06-swish-silu-swiglu', 'relu-swap');
    const change = (ACTIVATION_SWAP_LOSS.relu - ACTIVATION_SWAP_LOSS.silu) / ACTIVATION_SWAP_LOSS.silu;
    expect(Math.abs(change)).toBeLessThan(0.01);
    expect(lossChangeFromSilu('relu')).toBeCloseTo(change, 12);
    expect(question.choices[question.answer]).toBe('By under 1%');
    expect(question.explanation).toContain(`from ${ACTIVATION_SWAP_LOSS.silu.toFixed(4)} to ${ACTIVATION_SWAP_LOSS.relu} nats, ${(change * 100).toFixed(1)}% more`);
    expect(question.explanation).toContain(`${ACTIVATION_SWAP_LOSS.linear}, ${Math.round((ACTIVATION_SWAP_LOSS.linear / ACTIVATION_SWAP_LOSS.silu - 1) * 100)}% more`);
  });

  test('silu-minimum: x* = -1.2785', () => {
    const question = numeric('06-swish-silu-swiglu', 'silu-minimum');
    const { x, value } = siluMinimum();
    expect(Math.abs(x - question.answer)).toBeLessThanOrEqual(question.tolerance);
    expect(value).toBeCloseTo(x + 1, 12);
    // independent check: silu is lowest there on a fine grid
    let lowest = Infinity;
    let at = 0;
    for (let t = -3; t <= 0; t += 1e-4) if (t * (1 / (1 + Math.exp(-t))) < lowest) (lowest = t / (1 + Math.exp(-t))), (at = t);
    expect(at).toBeCloseTo(x, 3);
  });

  test('read-the-dip: the goal range holds x* and SiLU is within 0.002 of its minimum across it', () => {
    const question = widget('06-swish-silu-swiglu', 'read-the-dip');
    const range = question.goal.x as { min: number; max: number };
    const { x, value } = siluMinimum();
    expect(x).toBeGreaterThan(range.min);
    expect(x).toBeLessThan(range.max);
    expect(range.max - range.min).toBeCloseTo(0.1, 9);
    for (const edge of [range.min, range.max]) expect(silu(edge) - value).toBeLessThan(0.002);
    expect(question.goal.beta).toBe(1);
  });
});

describe('07-decoding', async () => {
  const { applyTemperature } = await import('../../src/llama/sampling');
  const { stageLogits } = await import('../../src/chapters/decoding');
  const { createRandom } = await import('../../src/llama/rng');
  const argmax = (values: ArrayLike<number>) => Array.from(values).reduce((best, value, i, all) => (value > all[best] ? i : best), 0);

  test('cold-argmax: no temperature moves the top token (1,000 random logit vectors)', () => {
    const question = choice('07-decoding', 'cold-argmax');
    const random = createRandom(11);
    for (let trial = 0; trial < 1000; trial++) {
      const logits = Float32Array.from({ length: 50 }, () => random() * 20 - 10);
      for (const temperature of [0.1, 0.3, 0.7, 1.5, 2]) expect(argmax(applyTemperature(logits, temperature))).toBe(argmax(logits));
    }
    expect(question.answer).toBe(0);
  });

  test('top-k-renormalise: top-k 2 of (0.5, 0.2, 0.15, 0.1, 0.05) gives the first 5/7', () => {
    const question = numeric('07-decoding', 'top-k-renormalise');
    const staged = stageLogits(Float32Array.from([0.5, 0.2, 0.15, 0.1, 0.05].map(Math.log)), [], { topK: 2 });
    expect(Math.abs(staged.probabilities[0] - question.answer)).toBeLessThanOrEqual(question.tolerance);
    expect(5 / 7).toBeCloseTo(question.answer, 3);
  });

  test('greedy-by-top-k: top-k 1 at temperature 1 keeps exactly the token greedy decoding picks', () => {
    const question = widget('07-decoding', 'greedy-by-top-k');
    const random = createRandom(12);
    for (let trial = 0; trial < 100; trial++) {
      const logits = Float32Array.from({ length: 40 }, () => random() * 10);
      const topK = stageLogits(logits, [], { topK: question.goal.topK as number, temperature: question.goal.temperature as number });
      const greedy = stageLogits(logits, [], { temperature: 0 });
      expect(Array.from(topK.probabilities)).toEqual(Array.from(greedy.probabilities));
      expect(topK.probabilities[argmax(logits)]).toBe(1);
    }
  });
});

describe('08-tokens', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { Tokenizer } = await import('../../src/llama/tokenizer');
  const { tokenView, findPiece } = await import('../../src/chapters/tokens');
  const { countParameters } = await import('../../src/chapters/anatomy');
  const { SHIPPED_MODEL_DIR } = await import('./helpers/chapter-model');
  const ours = Tokenizer.fromJSON(JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, 'tokenizer.json'), 'utf8')));
  const pieces = Array.from({ length: ours.vocabSize }, (_, id) => ours.idToPiece(id));

  test('missing-character: 猫 has no piece and costs its three UTF-8 bytes', () => {
    const question = choice('08-tokens', 'missing-character');
    expect(findPiece(pieces, '猫')).toBeUndefined();
    const tokens = tokenView(ours, question.run!.state.text as string);
    const bytes = tokens.filter((token) => token.kind === 'byte');
    expect(bytes.map((token) => ours.byteOf(token.id))).toEqual([...new TextEncoder().encode('猫')]);
    expect(bytes).toHaveLength(3);
    expect(tokens.some((token) => token.kind === 'special')).toBe(false);
    expect(question.choices[question.answer]).toBe('Three, one per UTF-8 byte');
  });

  test('vocabulary-share: 2Vd is 37.6% of the shipped config’s parameters', () => {
    const question = numeric('08-tokens', 'vocabulary-share');
    const config = shippedConfig();
    const count = countParameters(config);
    expect(count.total).toBe(1_182_592);
    const share = ((2 * config.vocab_size * config.hidden_size) / count.total) * 100;
    expect(count.embedding + count.output).toBe(2 * config.vocab_size * config.hidden_size);
    expect(Math.abs(share - question.answer)).toBeLessThanOrEqual(question.tolerance);
  });

  test('byte-row: <0x41> is the byte token of "A", and "A" has a piece, so byte fallback never writes it', () => {
    const question = widget('08-tokens', 'byte-row');
    const id = findPiece(pieces, question.goal.token as string)!;
    expect(ours.isByteToken(id)).toBe(true);
    expect(ours.byteOf(id)).toBe('A'.charCodeAt(0));
    expect(findPiece(pieces, 'A')).toBeDefined();
    for (const text of ['A', 'A big dog. A cat.', 'ABBA', 'Anna and Alex']) expect(ours.encode(text, { bos: false })).not.toContain(id);
  });
});

describe('09-anatomy', async () => {
  const { countParameters, configProblem, PARAMETER_PRESETS } = await import('../../src/chapters/anatomy');
  const llama7b = PARAMETER_PRESETS.find((preset) => preset.id === 'llama-2-7b')!.config;

  test('where-7b-lives: the MLPs hold 4.33 billion (64%), the two tables 0.26 billion (4%)', () => {
    const question = choice('09-anatomy', 'where-7b-lives');
    const count = countParameters(llama7b);
    expect(count.total).toBe(6_738_415_616);
    expect((count.mlp / 1e9).toFixed(2)).toBe('4.33');
    expect(((count.embedding + count.output) / 1e9).toFixed(2)).toBe('0.26');
    expect(Math.round((count.mlp / count.total) * 100)).toBe(64);
    expect(Math.round(((count.embedding + count.output) / count.total) * 100)).toBe(4);
    expect(question.choices[question.answer]).toBe('The MLPs, by far');
    const ours = countParameters(shippedConfig());
    expect(Math.round(((ours.embedding + ours.output) / ours.total) * 100)).toBe(38);
    expect(Math.round((ours.mlp / ours.total) * 100)).toBe(46);
    expect(question.explanation).toContain('In our tiny model the tables hold 38% and the MLPs 46%.');
  });

  test('our-parameters: 1,182,592, with the per-layer terms the explanation gives', () => {
    const question = numeric('09-anatomy', 'our-parameters');
    const count = countParameters(shippedConfig());
    expect(count.total).toBe(question.answer);
    expect(count.perLayer).toBe(184_576);
    expect([2 * 128 * 4 * 32, 2 * 128 * 2 * 32, 3 * 128 * 352, 2 * 128]).toEqual([32_768, 16_384, 135_168, 256]);
  });

  test('gqa-for-7b: 24 KV heads is the most that goes under 6.5 billion; 16 is the first that divides 32 heads', () => {
    const question = widget('09-anatomy', 'gqa-for-7b');
    const withKv = (kv: number) => countParameters({ ...llama7b, num_key_value_heads: kv }).total;
    const max = (question.goal.kvHeads as { max: number }).max;
    expect(withKv(max)).toBeLessThan(6.5e9);
    expect(withKv(max + 1)).toBeGreaterThanOrEqual(6.5e9);
    expect((withKv(24) / 1e9).toFixed(2)).toBe('6.47');
    expect((withKv(25) / 1e9).toFixed(2)).toBe('6.50');
    expect((withKv(16) / 1e9).toFixed(2)).toBe('6.20');
    expect(withKv(31) - withKv(32)).toBe(-2 * 4096 * 128 * 32);
    const fields = (kv: number) => ({ hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: kv, intermediate_size: 11008, vocab_size: 32000 });
    const valid = Array.from({ length: 32 }, (_, i) => i + 1).filter((kv) => configProblem(fields(kv)) === null);
    expect(valid.filter((kv) => kv <= max).at(-1)).toBe(16);
    expect(question.goal).toMatchObject({ hidden: 4096, layers: 32, heads: 32, mlp: 11008, vocab: 32000, tied: false });
  });
});

describe('10-generate-kv-cache', async () => {
  const { attentionPairs, kvBytesPerToken, kvShapeOf } = await import('../../src/chapters/kvcache');
  const { kvHeadOf } = await import('../../src/chapters/attention');

  test('cache-work: 946 pairs with the cache, 14,180 without, 15 times as many', () => {
    const question = choice('10-generate-kv-cache', 'cache-work');
    const { withCache, recompute } = attentionPairs(4, 40);
    // independent count: step t (0 = the prefill) sees 4 + t tokens
    let cached = (4 * 5) / 2;
    let again = cached;
    for (let t = 1; t < 40; t++) (cached += 4 + t), (again += ((4 + t) * (5 + t)) / 2);
    expect([withCache, recompute]).toEqual([cached, again]);
    expect([withCache, recompute]).toEqual([946, 14_180]);
    expect(Math.round(recompute / withCache)).toBe(15);
    expect(question.choices[question.answer]).toBe('About 15 times as much');
  });

  test('bytes-per-token: 2 x 4 x 2 x 32 x 4 = 2,048 for the shipped config', () => {
    const question = numeric('10-generate-kv-cache', 'bytes-per-token');
    expect(kvBytesPerToken(kvShapeOf(shippedConfig()), 4)).toBe(question.answer);
  });

  test('shared-head: query head 3 reads KV head 1 (and 0 and 1 read KV head 0)', () => {
    const question = widget('10-generate-kv-cache', 'shared-head');
    const config = shippedConfig();
    const kv = (head: number) => kvHeadOf(head, config.num_attention_heads, config.num_key_value_heads);
    expect([0, 1, 2, 3].map(kv)).toEqual([0, 0, 1, 1]);
    expect(question.goal.head).toBe(kv(3));
  });
});

describe('11-flops', async () => {
  const { decodeIntensity, ridgePoint, DEVICE_PEAKS, matmulFlops, trainingFlops, trainingSeconds, TRAINING_RUNS } = await import('../../src/chapters/flops');
  const calculator = await import('../../components/FlopsTrainingCalculator');

  test('decode-bound: about 0.5 FLOP per byte, below the A100’s ridge in float32 (9.6) and bf16 (153)', () => {
    const question = choice('11-flops', 'decode-bound');
    const intensity = decodeIntensity(shippedConfig(), 16);
    expect(intensity).toBeCloseTo(0.5, 1);
    const a100 = DEVICE_PEAKS.find((device) => device.name.startsWith('NVIDIA A100'))!;
    expect(ridgePoint({ peak: a100.fp32, bandwidth: a100.bandwidth })).toBeCloseTo(9.56, 2);
    expect(ridgePoint({ peak: a100.bf16, bandwidth: a100.bandwidth })).toBeCloseTo(153, 0);
    expect(intensity).toBeLessThan(ridgePoint({ peak: a100.fp32, bandwidth: a100.bandwidth }));
    expect((0.5 * a100.bandwidth) / 1e12).toBeCloseTo(1, 1);
    expect(question.choices[question.answer]).toMatch(/^Memory bandwidth/);
  });

  test('one-projection: 2 x 1 x 128 x 352 = 90,112', () => {
    const question = numeric('11-flops', 'one-projection');
    const config = shippedConfig();
    expect(matmulFlops(1, config.hidden_size, config.intermediate_size)).toBe(question.answer);
  });

  test('a-month: 250 devices is the fewest that trains the calculator’s Llama 2 7B in under 30 days', () => {
    const question = widget('11-flops', 'a-month');
    const { schema } = calculator;
    const goal = question.goal as Record<string, number | { min: number }>;
    expect([schema.parameters.default, schema.tokens.default, schema.peak.default, schema.mfu.default]).toEqual([goal.parameters, goal.tokens, goal.peak, goal.mfu]);
    expect(TRAINING_RUNS[0].name).toBe('Llama 2 7B');
    const days = (devices: number) =>
      trainingSeconds({ flops: trainingFlops((goal.parameters as number) * 1e9, (goal.tokens as number) * 1e9), devices, peak: (goal.peak as number) * 1e12, mfu: (goal.mfu as number) / 100 }) / 86_400;
    const min = (goal.devices as { min: number }).min;
    expect(days(min)).toBeLessThan(30);
    expect(days(min - 1)).toBeGreaterThan(30);
    expect(days(question.start!.devices as number)).toBeGreaterThan(30);
  });
});

function shippedConfig() {
  const json = JSON.parse(readFileSync(new URL('../../public/models/glass-llama/config.json', import.meta.url), 'utf8'));
  return parseConfig(json);
}
