// The LoRA chapter (content/13-lora.mdx): parameter and memory counts for our model and Llama 2,
// the update inspector's singular values and projection output against float64 references, and
// the lab's task on the shipped weights (first step equals the base, the name is learned, the
// merged model gives the adapter's logits, the shipped adapter is that run).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  compareFineTuning,
  LORA_PRESETS,
  LORA_TARGET_MODULES,
  loraParameterCount,
  loraPreset,
  maxAbsDifference,
  moduleShape,
  NAME_TASK,
  nameTaskExamples,
  nameTokenIds,
  NEW_NAME,
  parseModuleList,
  trainingMemory,
} from '../../src/chapters/lora';
import { countParameters, PARAMETER_PRESETS } from '../../src/chapters/anatomy';
import { parseConfig } from '../../src/llama/config';
import { generate } from '../../src/llama/generate';
import { loadAdapter, LoraAdapter, mergeLora } from '../../src/llama/lora';
import { LORA_TARGET_MODULES as ENGINE_MODULES, loraPairs, loraWeightNames, type LoraConfig } from '../../src/llama/loraConfig';
import { gramSchmidtR, inspectLoraUpdate, lowRankSingularValues, numericalRank, smallSingularValues } from '../../src/llama/loraInspect';
import { LlamaModel } from '../../src/llama/model';
import { project, referenceForward } from '../../src/llama/reference';
import { createRandom, randomNormal } from '../../src/llama/rng';
import type { WeightMap } from '../../src/llama/weights';
import { Sessions } from '../../src/runtime/sessions';
import { lossAndGradients, PackedCorpus } from '../../src/llama/train';
import { LORA_NAME_ADAPTER_DIR, trainNameAdapter } from '../../scripts/lora-name-adapter';
import { useBackend } from './helpers/backends';
import { loadChapterModel, SHIPPED_MODEL_DIR, type ChapterModel } from './helpers/chapter-model';

const OURS = loraPreset('glass-llama').config;
const LLAMA2_7B = loraPreset('llama-2-7b').config;

describe('LoRA parameter counts', () => {
  test('the module list and shapes are the engine\'s (loraPairs), for our model and Llama 2 7B', () => {
    expect([...LORA_TARGET_MODULES]).toEqual([...ENGINE_MODULES]);
    const shipped = parseConfig(JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, 'config.json'), 'utf8')));
    for (const config of [shipped, parseConfig({ ...LLAMA2_7B, max_position_embeddings: 4096, rms_norm_eps: 1e-5 })]) {
      for (const pair of loraPairs(config, { r: 3, lora_alpha: 3, target_modules: [...ENGINE_MODULES] }).filter((p) => p.layer === 0)) {
        expect(moduleShape(config, pair.module)).toEqual([pair.b.shape[0], pair.a.shape[1]]);
      }
    }
  });

  test('ours, r 4 on q and v: 4 layers × (4·(128+128) + 4·(128+64)) = 7,168 values, 0.61% of 1,182,592', () => {
    const count = loraParameterCount(OURS, 4, ['q_proj', 'v_proj']);
    expect(count.perLayer).toBe(1024 + 768);
    expect(count.trainable).toBe(7_168);
    expect(count.base).toBe(1_182_592);
    expect(count.fraction * 100).toBeCloseTo(0.606, 3);
  });

  test("ours, the lab's default (r 4 on q, k, v, o): 14,336 values, 1.21%", () => {
    const count = loraParameterCount(OURS, NAME_TASK.r, NAME_TASK.modules);
    expect(count.trainable).toBe(4 * (1024 + 768 + 768 + 1024));
    expect(count.trainable).toBe(14_336);
    expect(count.fraction * 100).toBeCloseTo(1.212, 3);
  });

  test('Llama 2 7B, r 8 on q and v: 4,194,304 (0.0622% of 6,738,415,616); on all seven modules: 19,988,480', () => {
    const qv = loraParameterCount(LLAMA2_7B, 8, ['q_proj', 'v_proj']);
    expect(qv.trainable).toBe(32 * 2 * 8 * (4096 + 4096));
    expect(qv.trainable).toBe(4_194_304);
    expect(qv.base).toBe(6_738_415_616);
    expect(qv.fraction * 100).toBeCloseTo(0.0622, 4);
    const all = loraParameterCount(LLAMA2_7B, 8, LORA_TARGET_MODULES);
    expect(all.trainable).toBe(32 * (4 * 8 * 8192 + 3 * 8 * (4096 + 11008)));
    expect(all.trainable).toBe(19_988_480);
  });

  test('Llama 2 70B uses 8 KV heads, so k_proj and v_proj are [1024, 8192]: r 8 on q, v is 80 × 8 × (16384 + 9216) = 16,384,000', () => {
    expect(moduleShape(loraPreset('llama-2-70b').config, 'v_proj')).toEqual([1024, 8192]);
    expect(loraParameterCount(loraPreset('llama-2-70b').config, 8, ['q_proj', 'v_proj']).trainable).toBe(16_384_000);
  });

  test('the presets are the anatomy chapter\'s (ours and Llama 2 7B, 13B, 70B), and bad input is refused with a message', () => {
    expect(LORA_PRESETS.map((p) => p.id)).toEqual(['glass-llama', 'llama-2-7b', 'llama-2-13b', 'llama-2-70b']);
    for (const preset of LORA_PRESETS) expect(PARAMETER_PRESETS).toContain(preset);
    expect(() => loraParameterCount(OURS, 0, ['q_proj'])).toThrow('r must be a positive whole number. Received 0.');
    expect(() => loraParameterCount(OURS, 4, [])).toThrow('choose at least one target module');
    expect(parseModuleList('v_proj,q_proj')).toEqual({ modules: ['q_proj', 'v_proj'], problem: null });
    expect(parseModuleList('qkv').problem).toBe('"qkv" is not a module an adapter can target (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj).');
    expect(parseModuleList('').problem).toBe('Choose at least one module to adapt.');
  });
});

