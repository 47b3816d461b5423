import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateSet } from '../../scripts/corpus';
import { tokenizeChatPairs } from '../../scripts/train';
import { LlamaModel } from '../../src/llama/model';
import { createRandom } from '../../src/llama/rng';
import { Tokenizer } from '../../src/llama/tokenizer';
import {
  AdamW,
  clipByGlobalNorm,
  isDecayed,
  learningRateAt,
  lossAndGradients,
  maskedCrossEntropy,
  PackedCorpus,
  trainStep,
  type Batch,
} from '../../src/llama/train';
import type { WeightMap } from '../../src/llama/weights';
import { useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { referenceLoss, toyCorpus } from './helpers/training';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('learningRateAt', () => {
  const schedule = { peakLearningRate: 1e-3, warmupSteps: 10, totalSteps: 110, finalFraction: 0.1 };
  test('rises linearly during warmup', () => {
    expect(learningRateAt(0, schedule)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(4, schedule)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(9, schedule)).toBeCloseTo(1e-3, 12);
  });
  test('then follows a cosine from the peak to the floor', () => {
    expect(learningRateAt(10, schedule)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(60, schedule)).toBeCloseTo(1e-4 + 0.9e-3 * 0.5, 12); // halfway: cos(pi/2) = 0
    expect(learningRateAt(110, schedule)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(500, schedule)).toBeCloseTo(1e-4, 12);
  });
});

describe('clipByGlobalNorm', () => {
  test('scales every gradient by maxNorm / ||g|| when the norm is larger', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }; // ||g|| = 5
    const { clipped, globalNorm } = clipByGlobalNorm(grads, 1);
    expect(globalNorm).toBeCloseTo(5, 6);
    expect(Array.from(clipped.a.dataSync())).toEqual([expect.closeTo(0.6, 6), 0]);
    expect(Array.from(clipped.b.dataSync())).toEqual([0, expect.closeTo(0.8, 6)]);
    tf.dispose([...Object.values(grads), ...Object.values(clipped)]);
  });
  test('leaves gradients alone under the threshold', () => {
    const grads = { a: tf.tensor1d([0.3, 0.4]) };
    const { clipped, globalNorm } = clipByGlobalNorm(grads, 1);
    expect(globalNorm).toBeCloseTo(0.5, 6);
    expect(Array.from(clipped.a.dataSync())).toEqual([expect.closeTo(0.3, 6), expect.closeTo(0.4, 6)]);
    tf.dispose([grads.a, clipped.a]);
  });
});

describe('maskedCrossEntropy', () => {
  test('averages -log p(target) over the masked positions only', () => {
    // Row 0: logits [0, ln 3] -> p = [1/4, 3/4]; target 1 counts, target 0 at t=1 is masked out.
    const logits = tf.tensor3d([[[0, Math.log(3)], [5, -5]]]);
    const loss = maskedCrossEntropy(logits, tf.tensor2d([[1, 0]], undefined, 'int32'), tf.tensor2d([[1, 0]]));
    expect(loss.dataSync()[0]).toBeCloseTo(-Math.log(0.75), 5);
    const both = maskedCrossEntropy(logits, tf.tensor2d([[1, 1]], undefined, 'int32'), tf.tensor2d([[1, 1]]));
    const pMasked = Math.exp(-5) / (Math.exp(5) + Math.exp(-5));
    expect(both.dataSync()[0]).toBeCloseTo((-Math.log(0.75) - Math.log(pMasked)) / 2, 4);
    tf.dispose([logits, loss, both]);
  });

  test('on a whole model equals the float64 reference loss, and so do its gradients (finite differences)', () => {
    const config = tinyConfig();
    const model = LlamaModel.init(config, 3);
    const batch = toyCorpus().randomBatch(2, 12, 1, 0);
    batch.lossMask[0][3] = 0; // some targets do not count
    batch.lossMask[1][0] = 0;
    const weights = model.toWeightMap();
    const { loss, grads } = lossAndGradients(model, batch);
    expect(loss).toBeCloseTo(referenceLoss(config, weights, batch), 4);
    const probes: [string, number][] = [
      ['model.layers.0.self_attn.q_proj.weight', 5],
      ['model.layers.1.mlp.down_proj.weight', 17],
      ['model.embed_tokens.weight', 3 * 16 + 2],
      ['model.layers.0.input_layernorm.weight', 7],
      ['lm_head.weight', 40],
    ];
    for (const [name, index] of probes) {
      const h = 1e-4;
      const shifted = (delta: number) => {
        const copy: WeightMap = new Map([...weights].map(([n, w]) => [n, { shape: w.shape, data: Float32Array.from(w.data) }]));
        copy.get(name)!.data[index] += delta;
        return referenceLoss(config, copy, batch);
      };
      const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      expect(grads[name].dataSync()[index], name).toBeCloseTo(numeric, 3);
    }
    tf.dispose(Object.values(grads));
    model.dispose();
  });
});

