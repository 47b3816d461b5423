/**
 * A LoRA adapter as tensors, attached to a LlamaModel with model.attachAdapter(adapter). Each
 * targeted projection then computes W x + (alpha / r) B A x (see loraConfig.ts); only A and B
 * are tf.Variables, so training (train.ts) updates the adapter and never the base weights.
 *
 * How the model applies it: the forward multiplies by fused projection matrices (model.ts), so
 * the adapter enters as W + (alpha / r) B A, formed from (out, r) x (r, in) before the fused
 * matrices are built. For every input x that is the same number as W x + (alpha / r) B (A x);
 * a frozen adapter's matrices are built once, a trainable one's in each forward.
 */
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config';
import { loraConfigToJSON, loraPairs, loraScale, parseLoraConfig, type LoraConfig, type LoraPairShape } from './loraConfig';
import { readWeightMap } from './model';
import { createRandom } from './rng';
import { readSafetensors, writeSafetensors } from './safetensors';
import type { WeightMap } from './weights';

let adaptersCreated = 0;

export class LoraAdapter {
  readonly config: LoraConfig;
  /** alpha / r */
  readonly scale: number;
  /** true: A and B are trainable tf.Variables. */
  readonly trainable: boolean;
  /** A (r, in) and B (out, r) under PEFT names, e.g. base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight. */
  readonly params: Map<string, tf.Variable | tf.Tensor>;
  /** For each adapted base weight (HF name): the names of its A and B. */
  private readonly pairs = new Map<string, LoraPairShape>();

  private constructor(readonly modelConfig: LlamaConfig, config: LoraConfig, weights: WeightMap, trainable: boolean) {
    this.config = config;
    this.scale = loraScale(config);
    this.trainable = trainable;
    this.params = new Map();
    const id = adaptersCreated++;
    for (const pair of loraPairs(modelConfig, config)) {
      this.pairs.set(pair.base, pair);
      for (const { name, shape } of [pair.a, pair.b]) {
        const tensor = weights.get(name);
        if (!tensor) throw new Error(`LoRA adapter: missing tensor ${name} (expected shape [${shape}])`);
        if (tensor.shape.length !== 2 || tensor.shape[0] !== shape[0] || tensor.shape[1] !== shape[1]) {
          throw new Error(`LoRA adapter: tensor ${name} has shape [${tensor.shape}], the model and r = ${config.r} need [${shape}]`);
        }
        const value = tf.tensor2d(tensor.data, shape, 'float32');
        this.params.set(name, trainable ? tf.variable(value, true, `lora${id}/${name}`) : tf.keep(value));
        if (trainable) value.dispose();
      }
    }
  }

  /**
   * A fresh adapter as PEFT initialises one: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming-uniform with
   * a = sqrt 5), reproducible from the seed; B = 0, so the adapted model starts equal to the base.
   */
  static init(modelConfig: LlamaConfig, config: LoraConfig, seed: number, opts: { trainable?: boolean } = {}): LoraAdapter {
    const lora = parseLoraConfig(config);
    const random = createRandom(seed);
    const weights: WeightMap = new Map();
    for (const { a, b } of loraPairs(modelConfig, lora)) {
      const bound = 1 / Math.sqrt(a.shape[1]);
      weights.set(a.name, { shape: a.shape, data: Float32Array.from({ length: a.shape[0] * a.shape[1] }, () => (2 * random() - 1) * bound) });
      weights.set(b.name, { shape: b.shape, data: new Float32Array(b.shape[0] * b.shape[1]) });
    }
    return new LoraAdapter(modelConfig, lora, weights, opts.trainable ?? true);
  }