describe('training memory', () => {
  test('full fine-tuning of Llama 2 7B in bf16 with AdamW: 16 bytes per parameter, 107.8 GB before activations', () => {
    const memory = trainingMemory({ frozen: 0, trained: 6_738_415_616, dtype: 'bf16', optimizer: 'adamw' });
    expect(memory).toEqual({
      weights: 2 * 6_738_415_616,
      gradients: 2 * 6_738_415_616,
      masterWeights: 4 * 6_738_415_616,
      optimizerStates: 8 * 6_738_415_616,
      total: 16 * 6_738_415_616,
    });
    expect(memory.total).toBe(107_814_649_856);
  });

  test('LoRA on Llama 2 7B (r 8, q and v, bf16, AdamW): 13.54 GB, 8.0× less; the adapter file is 16.8 MB against a 13.5 GB checkpoint', () => {
    const comparison = compareFineTuning(LLAMA2_7B, 8, ['q_proj', 'v_proj'], 'bf16', 'adamw');
    expect(comparison.lora.total).toBe(2 * 6_738_415_616 + 16 * 4_194_304);
    expect(comparison.lora.total).toBe(13_543_940_096);
    expect(comparison.memoryRatio).toBeCloseTo(107_814_649_856 / 13_543_940_096, 10);
    expect(comparison.memoryRatio.toFixed(1)).toBe('8.0');
    expect(comparison.parameterRatio.toFixed(0)).toBe('1607');
    expect(comparison.adapterFileBytes).toBe(16_777_216);
    expect(comparison.fullCheckpointBytes).toBe(13_476_831_232);
  });

  test('the chapter\'s 7B table: weights 13.48 GB / 13.49 GB (with the adapter), gradients 13.48 GB / 8.4 MB, master 26.95 GB / 16.8 MB, moments 53.91 GB / 33.6 MB', () => {
    const { full, lora, fullCheckpointBytes, adapterFileBytes } = compareFineTuning(LLAMA2_7B, 8, ['q_proj', 'v_proj'], 'bf16', 'adamw');
    const gb = (bytes: number) => (bytes / 1e9).toFixed(2);
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    expect([gb(full.weights), gb(full.gradients), gb(full.masterWeights), gb(full.optimizerStates), (full.total / 1e9).toFixed(1)]).toEqual(['13.48', '13.48', '26.95', '53.91', '107.8']);
    expect([gb(lora.weights), mb(lora.gradients), mb(lora.masterWeights), mb(lora.optimizerStates), gb(lora.total)]).toEqual(['13.49', '8.4', '16.8', '33.6', '13.54']);
    expect((fullCheckpointBytes / 1e9).toFixed(1)).toBe('13.5');
    expect(Math.round(fullCheckpointBytes / adapterFileBytes)).toBe(803);
    // what LoRA saves per trained value in bf16: gradient, master copy and moments, 14 of the 16 bytes
    expect((full.gradients + full.masterWeights + full.optimizerStates) / 6_738_415_616).toBe(14);
    // r 64 on q and v: the frozen weights are the floor, the ratio barely moves
    expect(compareFineTuning(LLAMA2_7B, 64, ['q_proj', 'v_proj'], 'bf16', 'adamw').memoryRatio.toFixed(1)).toBe('7.7');
  });

  test('fp32 has no master copy (4 + 4 + 8 = 16 bytes); SGD keeps no state (2 + 2 + 4 = 8 bytes in bf16)', () => {
    expect(trainingMemory({ frozen: 0, trained: 10, dtype: 'fp32', optimizer: 'adamw' }).total).toBe(160);
    expect(trainingMemory({ frozen: 0, trained: 10, dtype: 'fp32', optimizer: 'adamw' }).masterWeights).toBe(0);
    expect(trainingMemory({ frozen: 0, trained: 10, dtype: 'bf16', optimizer: 'sgd' }).total).toBe(80);
    expect(trainingMemory({ frozen: 100, trained: 10, dtype: 'fp16', optimizer: 'momentum' }).total).toBe(110 * 2 + 10 * (2 + 4 + 4));
  });

  test('ours in fp32 with AdamW: full fine-tuning 18.9 MB, the lab\'s adapter 4.96 MB (frozen weights dominate)', () => {
    const comparison = compareFineTuning(OURS, NAME_TASK.r, NAME_TASK.modules, 'fp32', 'adamw');
    expect(comparison.full.total).toBe(16 * 1_182_592);
    expect(comparison.lora.total).toBe(4 * 1_182_592 + 16 * 14_336);
    expect(comparison.lora.total).toBe(4_959_744);
  });
});

