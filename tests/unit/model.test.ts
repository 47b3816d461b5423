import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LlamaConfig } from '../../src/llama/config';
import { LlamaModel, positionIdsFromMask, type ActivationSpec } from '../../src/llama/model';
import type { TapName } from '../../src/llama/taps';
import { causalPatternMask, type AttentionPattern } from '../../src/llama/attention';
import { TEST_BACKENDS, useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights, relativeError } from './helpers/random-weights';
import { ReferenceLlama, referenceForward } from '../../src/llama/reference';
import { allTapNames } from '../../src/llama/taps';

interface Case {
  name: string;
  config: LlamaConfig;
  activation?: ActivationSpec;
  attentionPattern?: AttentionPattern;
}

const cases: Case[] = [
  { name: 'GQA, rotate_half', config: tinyConfig() },
  { name: 'GQA, interleaved', config: tinyConfig({ rope_layout: 'interleaved' }) },
  { name: 'MHA, rotate_half, tied', config: tinyConfig({ num_key_value_heads: 4, tie_word_embeddings: true }) },
  { name: 'MHA, interleaved, head_dim 8', config: tinyConfig({ num_key_value_heads: 2, num_attention_heads: 2, rope_layout: 'interleaved' }) },
  { name: 'MQA, linear RoPE scaling, relu', config: tinyConfig({ num_key_value_heads: 1, rope_scaling: { rope_type: 'linear', factor: 4 } }), activation: 'relu' },
  {
    name: 'dynamic NTK past the original context, gelu (erf)',
    config: tinyConfig({ rope_theta: 50, rope_scaling: { rope_type: 'dynamic', factor: 2, original_max_position_embeddings: 4 } }),
    activation: 'gelu',
  },
  { name: 'gelu_tanh from config', config: tinyConfig({ hidden_act: 'gelu_pytorch_tanh' }) },
  { name: 'swish beta 1.7, sparse pattern', config: tinyConfig(), activation: { name: 'swish', beta: 1.7 }, attentionPattern: { slidingWindow: 2, stride: 3, globalTokens: [1] } },
];

// Row 0 is full, row 1 is left-padded (2 pads), row 2 is right-padded (3 pads).
const ids = [
  [3, 17, 8, 30, 1, 22, 9],
  [0, 0, 5, 11, 2, 27, 14],
  [6, 19, 4, 25, 0, 0, 0],
];
const mask = [
  [1, 1, 1, 1, 1, 1, 1],
  [0, 0, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 0, 0, 0],
];
const positions = positionIdsFromMask(mask);

test('positionIdsFromMask follows Hugging Face: cumsum - 1, padding gets 1', () => {
  expect(positions).toEqual([
    [0, 1, 2, 3, 4, 5, 6],
    [1, 1, 0, 1, 2, 3, 4],
    [0, 1, 2, 3, 1, 1, 1],
  ]);
});