  /** An adapter from its config and weights (PEFT names); extra tensors are an error, so a wrong config cannot pass. */
  static fromWeights(modelConfig: LlamaConfig, config: LoraConfig, weights: WeightMap, opts: { trainable?: boolean } = {}): LoraAdapter {
    const lora = parseLoraConfig(config);
    const expected = new Set(loraPairs(modelConfig, lora).flatMap(({ a, b }) => [a.name, b.name]));
    const extra = [...weights.keys()].filter((name) => !expected.has(name));
    if (extra.length > 0) {
      throw new Error(`LoRA adapter: tensor ${extra[0]} is not among the ${expected.size} that r = ${lora.r} and target_modules [${lora.target_modules}] call for`);
    }
    return new LoraAdapter(modelConfig, lora, weights, opts.trainable ?? false);
  }

  /** Whether this adapter changes the base weight with this HF name. */
  adapts(baseWeightName: string): boolean {
    return this.pairs.has(baseWeightName);
  }

  /** (alpha / r) B A, (out, in): what the adapter adds to a base weight. Differentiable; null if not targeted. */
  delta(baseWeightName: string): tf.Tensor2D | null {
    const pair = this.pairs.get(baseWeightName);
    if (!pair) return null;
    const a = this.params.get(pair.a.name)!; // (r, in)
    const b = this.params.get(pair.b.name)!; // (out, r)
    return tf.tidy(() => tf.mul(tf.matMul(b as tf.Tensor2D, a as tf.Tensor2D), this.scale) as tf.Tensor2D);
  }

  toWeightMap(): WeightMap {
    return readWeightMap(this.params);
  }

  dispose(): void {
    for (const tensor of this.params.values()) tensor.dispose();
    this.params.clear();
  }
}

/**
 * Base weights with the adapter merged in: W + (alpha / r) B A for every targeted projection,
 * summed in float64 and rounded once to float32. The other weights are shared, not copied.
 */
export function mergeLora(weights: WeightMap, adapter: LoraAdapter): WeightMap {
  const merged: WeightMap = new Map(weights);
  const adapterWeights = adapter.toWeightMap();
  const r = adapter.config.r;
  for (const pair of loraPairs(adapter.modelConfig, adapter.config)) {
    const base = weights.get(pair.base);
    if (!base) throw new Error(`mergeLora: the base weights lack ${pair.base}`);
    const [out, inputs] = base.shape;
    const a = adapterWeights.get(pair.a.name)!.data; // (r, in)
    const b = adapterWeights.get(pair.b.name)!.data; // (out, r)
    const data = new Float32Array(out * inputs);
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inputs; i++) {
        let update = 0;
        for (let k = 0; k < r; k++) update += b[o * r + k] * a[k * inputs + i];
        data[o * inputs + i] = base.data[o * inputs + i] + adapter.scale * update;
      }
    }
    merged.set(pair.base, { shape: [out, inputs], data });
  }
  return merged;
}

/** The two files PEFT writes for an adapter. */
export interface AdapterFiles {
  'adapter_model.safetensors': Uint8Array;
  /** JSON text */
  'adapter_config.json': string;
}

/** An adapter as PEFT saves it: float32 safetensors under PEFT names, and adapter_config.json. */
export function saveAdapter(adapter: LoraAdapter): AdapterFiles {
  return {
    'adapter_model.safetensors': writeSafetensors(adapter.toWeightMap(), { dtype: 'F32', metadata: { format: 'pt' } }),
    'adapter_config.json': JSON.stringify(loraConfigToJSON(adapter.config), null, 2),
  };
}

/** Reads the files saveAdapter (or PEFT) wrote, for a model with this config. */
export function loadAdapter(modelConfig: LlamaConfig, files: AdapterFiles, opts: { trainable?: boolean } = {}): LoraAdapter {
  let config: unknown;
  try {
    config = JSON.parse(files['adapter_config.json']);
  } catch (error) {
    throw new Error(`adapter_config.json is not JSON: ${(error as Error).message}`);
  }
  return LoraAdapter.fromWeights(modelConfig, parseLoraConfig(config), readSafetensors(files['adapter_model.safetensors']), opts);
}