/** Orthonormal columns (rows, cols), row-major, from a seeded Gaussian by Gram-Schmidt: an independent helper for the tests. */
function orthonormalColumns(rows: number, cols: number, seed: number): Float64Array {
  const random = createRandom(seed);
  const columns: number[][] = [];
  while (columns.length < cols) {
    const v = Array.from({ length: rows }, () => randomNormal(random));
    for (const u of columns) {
      const dot = u.reduce((sum, value, i) => sum + value * v[i], 0);
      for (let i = 0; i < rows; i++) v[i] -= dot * u[i];
    }
    const norm = Math.sqrt(v.reduce((sum, value) => sum + value * value, 0));
    columns.push(v.map((value) => value / norm));
  }
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m[i * cols + j] = columns[j][i];
  return m;
}

/** The singular values of a full (rows, cols) matrix by power iteration on MᵀM with deflation: slow and independent. */
function referenceSingularValues(m: Float64Array, rows: number, cols: number, count: number): number[] {
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) for (let k = 0; k < rows; k++) gram[i * cols + j] += m[k * cols + i] * m[k * cols + j];
  const values: number[] = [];
  const random = createRandom(99);
  for (let n = 0; n < count; n++) {
    let v = Array.from({ length: cols }, () => randomNormal(random));
    let eigen = 0;
    for (let iteration = 0; iteration < 2000; iteration++) {
      const next = v.map((_, i) => v.reduce((sum, value, j) => sum + gram[i * cols + j] * value, 0));
      eigen = Math.sqrt(next.reduce((sum, value) => sum + value * value, 0));
      if (eigen === 0) break;
      v = next.map((value) => value / eigen);
    }
    values.push(Math.sqrt(Math.max(0, eigen)));
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) gram[i * cols + j] -= eigen * v[i] * v[j];
  }
  return values;
}