for (const backend of TEST_BACKENDS) {
  describe(`forward vs float64 reference on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    for (const c of cases) {
      test(c.name, async () => {
        const weights = randomWeights(c.config, 7);
        const model = LlamaModel.fromWeights(c.config, weights);
        const before = tf.memory().numTensors;
        const { logits, taps } = await model.run(ids, {
          attentionMask: mask,
          positionIds: positions,
          activation: c.activation,
          attentionPattern: c.attentionPattern,
          taps: ['layers.1.attn.probs'],
        });
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
        expect(logits.shape).toEqual([3, 7, 32]);
        const probs = taps['layers.1.attn.probs'];
        expect(probs.shape).toEqual([3, c.config.num_attention_heads, 7, 7]);
        for (let row = 0; row < ids.length; row++) {
          const expected = referenceForward(c.config, weights, ids[row], {
            attentionMask: mask[row],
            positionIds: positions[row],
            activation: c.activation,
            attentionPattern: c.attentionPattern,
            // dynamic NTK takes its length from the whole batch, as Hugging Face does
            ropeSeqLen: Math.max(...positions.flat()) + 1,
          });
          const rowLogits = logits.data.subarray(row * 7 * 32, (row + 1) * 7 * 32);
          expect(relativeError(rowLogits, expected.logits.flatMap((l) => [...l]))).toBeLessThan(1e-4);
          const rowSize = c.config.num_attention_heads * 49;
          const rowProbs = probs.data.subarray(row * rowSize, (row + 1) * rowSize);
          expect(relativeError(rowProbs, expected.probs[1].flat(2))).toBeLessThan(1e-4);
        }
      });
    }
  });
}

for (const backend of TEST_BACKENDS) {
  test(`every tap matches the float64 reference (${backend}, GQA, interleaved, left padding)`, async () => {
    await useBackend(backend);
    const config = tinyConfig({ rope_layout: 'interleaved' });
    const weights = randomWeights(config, 12);
    const model = LlamaModel.fromWeights(config, weights);
    const rows = [ids[0], ids[1]];
    const rowMasks = [mask[0], mask[1]];
    const rowPositions = positionIdsFromMask(rowMasks);
    const { taps } = await model.run(rows, { attentionMask: rowMasks, positionIds: rowPositions, taps: allTapNames(2) });
    model.dispose();
    const seq = 7;
    for (let b = 0; b < 2; b++) {
      // the reference's taps of every position, heads concatenated
      const reference = new ReferenceLlama(config, weights, { ropeSeqLen: 7 });
      const expected = rows[b].map((id, s) => {
        reference.step(id, rowPositions[b][s], rowMasks[b][s] === 1);
        return new Map(reference.lastTaps);
      });
      for (const name of allTapNames(2)) {
        const tap = taps[name];
        const actual: number[] = [];
        const wanted: number[] = [];
        for (let s = 0; s < seq; s++) {
          const values = expected[s].get(name)!;
          wanted.push(...values);
          if (tap.shape.length === 3) {
            const width = tap.shape[2];
            actual.push(...tap.data.subarray((b * seq + s) * width, (b * seq + s + 1) * width));
          } else {
            // [batch, heads, seq, last]: keys up to s for scores/probs, all d for q/k/v
            const [, heads, , last] = tap.shape;
            const take = name.endsWith('scores') || name.endsWith('probs') ? s + 1 : last;
            for (let h = 0; h < heads; h++) {
              const start = ((b * heads + h) * seq + s) * last;
              actual.push(...tap.data.subarray(start, start + take));
            }
          }
        }
        expect(actual.map(Number.isFinite), name).toEqual(wanted.map(Number.isFinite));
        const finite = (x: number[]) => x.map((v) => (Number.isFinite(v) ? v : 0));
        expect(relativeError(finite(actual), finite(wanted)), `${name} row ${b}`).toBeLessThan(1e-4);
      }
    }
  });
}

describe('causalPatternMask', () => {
  // rows: queries, columns: keys; '1' = may attend
  const show = (mask: Float32Array, rows: number, keys: number) =>
    Array.from({ length: rows }, (_, r) => [...mask.subarray(r * keys, (r + 1) * keys)].join(''));

  test('causal only', () => {
    expect(show(causalPatternMask(4, 0), 4, 4)).toEqual(['1000', '1100', '1110', '1111']);
  });

  test('sliding window 2: the key itself and the one before', () => {
    expect(show(causalPatternMask(5, 0, { slidingWindow: 2 }), 5, 5)).toEqual(['10000', '11000', '01100', '00110', '00011']);
  });

  test('stride 2 or window 1, with a global first token', () => {
    expect(show(causalPatternMask(5, 0, { slidingWindow: 1, stride: 2, globalTokens: [0] }), 5, 5)).toEqual([
      '10000',
      '11000',
      '10100',
      '11010',
      '10101',
    ]);
  });

  test('with a cache the queries sit after the cached keys', () => {
    expect(show(causalPatternMask(2, 3, { slidingWindow: 2 }), 2, 5)).toEqual(['00110', '00011']);
  });
});

describe('attention probabilities (cpu)', () => {
  const config = tinyConfig();
  let model: LlamaModel;
  let probs: { shape: number[]; data: Float32Array };
  let scores: { shape: number[]; data: Float32Array };
  beforeAll(async () => {
    await useBackend('cpu');
    model = LlamaModel.fromWeights(config, randomWeights(config, 3));
    const out = await model.run(ids, { attentionMask: mask, positionIds: positions, taps: ['layers.0.attn.probs', 'layers.0.attn.scores'] });
    probs = out.taps['layers.0.attn.probs'];
    scores = out.taps['layers.0.attn.scores'];
  });
  afterAll(() => model.dispose());
  const at = (t: { data: Float32Array }, b: number, h: number, q: number, k: number) => t.data[((b * 4 + h) * 7 + q) * 7 + k];

  test('each row of a real query sums to 1; masked keys get exactly 0', () => {
    for (let b = 0; b < 3; b++) {
      for (let h = 0; h < 4; h++) {
        for (let q = 0; q < 7; q++) {
          let sum = 0;
          for (let k = 0; k < 7; k++) {
            const visible = k <= q && mask[b][k] === 1;
            if (!visible) expect(at(probs, b, h, q, k)).toBe(0);
            if (!visible) expect(at(scores, b, h, q, k)).toBe(-Infinity);
            sum += at(probs, b, h, q, k);
          }
          // a left-padding query sees no real key: its row is empty, not NaN
          if (b === 1 && q < 2) expect(sum).toBe(0);
          else expect(sum).toBeCloseTo(1, 6);
        }
      }
    }
  });

  test('the first real token attends only to itself', () => {
    expect(at(probs, 1, 2, 2, 2)).toBe(1);
    expect(at(probs, 0, 0, 0, 0)).toBe(1);
  });
});

describe('taps and memory (cpu)', () => {
  beforeAll(() => useBackend('cpu'));

  test('asking for no taps keeps nothing; taps have the documented shapes', () => {
    const config = tinyConfig();
    const model = LlamaModel.fromWeights(config, randomWeights(config, 1));
    const input = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    const before = tf.memory().numTensors;
    const plain = model.forward(input);
    expect(plain.taps.size).toBe(0);
    expect(tf.memory().numTensors).toBe(before + 1);
    plain.logits.dispose();
    const tapped = model.forward(input, {
      taps: ['embed', 'layers.0.attn.q', 'layers.0.attn.k_rotated', 'layers.1.attn.scores', 'layers.1.mlp.act', 'layers.1.out', 'final_norm', 'logits'],
    });
    const shapes = Object.fromEntries([...tapped.taps].map(([name, t]) => [name, t.shape]));
    expect(shapes).toEqual({
      embed: [1, 3, 16],
      'layers.0.attn.q': [1, 4, 3, 4],
      'layers.0.attn.k_rotated': [1, 2, 3, 4],
      'layers.1.attn.scores': [1, 4, 3, 3],
      'layers.1.mlp.act': [1, 3, 24],
      'layers.1.out': [1, 3, 16],
      final_norm: [1, 3, 16],
      logits: [1, 3, 32],
    });
    tapped.logits.dispose();
    for (const t of tapped.taps.values()) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => model.forward(input, { taps: ['layers.5.out'] })).toThrow('Unknown tap: received "layers.5.out"');
    input.dispose();
    model.dispose();
  });

  test('a model built inside tf.tidy survives it', async () => {
    const config = tinyConfig();
    const weights = randomWeights(config, 1);
    let model!: LlamaModel;
    tf.tidy(() => {
      model = LlamaModel.fromWeights(config, weights);
    });
    const { logits } = await model.run([[1, 2]]);
    expect(logits.data.every(Number.isFinite)).toBe(true);
    model.dispose();
  });

  test('run() rejects ids outside the vocabulary, naming the id', async () => {
    const config = tinyConfig();
    const model = LlamaModel.fromWeights(config, randomWeights(config, 1));
    await expect(model.run([[1, 32]])).rejects.toThrow('Token id 32 (row 0) is outside the vocabulary [0, 32)');
    model.dispose();
  });
});

describe('dropout (cpu)', () => {
  beforeAll(() => useBackend('cpu'));

  test('only when training; seeded; inverted scaling', async () => {
    const config = tinyConfig();
    const model = LlamaModel.fromWeights(config, randomWeights(config, 2));
    const input = [[4, 5, 6, 7]];
    const evalRun = await model.run(input, { dropoutRate: 0.5, seed: 1 });
    const plain = await model.run(input);
    expect(evalRun.logits.data).toEqual(plain.logits.data);
    const a = await model.run(input, { training: true, dropoutRate: 0.5, seed: 1 });
    const b = await model.run(input, { training: true, dropoutRate: 0.5, seed: 1 });
    const c = await model.run(input, { training: true, dropoutRate: 0.5, seed: 2 });
    expect(a.logits.data).toEqual(b.logits.data);
    expect(a.logits.data).not.toEqual(c.logits.data);
    expect(relativeError(a.logits.data, plain.logits.data)).toBeGreaterThan(0.01);
    // inverted dropout on the residual branch: embed + attn.out becomes embed + (0 or 2 * attn.out)
    const taps: TapName[] = ['embed', 'layers.0.attn.out', 'layers.0.attn_residual'];
    const dropped = await model.run(input, { training: true, dropoutRate: 0.5, attentionDropoutRate: 0, seed: 3, taps });
    const branch = dropped.taps['layers.0.attn.out'].data;
    const added = dropped.taps['layers.0.attn_residual'].data.map((r, i) => r - dropped.taps.embed.data[i]);
    let zeros = 0;
    for (let i = 0; i < branch.length; i++) {
      if (added[i] === 0) zeros++;
      else expect(added[i]).toBeCloseTo(2 * branch[i], 5);
    }
    expect(zeros).toBeGreaterThan(branch.length * 0.3);
    expect(zeros).toBeLessThan(branch.length * 0.7);
    model.dispose();
  });
});

for (const [backend, embeddingLookup] of [
  ['cpu', 'gather'],
  ['wasm', 'onehot'],
] as const) {
  test(`gradients on ${backend} with ${embeddingLookup} embedding match finite differences`, async () => {
    await useBackend(backend);
    const config = tinyConfig();
    const model = LlamaModel.init(config, 11);
    const input = tf.tensor2d([[1, 2, 3, 4, 5]], undefined, 'int32');
    const targets = tf.oneHot(tf.tensor1d([2, 3, 4, 5, 6], 'int32'), config.vocab_size);
    const loss = () =>
      tf.tidy(() => {
        const { logits } = model.forward(input, { embeddingLookup });
        return tf.losses.softmaxCrossEntropy(targets, tf.reshape(logits, [5, config.vocab_size])) as tf.Scalar;
      });
    const { grads, value } = tf.variableGrads(loss);
    value.dispose();
    const name = 'model.embed_tokens.weight';
    const variable = model.params.get(name) as tf.Variable;
    const analytic = grads[variable.name].dataSync();
    const weights = variable.dataSync().slice();
    // central difference on one entry of the embedding row of token 3
    const h = 3e-3;
    let index = 0;
    const lossAt = (delta: number) => {
      const shifted = weights.slice();
      shifted[index] += delta;
      const shiftedTensor = tf.tensor(shifted, variable.shape);
      variable.assign(shiftedTensor);
      shiftedTensor.dispose();
      const l = loss();
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
    for (index of [3 * config.hidden_size + 5, 4 * config.hidden_size + 11]) {
      const numeric = (lossAt(h) - lossAt(-h)) / (2 * h);
      expect(Math.abs(analytic[index])).toBeGreaterThan(1e-3);
      expect(Math.abs(analytic[index] - numeric)).toBeLessThan(0.01 * Math.abs(numeric));
    }
    for (const g of Object.values(grads)) g.dispose();
    input.dispose();
    targets.dispose();
    model.dispose();
  });
}
