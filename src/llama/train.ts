/**
 * Training pieces for the Llama in model.ts, as plain library code that scripts/train.ts calls:
 *
 *   - batches:   examples packed into rows that start at an example boundary, with a loss mask
 *                (all ones for pretraining; only the response tokens for SFT)
 *   - loss:      mean next-token cross-entropy over the positions the mask keeps
 *   - schedule:  linear warmup, then cosine decay to a floor
 *   - clipping:  scale all gradients by min(1, maxNorm / ||g||), ||g|| over every parameter
 *   - AdamW:     Adam with decoupled weight decay, not applied to the RMSNorm weights
 *
 * Nothing here reads files or prints; checkpoints are plain WeightMaps.
 */
import * as tf from '@tensorflow/tfjs';
import type { LlamaModel } from './model';
import { createRandom } from './rng';
import { targetLogProbs } from './tensorMath';
import type { WeightMap } from './weights';

/** One tokenized example. `lossMask[i]` = 1 when token i is a target the loss counts. */
export interface TokenizedExample {
  ids: number[];
  /** Default: every token counts (pretraining). For SFT: 0 on the prompt, 1 on the response. */
  lossMask?: number[];
}

/** A batch as plain arrays; rows are `seqLength` long. */
export interface Batch {
  /** [batch, seq] token ids fed to the model */
  inputs: number[][];
  /** [batch, seq] the next token at each position: targets[b][t] = row[b][t + 1] */
  targets: number[][];
  /** [batch, seq] 1 where the target counts in the loss, else 0 */
  lossMask: number[][];
}

/**
 * All examples laid end to end: one stream of ids and loss-mask values, and where each example
 * starts. Each example should already end with </s> so the model learns where stories end.
 */
export class PackedCorpus {
  readonly ids: Int32Array;
  readonly lossMask: Uint8Array;
  /** Offsets in `ids` where an example starts (its <s>). */
  readonly starts: number[];

  constructor(examples: TokenizedExample[]) {
    const total = examples.reduce((sum, example) => sum + example.ids.length, 0);
    this.ids = new Int32Array(total);
    this.lossMask = new Uint8Array(total);
    this.starts = [];
    let offset = 0;
    for (const example of examples) {
      if (example.lossMask && example.lossMask.length !== example.ids.length) {
        throw new Error(`PackedCorpus: lossMask has ${example.lossMask.length} values for ${example.ids.length} ids`);
      }
      this.starts.push(offset);
      this.ids.set(example.ids, offset);
      this.lossMask.set(example.lossMask ?? new Array(example.ids.length).fill(1), offset);
      offset += example.ids.length;
    }
  }

  get tokenCount(): number {
    return this.ids.length;
  }

  /**
   * The row that starts at example `exampleIndex` and runs on into the following examples:
   * seqLength inputs and the seqLength tokens after them as targets.
   */
  row(exampleIndex: number, seqLength: number): { inputs: number[]; targets: number[]; lossMask: number[] } {
    const start = this.starts[exampleIndex];
    if (start + seqLength + 1 > this.ids.length) {
      throw new Error(`PackedCorpus.row: example ${exampleIndex} starts too close to the end for ${seqLength} tokens`);
    }
    const window = Array.from(this.ids.subarray(start, start + seqLength + 1));
    return {
      inputs: window.slice(0, seqLength),
      targets: window.slice(1),
      lossMask: Array.from(this.lossMask.subarray(start + 1, start + seqLength + 1)),
    };
  }

  /** Examples that have seqLength + 1 tokens from their start to the end of the stream. */
  usableExamples(seqLength: number): number {
    let count = this.starts.length;
    while (count > 0 && this.starts[count - 1] + seqLength + 1 > this.ids.length) count--;
    return count;
  }

  /**
   * The batch for a training step: rows starting at randomly drawn examples. It depends only on
   * (seed, step), so a resumed run sees exactly the batches the uninterrupted run would have.
   */
  randomBatch(batchSize: number, seqLength: number, seed: number, step: number): Batch {
    const random = createRandom(seed * 1_000_003 + step);
    const usable = this.usableExamples(seqLength);
    const rows = Array.from({ length: batchSize }, () => this.row(Math.floor(random() * usable), seqLength));
    return { inputs: rows.map((r) => r.inputs), targets: rows.map((r) => r.targets), lossMask: rows.map((r) => r.lossMask) };
  }

