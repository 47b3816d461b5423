// LoRA: the adapted forward against a float64 reference that computes W x + (alpha / r) B (A x)
// projection by projection, merging, training only the adapter, and PEFT-style files.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, test } from 'vitest';
import { loadAdapter, LoraAdapter, mergeLora, saveAdapter } from '../../src/llama/lora';
import { LORA_TARGET_MODULES, loraPairs, loraWeightNames, parseLoraConfig, type LoraConfig } from '../../src/llama/loraConfig';
import { LlamaModel } from '../../src/llama/model';
import { referenceForward } from '../../src/llama/reference';
import { createRandom, randomNormal } from '../../src/llama/rng';
import { readSafetensors } from '../../src/llama/safetensors';
import { AdamW, lossAndGradients, trainStep } from '../../src/llama/train';
import type { WeightMap } from '../../src/llama/weights';
import { TEST_BACKENDS, useBackend } from './helpers/backends';
import { tinyConfig } from './helpers/configs';
import { randomWeights, relativeError } from './helpers/random-weights';
import { referenceLoss, toyCorpus } from './helpers/training';

const ALL_MODULES: LoraConfig = { r: 2, lora_alpha: 6, target_modules: [...LORA_TARGET_MODULES] };
const ATTENTION_ONLY: LoraConfig = { r: 3, lora_alpha: 4, target_modules: ['q_proj', 'v_proj'] };

/** An adapter with every A and B drawn at random (std 0.3), so B A is far from 0. */
function randomAdapterWeights(config: ReturnType<typeof tinyConfig>, lora: LoraConfig, seed: number): WeightMap {
  const random = createRandom(seed);
  const weights: WeightMap = new Map();
  for (const { a, b } of loraPairs(config, lora)) {
    for (const { name, shape } of [a, b]) {
      weights.set(name, { shape, data: Float32Array.from({ length: shape[0] * shape[1] }, () => 0.3 * randomNormal(random)) });
    }
  }
  return weights;
}

afterAll(async () => {
  await useBackend('cpu');
});

describe('LoRA config and names', () => {
  test('PEFT names and shapes: A is (r, in), B is (out, r)', () => {
    const config = tinyConfig(); // hidden 16, 4 heads of 4, 2 KV heads, intermediate 24
    expect(loraWeightNames(0, 'q_proj')).toEqual({
      a: 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
      b: 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
    });
    expect(loraWeightNames(1, 'down_proj').b).toBe('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight');
    const pairs = loraPairs(config, ALL_MODULES);
    expect(pairs).toHaveLength(2 * 7);
    const shape = (module: string) => {
      const pair = pairs.find((p) => p.layer === 1 && p.module === module)!;
      return [pair.a.shape, pair.b.shape];
    };
    expect(shape('k_proj')).toEqual([[2, 16], [8, 2]]);
    expect(shape('o_proj')).toEqual([[2, 16], [16, 2]]);
    expect(shape('down_proj')).toEqual([[2, 24], [16, 2]]);
  });

  test('parseLoraConfig names the bad field and refuses what it does not implement', () => {
    expect(() => parseLoraConfig({ r: 0, lora_alpha: 8, target_modules: ['q_proj'] })).toThrow('LoraConfig.r: received 0, expected a positive integer');
    expect(() => parseLoraConfig({ r: 4, lora_alpha: 8, target_modules: ['qkv'] })).toThrow(/LoraConfig.target_modules: received \["qkv"\]/);
    expect(() => parseLoraConfig({ r: 4, lora_alpha: 8, target_modules: ['q_proj'], bias: 'all' })).toThrow(/LoraConfig.bias/);
    expect(() => parseLoraConfig({ r: 4, lora_alpha: 8, target_modules: ['q_proj'], use_dora: true })).toThrow(/LoraConfig.use_dora/);
    expect(parseLoraConfig({ r: 4, lora_alpha: 8, target_modules: ['v_proj', 'q_proj'], lora_dropout: 0, peft_type: 'LORA' })).toEqual({
      r: 4,
      lora_alpha: 8,
      target_modules: ['v_proj', 'q_proj'],
    });
  });
});