describe('the update inspector: singular values of (alpha/r) B A', () => {
  test('B A = U diag(5, 2, 0.5) Vᵀ has singular values 5, 2, 0.5, times the scale', () => {
    const [out, r, inputs] = [12, 3, 9];
    const u = orthonormalColumns(out, r, 1);
    const v = orthonormalColumns(inputs, r, 2);
    const sigma = [0.5, 5, 2];
    const b = u.map((value, index) => value * sigma[index % r]); // U diag(sigma): (out, r)
    const a = new Float64Array(r * inputs);
    for (let k = 0; k < r; k++) for (let i = 0; i < inputs; i++) a[k * inputs + i] = v[i * r + k]; // Vᵀ: (r, in)
    const values = lowRankSingularValues(b, a, out, r, inputs, 2);
    expect(values.map((s) => Number(s.toFixed(10)))).toEqual([10, 4, 1]);
    expect(numericalRank(values, out, inputs)).toBe(3);
  });

  test('random B (40, 4) and A (4, 30) against power iteration on the full 40 × 30 product', () => {
    const random = createRandom(5);
    const [out, r, inputs] = [40, 4, 30];
    const b = Float64Array.from({ length: out * r }, () => randomNormal(random));
    const a = Float64Array.from({ length: r * inputs }, () => randomNormal(random));
    const full = new Float64Array(out * inputs);
    for (let o = 0; o < out; o++) for (let i = 0; i < inputs; i++) for (let k = 0; k < r; k++) full[o * inputs + i] += 0.5 * b[o * r + k] * a[k * inputs + i];
    const expected = referenceSingularValues(full, out, inputs, r);
    const values = lowRankSingularValues(b, a, out, r, inputs, 0.5);
    values.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 6));
    // the Frobenius norm is the root of the sum of squared singular values
    expect(Math.hypot(...values)).toBeCloseTo(Math.hypot(...full), 9);
  });

  test('two equal columns of B: rank 3 of 4, the last singular value 0', () => {
    const random = createRandom(8);
    const [out, r, inputs] = [10, 4, 7];
    const b = Float64Array.from({ length: out * r }, () => randomNormal(random));
    for (let o = 0; o < out; o++) b[o * r + 3] = b[o * r + 1];
    const a = Float64Array.from({ length: r * inputs }, () => randomNormal(random));
    const values = lowRankSingularValues(b, a, out, r, inputs);
    expect(values[3]).toBeLessThan(1e-12);
    expect(numericalRank(values, out, inputs)).toBe(3);
    expect(gramSchmidtR(b, out, r)[3 * r + 3]).toBe(0);
    expect(smallSingularValues([3, 0, 0, -2], 2)).toEqual([3, 2]);
  });
});

/** An adapter with every A and B random (std 0.05), so B A is far from 0 (a trained adapter's B is not 0). */
function randomAdapter(config: LlamaModel['config'], lora: LoraConfig, seed: number): WeightMap {
  const random = createRandom(seed);
  const weights: WeightMap = new Map();
  for (const { a, b } of loraPairs(config, lora)) {
    for (const { name, shape } of [a, b]) weights.set(name, { shape, data: Float32Array.from({ length: shape[0] * shape[1] }, () => 0.05 * randomNormal(random)) });
  }
  return weights;
}