  /** Fixed batches for evaluation: rows from evenly spaced examples, the same every time. */
  evaluationBatches(batchSize: number, seqLength: number, rowCount: number): Batch[] {
    const usable = this.usableExamples(seqLength);
    const batches: Batch[] = [];
    for (let first = 0; first < rowCount; first += batchSize) {
      const rows = [];
      for (let i = first; i < Math.min(first + batchSize, rowCount); i++) {
        rows.push(this.row(Math.floor((i * usable) / rowCount), seqLength));
      }
      batches.push({ inputs: rows.map((r) => r.inputs), targets: rows.map((r) => r.targets), lossMask: rows.map((r) => r.lossMask) });
    }
    return batches;
  }
}

/**
 * Mean cross-entropy of the next token over the masked positions:
 *   loss = sum_{b,t} mask[b,t] * -log softmax(logits[b,t])[target[b,t]] / sum mask
 * logits: [batch, seq, vocab]; targets: [batch, seq] int32; lossMask: [batch, seq] float32.
 */
export function maskedCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D, lossMask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const targetLogProb = targetLogProbs(logits, targets); // [batch, seq]
    const counted = tf.maximum(tf.sum(lossMask), 1);
    return tf.div(tf.neg(tf.sum(tf.mul(targetLogProb, lossMask))), counted) as tf.Scalar;
  });
}

export interface LearningRateSchedule {
  peakLearningRate: number;
  warmupSteps: number;
  totalSteps: number;
  /** The floor the cosine decays to, as a fraction of the peak (e.g. 0.1). */
  finalFraction: number;
}

/**
 * lr(step) for step = 0, 1, ...:
 *   warmup:  peak * (step + 1) / warmupSteps
 *   decay:   floor + (peak - floor) * (1 + cos(pi * progress)) / 2,
 *            progress = (step - warmupSteps) / (totalSteps - warmupSteps), floor = peak * finalFraction
 */
export function learningRateAt(step: number, schedule: LearningRateSchedule): number {
  const { peakLearningRate: peak, warmupSteps, totalSteps, finalFraction } = schedule;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  const floor = peak * finalFraction;
  return floor + ((peak - floor) * (1 + Math.cos(Math.PI * progress))) / 2;
}

/**
 * Global-norm clipping: ||g|| = sqrt(sum over all parameters of sum g^2); when it exceeds
 * maxNorm every gradient is scaled by maxNorm / ||g||. Returns new tensors and the norm before
 * clipping; the caller disposes the input gradients.
 */
export function clipByGlobalNorm(
  grads: Record<string, tf.Tensor>,
  maxNorm: number,
): { clipped: Record<string, tf.Tensor>; globalNorm: number } {
  const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))));
  const globalNorm = norm.dataSync()[0];
  norm.dispose();
  const scale = globalNorm > maxNorm ? maxNorm / globalNorm : 1;
  const clipped: Record<string, tf.Tensor> = {};
  for (const [name, grad] of Object.entries(grads)) clipped[name] = tf.mul(grad, scale);
  return { clipped, globalNorm };
}

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 };

/** RMSNorm weights (1-D) get no weight decay: decaying them would pull the scale toward 0. */
export function isDecayed(name: string, shape: readonly number[]): boolean {
  return shape.length > 1 && !name.endsWith('norm.weight');
}

/**
 * AdamW (Loshchilov & Hutter), with bias correction, for step t = 1, 2, ...:
 *   m = beta1 m + (1 - beta1) g            v = beta2 v + (1 - beta2) g^2
 *   m_hat = m / (1 - beta1^t)              v_hat = v / (1 - beta2^t)
 *   w = w - lr (m_hat / (sqrt(v_hat) + eps) + weightDecay w)   (decay only where isDecayed)
 */
export class AdamW {
  readonly options: AdamWOptions;
  /** Number of updates applied so far (t in the formulas after the next update is t + 1). */
  stepsDone = 0;
  private readonly firstMoments = new Map<string, tf.Variable>();
  private readonly secondMoments = new Map<string, tf.Variable>();

  constructor(private readonly params: Map<string, tf.Variable | tf.Tensor>, options: Partial<AdamWOptions> = {}) {
    this.options = { ...DEFAULT_ADAMW, ...options };
    for (const [name, param] of params) {
      this.firstMoments.set(name, tf.tidy(() => tf.variable(tf.zerosLike(param), false)));
      this.secondMoments.set(name, tf.tidy(() => tf.variable(tf.zerosLike(param), false)));
    }
  }