describe.each(TEST_BACKENDS)('LoRA forward on %s', (backend) => {
  test.each([
    ['every module, r 2, alpha 6', ALL_MODULES],
    ['q and v only, r 3, alpha 4', ATTENTION_ONLY],
  ])('%s: logits equal the float64 W x + (alpha/r) B A x to 1e-4, and merging gives the same logits', async (_, lora) => {
    await useBackend(backend);
    const config = tinyConfig();
    const weights = randomWeights(config, 11);
    const adapterWeights = randomAdapterWeights(config, lora, 12);
    const ids = [1, 7, 3, 30, 12, 5, 9];
    const before = tf.memory().numTensors;

    const model = LlamaModel.fromWeights(config, weights);
    const adapter = LoraAdapter.fromWeights(config, lora, adapterWeights);
    model.attachAdapter(adapter);
    const adapted = (await model.run([ids])).logits.data;

    const expected = referenceForward(config, weights, ids, { lora: { config: lora, weights: adapterWeights } }).logits;
    const base = referenceForward(config, weights, ids).logits;
    expect(relativeError(adapted, expected.flatMap((row) => [...row]))).toBeLessThan(1e-4);
    // the adapter moves the logits a lot, so agreeing with the adapted reference means something
    expect(relativeError(adapted, base.flatMap((row) => [...row]))).toBeGreaterThan(0.05);

    const merged = LlamaModel.fromWeights(config, mergeLora(weights, adapter));
    const mergedLogits = (await merged.run([ids])).logits.data;
    expect(relativeError(mergedLogits, adapted)).toBeLessThan(1e-5);

    model.attachAdapter(null);
    const detached = (await model.run([ids])).logits.data;
    expect(relativeError(detached, base.flatMap((row) => [...row]))).toBeLessThan(1e-4);

    merged.dispose();
    adapter.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a fresh adapter (B = 0) leaves the logits exactly as the base model has them; A is bounded by 1/sqrt(in)', async () => {
    await useBackend(backend);
    const config = tinyConfig();
    const model = LlamaModel.fromWeights(config, randomWeights(config, 3));
    const ids = [[1, 4, 9, 16]];
    const base = (await model.run(ids)).logits.data;
    const adapter = LoraAdapter.init(config, ALL_MODULES, 5);
    model.attachAdapter(adapter);
    expect(Array.from((await model.run(ids)).logits.data)).toEqual(Array.from(base));
    const a = adapter.toWeightMap().get(loraWeightNames(0, 'down_proj').a)!.data; // (2, 24)
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(24));
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.5 / Math.sqrt(24));
    expect(adapter.toWeightMap().get(loraWeightNames(0, 'down_proj').b)!.data.every((x) => x === 0)).toBe(true);
    adapter.dispose();
    model.dispose();
  });
});