describe('on the shipped model (wasm)', () => {
  let chapter: ChapterModel;
  beforeAll(async () => {
    await useBackend('wasm');
    chapter = loadChapterModel();
  });
  afterAll(async () => {
    chapter.model.dispose();
    await useBackend('cpu');
  });

  const ids = () => chapter.tokenizer.encode('Once upon a time, there was a girl named Lily.', { bos: true });

  test('an adapter on every module: logits equal the float64 W x + (alpha/r) B A x reference; the merged model gives the same logits', () => {
    const lora: LoraConfig = { r: 3, lora_alpha: 6, target_modules: [...ENGINE_MODULES] };
    const { model } = chapter;
    const adapterWeights = randomAdapter(model.config, lora, 21);
    const baseWeights = model.toWeightMap();
    const before = tf.memory().numTensors;
    const adapter = LoraAdapter.fromWeights(model.config, lora, adapterWeights);
    const adapted = LlamaModel.fromWeights(model.config, baseWeights);
    adapted.attachAdapter(adapter);
    const logits = tf.tidy(() => adapted.forward(tf.tensor2d([ids()], undefined, 'int32')).logits.dataSync());
    const reference = referenceForward(model.config, baseWeights, ids(), { lora: { config: lora, weights: adapterWeights } }).logits;
    const vocab = model.config.vocab_size;
    const expected = Float64Array.from({ length: reference.length * vocab }, (_, i) => reference[Math.floor(i / vocab)][i % vocab]);
    const scaleOfLogits = Math.max(...expected.map(Math.abs));
    expect(maxAbsDifference(logits, expected) / scaleOfLogits).toBeLessThan(1e-4);
    // the base's logits differ: the adapter does something
    const base = tf.tidy(() => model.forward(tf.tensor2d([ids()], undefined, 'int32')).logits.dataSync());
    expect(maxAbsDifference(base, logits)).toBeGreaterThan(0.1);
    const merged = LlamaModel.fromWeights(model.config, mergeLora(baseWeights, adapter));
    const mergedLogits = tf.tidy(() => merged.forward(tf.tensor2d([ids()], undefined, 'int32')).logits.dataSync());
    expect(maxAbsDifference(mergedLogits, logits)).toBeLessThan(1e-3);
    merged.dispose();
    adapted.dispose();
    adapter.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('the inspector: W x + ΔW x equals the float64 projection and the forward\'s own q and v', () => {
    const lora: LoraConfig = { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'down_proj'] };
    const { model } = chapter;
    const adapterWeights = randomAdapter(model.config, lora, 22);
    const adapter = LoraAdapter.fromWeights(model.config, lora, adapterWeights);
    const adapted = LlamaModel.fromWeights(model.config, model.toWeightMap());
    adapted.attachAdapter(adapter);
    const prompt = ids();
    const position = 5;
    for (const module of ['q_proj', 'v_proj', 'down_proj'] as const) {
      const seen = inspectLoraUpdate(adapted, prompt, 2, module, position);
      const names = loraWeightNames(2, module);
      const w = Float64Array.from(adapted.params.get(`model.layers.2.${module === 'down_proj' ? 'mlp' : 'self_attn'}.${module}.weight`)!.dataSync());
      const pair = { a: Float64Array.from(adapterWeights.get(names.a)!.data), b: Float64Array.from(adapterWeights.get(names.b)!.data), r: 4, scale: 2 };
      const expected = project(w, Float64Array.from(seen.input), seen.shape[0], pair);
      const got = seen.baseOutput.map((value, i) => value + seen.updateOutput[i]);
      expect(maxAbsDifference(got, expected)).toBeLessThan(1e-9);
      expect(seen.rank).toBe(4);
      expect(seen.singularValues).toHaveLength(4);
    }
    const tensorsBefore = tf.memory().numTensors;
    inspectLoraUpdate(adapted, prompt, 1, 'down_proj', 2);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    // q_proj's output is the tap layers.2.attn.q ([1, heads, seq, d]) at that position
    const q = inspectLoraUpdate(adapted, prompt, 2, 'q_proj', position);
    const tapQ = tf.tidy(() => {
      const { taps } = adapted.forward(tf.tensor2d([prompt], undefined, 'int32'), { taps: ['layers.2.attn.q'] });
      return taps.get('layers.2.attn.q')!.transpose([0, 2, 1, 3]).reshape([prompt.length, -1]).arraySync() as number[][];
    });
    expect(maxAbsDifference(q.baseOutput.map((value, i) => value + q.updateOutput[i]), tapQ[position])).toBeLessThan(1e-4);
    expect(() => inspectLoraUpdate(adapted, prompt, 2, 'o_proj')).toThrow('The adapter does not adapt o_proj; it adapts q_proj, v_proj, down_proj.');
    expect(() => inspectLoraUpdate(adapted, prompt, 9, 'q_proj')).toThrow('layer must be a whole number from 0 to 3. Received 9.');
    adapted.dispose();
    adapter.dispose();
  });

  test(`the lab's default run: step 0 equals the base; after ${NAME_TASK.defaultSteps} steps "${NAME_TASK.prompt}" goes on with ${NEW_NAME}; the merged copy gives the same logits; the shipped adapter is this run`, async () => {
    const { model, tokenizer } = chapter;
    const sessions = new Sessions(() => model);
    const prompt = tokenizer.encode(NAME_TASK.prompt, { bos: true });
    const greedy = async (m: LlamaModel) => (await generate(m, prompt, { maxNewTokens: 3, temperature: 0 })).newIds;
    const name = nameTokenIds(tokenizer);
    expect(name.map((id) => tokenizer.idToPiece(id))).toEqual(['▁Z', 'el', 'da']);
    // the base model names someone else: Lola
    expect(tokenizer.decode(await greedy(model))).toBe('Lola.');
    const before = tf.memory().numTensors;

    // at step 0 every A's gradient is exactly 0 and B's is not: dL/dA = (alpha/r) Bᵀ g xᵀ with B = 0
    sessions.fork('gradients');
    sessions.attachLora({ session: 'gradients', config: { r: NAME_TASK.r, lora_alpha: NAME_TASK.alpha, target_modules: [...NAME_TASK.modules] }, seed: NAME_TASK.initSeed });
    const batch = new PackedCorpus(nameTaskExamples(tokenizer)).randomBatch(NAME_TASK.batchSize, NAME_TASK.seqLength, NAME_TASK.seed, 0);
    const { grads } = lossAndGradients(sessions.model('gradients'), batch);
    const gradientNames = Object.keys(grads);
    expect(gradientNames).toHaveLength(2 * 4 * 4);
    for (const [gradientName, gradient] of Object.entries(grads)) {
      const largest = Math.max(...Array.from(gradient.dataSync(), Math.abs));
      if (gradientName.includes('lora_A')) expect(largest, gradientName).toBe(0);
      else expect(largest, gradientName).toBeGreaterThan(1e-6);
    }
    tf.dispose(Object.values(grads));
    sessions.drop('gradients');

    // a fresh adapter (B = 0) gives exactly the base model's logits
    sessions.fork('fresh');
    sessions.attachLora({ session: 'fresh', config: { r: NAME_TASK.r, lora_alpha: NAME_TASK.alpha, target_modules: [...NAME_TASK.modules] }, seed: NAME_TASK.initSeed });
    const logitsOf = (m: LlamaModel) => tf.tidy(() => m.forward(tf.tensor2d([prompt], undefined, 'int32')).logits.dataSync());
    expect(maxAbsDifference(logitsOf(sessions.model('fresh')), logitsOf(model))).toBe(0);
    sessions.drop('fresh');

    const result = await trainNameAdapter(sessions, tokenizer, 'lab');
    expect(result.losses).toHaveLength(NAME_TASK.defaultSteps);
    expect(result.losses[0]).toBeGreaterThan(5);
    expect(result.losses.at(-1)!).toBeLessThan(0.7);
    expect(await greedy(sessions.model('lab'))).toEqual(name);

    // merging: fork copies the session with W + (alpha/r) B A in its weights
    sessions.fork('merged', 'lab');
    const difference = maxAbsDifference(logitsOf(sessions.model('merged')), logitsOf(sessions.model('lab')));
    expect(difference).toBeLessThan(1e-4);
    expect(sessions.model('merged').adapter).toBeNull();

    // the inspector on the trained q_proj of layer 0: rank 4, singular values > 0
    const seen = inspectLoraUpdate(sessions.model('lab'), prompt, 0, 'q_proj');
    expect(seen.rank).toBe(4);
    expect(seen.scale).toBe(2);

    // the shipped adapter (npm run lora-name-adapter) is this run, to float32 rounding
    const files = {
      'adapter_config.json': readFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_config.json'), 'utf8'),
      'adapter_model.safetensors': new Uint8Array(readFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_model.safetensors'))),
    };
    const shipped = loadAdapter(model.config, files);
    const trained = sessions.require('lab').adapter!;
    for (const [tensorName, tensor] of shipped.params) expect(maxAbsDifference(tensor.dataSync(), trained.params.get(tensorName)!.dataSync())).toBeLessThan(1e-4);
    shipped.dispose();
    sessions.dropAll();
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});

test('countParameters is what the fraction divides by', () => {
  expect(loraParameterCount(OURS, 1, ['q_proj']).base).toBe(countParameters(OURS).total);
});