  apply(grads: Record<string, tf.Tensor>, learningRate: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const t = ++this.stepsDone;
    const correction1 = 1 - beta1 ** t;
    const correction2 = 1 - beta2 ** t;
    tf.tidy(() => {
      for (const [name, param] of this.params) {
        const grad = grads[name];
        if (!grad) throw new Error(`AdamW: no gradient for ${name}`);
        const m = this.firstMoments.get(name)!;
        const v = this.secondMoments.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2)));
        const adamStep = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), epsilon));
        const decay = isDecayed(name, param.shape) ? tf.mul(param, weightDecay) : tf.zerosLike(param);
        (param as tf.Variable).assign(tf.sub(param, tf.mul(tf.add(adamStep, decay), learningRate)));
      }
    });
  }

  /** The moments as a WeightMap ("m.<name>", "v.<name>") for a checkpoint. */
  stateToWeightMap(): WeightMap {
    const state: WeightMap = new Map();
    for (const [prefix, moments] of [['m', this.firstMoments], ['v', this.secondMoments]] as const) {
      for (const [name, moment] of moments) {
        state.set(`${prefix}.${name}`, { shape: [...moment.shape], data: Float32Array.from(moment.dataSync() as Float32Array) });
      }
    }
    return state;
  }

  loadState(state: WeightMap, stepsDone: number): void {
    for (const [prefix, moments] of [['m', this.firstMoments], ['v', this.secondMoments]] as const) {
      for (const [name, moment] of moments) {
        const saved = state.get(`${prefix}.${name}`);
        if (!saved) throw new Error(`AdamW.loadState: the checkpoint lacks ${prefix}.${name}`);
        tf.tidy(() => moment.assign(tf.tensor(saved.data, saved.shape, 'float32')));
      }
    }
    this.stepsDone = stepsDone;
  }

  dispose(): void {
    for (const moment of [...this.firstMoments.values(), ...this.secondMoments.values()]) moment.dispose();
  }
}

/**
 * Loss and gradients of what the model trains (model.trainableParams(): every parameter, or only
 * the LoRA adapter's A and B when one is attached) for one batch, with no update. The embedding
 * lookup defaults to a one-hot matMul because stock wasm lacks the gradient of gather (see
 * useFastWasmEmbeddingGradient in wasmKernels.ts).
 */
export function lossAndGradients(
  model: LlamaModel,
  batch: Batch,
  { embeddingLookup = 'onehot' }: { embeddingLookup?: 'onehot' | 'gather' } = {},
): { loss: number; grads: Record<string, tf.Tensor> } {
  const inputs = tf.tensor2d(batch.inputs, undefined, 'int32'); // [batch, seq]
  const targets = tf.tensor2d(batch.targets, undefined, 'int32'); // [batch, seq]
  const lossMask = tf.tensor2d(batch.lossMask, undefined, 'float32'); // [batch, seq]
  const trained = model.trainableParams();
  const variables = [...trained.values()];
  const { value, grads } = tf.variableGrads(() => {
    const { logits } = model.forward(inputs, { training: true, embeddingLookup });
    return maskedCrossEntropy(logits, targets, lossMask);
  }, variables);
  const loss = value.dataSync()[0];
  value.dispose();
  inputs.dispose();
  targets.dispose();
  lossMask.dispose();
  // variableGrads keys gradients by variable name; give them back under the HF parameter names.
  const byParamName: Record<string, tf.Tensor> = {};
  for (const [name, variable] of trained) byParamName[name] = grads[variable.name];
  return { loss, grads: byParamName };
}

export interface StepResult {
  loss: number;
  globalNorm: number;
  learningRate: number;
}

/** One optimizer step: gradients, global-norm clipping, AdamW at the scheduled learning rate. */
export function trainStep(
  model: LlamaModel,
  optimizer: AdamW,
  batch: Batch,
  opts: { learningRate: number; maxGradNorm: number; embeddingLookup?: 'onehot' | 'gather' },
): StepResult {
  const { loss, grads } = lossAndGradients(model, batch, opts);
  const { clipped, globalNorm } = clipByGlobalNorm(grads, opts.maxGradNorm);
  optimizer.apply(clipped, opts.learningRate);
  tf.dispose([...Object.values(grads), ...Object.values(clipped)]);
  return { loss, globalNorm, learningRate: opts.learningRate };
}

/** Mean masked loss over fixed batches, weighting each batch by how many targets it counts. */
export function evaluateLoss(model: LlamaModel, batches: Batch[]): number {
  let weightedSum = 0;
  let counted = 0;
  for (const batch of batches) {
    const count = batch.lossMask.flat().reduce((a, b) => a + b, 0);
    const loss = tf.tidy(() => {
      const inputs = tf.tensor2d(batch.inputs, undefined, 'int32');
      const { logits } = model.forward(inputs, { embeddingLookup: 'gather' });
      return maskedCrossEntropy(logits, tf.tensor2d(batch.targets, undefined, 'int32'), tf.tensor2d(batch.lossMask, undefined, 'float32'));
    });
    weightedSum += loss.dataSync()[0] * count;
    loss.dispose();
    counted += count;
  }
  return weightedSum / Math.max(1, counted);
}