describe.each(TEST_BACKENDS)('LoRA training on %s', (backend) => {
  test('trains only A and B: base weights bit-identical after 15 steps, loss falls, no tensor leaks', async () => {
    await useBackend(backend);
    const config = tinyConfig({ max_position_embeddings: 16 });
    const model = LlamaModel.fromWeights(config, randomWeights(config, 21, 0.1));
    const baseBefore = model.toWeightMap();
    const before = tf.memory().numTensors;
    const adapter = LoraAdapter.init(config, { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'up_proj', 'down_proj'] }, 1);
    model.attachAdapter(adapter);
    const optimizer = new AdamW(model.trainableParams(), { weightDecay: 0 });
    const corpus = toyCorpus();
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) {
      losses.push(trainStep(model, optimizer, corpus.randomBatch(4, 12, 1, step), { learningRate: 2e-2, maxGradNorm: 1 }).loss);
    }
    expect(losses[14]).toBeLessThan(losses[0] - 0.5);
    const trainedB = adapter.toWeightMap().get(loraWeightNames(0, 'q_proj').b)!.data;
    expect(Math.max(...trainedB.map(Math.abs))).toBeGreaterThan(1e-3);
    for (const [name, { data }] of model.toWeightMap()) {
      expect(Buffer.from(data.buffer).equals(Buffer.from(baseBefore.get(name)!.data.buffer)), name).toBe(true);
    }
    optimizer.dispose();
    model.attachAdapter(null);
    adapter.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('LoRA gradients', () => {
  test('lossAndGradients gives the adapter gradients of the float64 reference loss (finite differences)', async () => {
    await useBackend('cpu');
    const config = tinyConfig();
    const weights = randomWeights(config, 31, 0.1);
    const lora = ATTENTION_ONLY;
    const adapterWeights = randomAdapterWeights(config, lora, 32);
    const model = LlamaModel.fromWeights(config, weights);
    const adapter = LoraAdapter.fromWeights(config, lora, adapterWeights, { trainable: true });
    model.attachAdapter(adapter);
    const batch = toyCorpus().randomBatch(2, 10, 4, 0);
    const { loss, grads } = lossAndGradients(model, batch);
    expect(Object.keys(grads).sort()).toEqual([...adapter.params.keys()].sort());
    expect(loss).toBeCloseTo(referenceLoss(config, weights, batch, { lora: { config: lora, weights: adapterWeights } }), 4);
    const probes: [string, number][] = [
      [loraWeightNames(0, 'q_proj').a, 5],
      [loraWeightNames(1, 'v_proj').b, 4],
      [loraWeightNames(1, 'q_proj').b, 10],
    ];
    for (const [name, index] of probes) {
      const h = 1e-4;
      const shifted = (delta: number) => {
        const copy: WeightMap = new Map([...adapterWeights].map(([n, w]) => [n, { shape: w.shape, data: Float32Array.from(w.data) }]));
        copy.get(name)!.data[index] += delta;
        return referenceLoss(config, weights, batch, { lora: { config: lora, weights: copy } });
      };
      const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      expect(Math.abs(numeric), name).toBeGreaterThan(1e-3);
      expect(grads[name].dataSync()[index], name).toBeCloseTo(numeric, 3);
    }
    tf.dispose(Object.values(grads));
    adapter.dispose();
    model.dispose();
  });
});

describe('LoRA files', () => {
  test('saveAdapter writes PEFT names and adapter_config.json; loadAdapter reads them back bit for bit', async () => {
    await useBackend('cpu');
    const config = tinyConfig();
    const adapterWeights = randomAdapterWeights(config, ATTENTION_ONLY, 41);
    const adapter = LoraAdapter.fromWeights(config, ATTENTION_ONLY, adapterWeights);
    const files = saveAdapter(adapter);
    expect(JSON.parse(files['adapter_config.json'])).toMatchObject({ peft_type: 'LORA', r: 3, lora_alpha: 4, target_modules: ['q_proj', 'v_proj'] });
    const stored = readSafetensors(files['adapter_model.safetensors']);
    expect([...stored.keys()]).toContain('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight');
    expect(stored.size).toBe(2 * 2 * 2); // layers x modules x (A, B)
    const loaded = loadAdapter(config, files);
    for (const [name, { data }] of loaded.toWeightMap()) expect(Array.from(data), name).toEqual(Array.from(adapterWeights.get(name)!.data));
    expect(loaded.scale).toBe(4 / 3);
    // a config that disagrees with the tensors is refused, naming the tensor
    const wrongRank = { ...files, 'adapter_config.json': JSON.stringify({ r: 2, lora_alpha: 4, target_modules: ['q_proj', 'v_proj'] }) };
    expect(() => loadAdapter(config, wrongRank)).toThrow(/lora_A.weight has shape \[3,16\], the model and r = 2 need \[2,16\]/);
    const fewerModules = { ...files, 'adapter_config.json': JSON.stringify({ r: 3, lora_alpha: 4, target_modules: ['q_proj'] }) };
    expect(() => loadAdapter(config, fewerModules)).toThrow(/v_proj.lora_A.weight is not among the 4/);
    loaded.dispose();
    adapter.dispose();
  });

  test('attachAdapter refuses an adapter made for another shape of model', async () => {
    await useBackend('cpu');
    const model = LlamaModel.fromWeights(tinyConfig(), randomWeights(tinyConfig(), 1));
    const other = tinyConfig({ intermediate_size: 32 });
    const adapter = LoraAdapter.init(other, ATTENTION_ONLY, 1);
    expect(() => model.attachAdapter(adapter)).toThrow('attachAdapter: the adapter was made for intermediate_size = 32, this model has 24');
    expect(() => model.trainableParams()).toThrow(/frozen and has no adapter/);
    adapter.dispose();
    model.dispose();
  });
});