describe('AdamW', () => {
  test('one step matches the formula, with no weight decay on norm weights', () => {
    const params = new Map<string, tf.Variable>([
      ['w.weight', tf.variable(tf.tensor2d([[1, -2]]))],
      ['input_layernorm.weight', tf.variable(tf.tensor1d([1, 1]))],
    ]);
    const optimizer = new AdamW(params, { beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.5 });
    const grads = { 'w.weight': tf.tensor2d([[0.5, 0.1]]), 'input_layernorm.weight': tf.tensor1d([0.5, -0.1]) };
    optimizer.apply(grads, 0.1);
    // t = 1: m_hat = g, v_hat = g^2, so the Adam step is g / (|g| + eps) = sign(g).
    // w: 1 - 0.1 (1 + 0.5 * 1) = 0.85; -2 - 0.1 (1 + 0.5 * -2) = -2.  norm: 1 -/+ 0.1, no decay.
    expect(Array.from(params.get('w.weight')!.dataSync())).toEqual([expect.closeTo(0.85, 5), expect.closeTo(-2, 5)]);
    expect(Array.from(params.get('input_layernorm.weight')!.dataSync())).toEqual([expect.closeTo(0.9, 5), expect.closeTo(1.1, 5)]);
    // t = 2 with the same gradient: m = g (0.9 + 0.1)... m_hat = g, v_hat = g^2 again: the same sign step.
    optimizer.apply(grads, 0.1);
    expect(params.get('input_layernorm.weight')!.dataSync()[0]).toBeCloseTo(0.8, 5);
    expect(optimizer.stepsDone).toBe(2);
    const state = optimizer.stateToWeightMap();
    expect(state.get('m.w.weight')!.data[0]).toBeCloseTo(0.5 * (1 - 0.81), 6); // 0.1 g + 0.9 (0.1 g)
    tf.dispose([...Object.values(grads)]);
    optimizer.dispose();
    params.forEach((p) => p.dispose());
  });

  test('decays matrices but not 1-D norm weights', () => {
    expect(isDecayed('model.layers.0.mlp.up_proj.weight', [8, 4])).toBe(true);
    expect(isDecayed('model.embed_tokens.weight', [32, 16])).toBe(true);
    expect(isDecayed('model.layers.0.post_attention_layernorm.weight', [16])).toBe(false);
    expect(isDecayed('model.norm.weight', [16])).toBe(false);
  });
});

describe('PackedCorpus', () => {
  test('rows start at an example, run on into the next, and targets are the inputs shifted by one', () => {
    const corpus = new PackedCorpus([{ ids: [1, 10, 11, 2] }, { ids: [1, 12, 2] }, { ids: [1, 13, 14, 15, 2] }]);
    expect(corpus.starts).toEqual([0, 4, 7]);
    expect(corpus.row(0, 5)).toEqual({ inputs: [1, 10, 11, 2, 1], targets: [10, 11, 2, 1, 12], lossMask: [1, 1, 1, 1, 1] });
    expect(corpus.usableExamples(5)).toBe(2);
    expect(() => corpus.row(2, 5)).toThrow(/too close to the end/);
  });

  test('randomBatch depends only on (seed, step)', () => {
    const corpus = toyCorpus();
    expect(corpus.randomBatch(3, 8, 5, 7)).toEqual(corpus.randomBatch(3, 8, 5, 7));
    expect(corpus.randomBatch(3, 8, 5, 7)).not.toEqual(corpus.randomBatch(3, 8, 5, 8));
  });

  test('SFT examples count only the response (and </s>) in the loss', () => {
    const tokenizer = Tokenizer.fromJSON(JSON.parse(readFileSync('public/models/glass-llama/tokenizer.json', 'utf8')));
    // The corpus generator in memory: a clean clone has no data/*.jsonl until `npm run corpus`.
    const pairs = generateSet('chat').validation as { prompt: string; response: string }[];
    const [first] = tokenizeChatPairs(tokenizer, pairs.slice(0, 1));
    const promptLength = first.lossMask!.indexOf(1);
    const text = tokenizer.decode(first.ids.slice(0, promptLength));
    expect(text).toMatch(/^\[INST\] .* \[\/INST\]$/s);
    expect(first.lossMask!.slice(promptLength).every((m) => m === 1)).toBe(true);
    expect(first.ids[first.ids.length - 1]).toBe(tokenizer.eosId);
  });
});

describe('trainStep', () => {
  const config = tinyConfig({ max_position_embeddings: 16 });
  function run(steps: number, seed: number, resumeAt?: number): number[] {
    const corpus = toyCorpus();
    let model = LlamaModel.init(config, seed);
    let optimizer = new AdamW(model.params);
    const losses: number[] = [];
    for (let step = 0; step < steps; step++) {
      if (step === resumeAt) {
        // Checkpoint and reload, as scripts/train.ts --resume does.
        const weights = model.toWeightMap();
        const state = optimizer.stateToWeightMap();
        const stepsDone = optimizer.stepsDone;
        optimizer.dispose();
        model.dispose();
        model = LlamaModel.fromWeights(config, weights, { trainable: true });
        optimizer = new AdamW(model.params);
        optimizer.loadState(state, stepsDone);
      }
      const batch = corpus.randomBatch(4, 12, seed, step);
      losses.push(trainStep(model, optimizer, batch, { learningRate: 1e-2, maxGradNorm: 1 }).loss);
    }
    optimizer.dispose();
    model.dispose();
    return losses;
  }

  test('learns the toy corpus, without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const losses = run(60, 1);
    expect(tf.memory().numTensors).toBe(before);
    expect(losses[0]).toBeCloseTo(Math.log(32), 0);
    expect(losses[59]).toBeLessThan(losses[0] - 1.5);
  });

  test('the same seed reproduces the first 50 losses to 3 decimals', () => {
    const first = run(50, 42).map((loss) => loss.toFixed(3));
    const second = run(50, 42).map((loss) => loss.toFixed(3));
    expect(second).toEqual(first);
    expect(run(5, 43).map((loss) => loss.toFixed(3))).not.toEqual(first.slice(0, 5));
  });

  test('resuming from a checkpoint (weights + optimizer state) continues exactly', () => {
    const straight = run(20, 7).map((loss) => loss.toFixed(4));
    const resumed = run(20, 7, 10).map((loss) => loss.toFixed(4));
    expect(resumed).toEqual(straight);
  });
});
