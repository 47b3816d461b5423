/**
 * Looking inside one forward pass: the logit lens and knocking a piece out.
 *
 * Logit lens (nostalgebraist 2020, "interpreting GPT: the logit lens"): the residual stream after
 * the embedding and after each layer, put through the model's own final RMSNorm and output layer,
 * as if the model stopped there. After the last layer this is exactly the model's logits.
 *
 * Knock-outs: one weight tensor (or one head's slice of it) set to zero, so that piece adds
 * nothing to the residual stream:
 *   head        layer N's o_proj columns h·d .. (h+1)·d: head h's output never reaches the stream
 *   attention   layer N's whole o_proj: the layer's attention adds nothing
 *   mlp         layer N's down_proj: the layer's MLP adds nothing
 *   final_norm  model.norm.weight: every logit is 0, the next-token distribution is uniform
 */
import * as tf from '@tensorflow/tfjs';
import { headDim, type LlamaConfig } from './config';
import type { LlamaModel } from './model';
import { checkTokenIds } from './model';
import { layerTap, type TapName } from './taps';
import { EMBED_TOKENS, FINAL_NORM, layerWeightNames, LM_HEAD, type WeightMap } from './weights';

// ----------------------------------------------------------------------------- logit lens

export interface LogitLensResult {
  /** The position read (0-based). */
  position: number;
  /** Stage names: 'embed', then 'layers.0.out' ... one per layer. */
  stages: TapName[];
  /** [stages.length][vocab]: final_norm then lm_head applied to each stage's residual at `position`. */
  logits: Float32Array[];
  /** Euclidean length of the residual stream at `position` after each stage. */
  residualNorms: number[];
  /** The model's own logits at `position` (equal to the last stage's lens, up to float32 rounding). */
  modelLogits: Float32Array;
}

/** The residual stream's stages the lens reads: the embedding, then each layer's output. */
export function lensStages(numLayers: number): TapName[] {
  return ['embed', ...Array.from({ length: numLayers }, (_, layer) => layerTap(layer, 'out'))];
}

/**
 * One forward of `ids` (one sequence) and the logit lens at `position` (default: the last).
 * Leaks no tensor.
 */
export async function logitLens(model: LlamaModel, ids: number[], position = ids.length - 1): Promise<LogitLensResult> {
  checkTokenIds([ids], model.config.vocab_size);
  if (!Number.isInteger(position) || position < 0 || position >= ids.length) {
    throw new Error(`logitLens: position ${position} is outside the prompt's ${ids.length} tokens [0, ${ids.length}).`);
  }
  const { config } = model;
  const stages = lensStages(config.num_hidden_layers);
  const hidden = config.hidden_size;
  const input = tf.tensor2d([ids], undefined, 'int32');
  const { logits, taps } = model.forward(input, { taps: stages });
  input.dispose();
  try {
    const [lens, streams, own] = tf.tidy(() => {
      // [stages, hidden]: each stage's residual at the position
      const rows = tf.concat(stages.map((name) => tf.reshape(tf.slice(taps.get(name)!, [0, position, 0], [1, 1, hidden]), [1, hidden])));
      const meanSquare = tf.mean(tf.square(rows), -1, true);
      const normed = tf.mul(tf.mul(rows, tf.rsqrt(tf.add(meanSquare, config.rms_norm_eps))), model.params.get(FINAL_NORM)!);
      const output = model.params.get(config.tie_word_embeddings ? EMBED_TOKENS : LM_HEAD)!; // [vocab, hidden]
      return [tf.matMul(normed, output, false, true), rows, tf.reshape(tf.slice(logits, [0, position, 0], [1, 1, config.vocab_size]), [config.vocab_size])];
    });
    const vocab = config.vocab_size;
    const lensData = (await lens.data()) as Float32Array;
    const streamData = (await streams.data()) as Float32Array;
    const modelLogits = Float32Array.from((await own.data()) as Float32Array);
    tf.dispose([lens, streams, own]);
    return {
      position,
      stages,
      logits: stages.map((_, i) => lensData.slice(i * vocab, (i + 1) * vocab)),
      residualNorms: stages.map((_, i) => {
        let squares = 0;
        for (let j = i * hidden; j < (i + 1) * hidden; j++) squares += streamData[j] * streamData[j];
        return Math.sqrt(squares);
      }),
      modelLogits,
    };
  } finally {
    logits.dispose();
    for (const tensor of taps.values()) tensor.dispose();
  }
}

// ----------------------------------------------------------------------------- knock-outs

export type KnockOut =
  | { kind: 'head'; layer: number; head: number }
  | { kind: 'attention'; layer: number }
  | { kind: 'mlp'; layer: number }
  | { kind: 'final_norm' };

export const KNOCK_OUT_KINDS = ['head', 'attention', 'mlp', 'final_norm'] as const;

/** The tensor a knock-out zeroes and which of its values: [start, end) of each row (all of it when null). */
export function knockOutPlan(config: LlamaConfig, target: KnockOut): { name: string; columns: [number, number] | null } {
  const checkLayer = (layer: number) => {
    if (!Number.isInteger(layer) || layer < 0 || layer >= config.num_hidden_layers) {
      throw new Error(`Knock-out: layer ${layer} is outside the model's layers 0 to ${config.num_hidden_layers - 1}.`);
    }
  };
  switch (target.kind) {
    case 'head': {
      checkLayer(target.layer);
      if (!Number.isInteger(target.head) || target.head < 0 || target.head >= config.num_attention_heads) {
        throw new Error(`Knock-out: head ${target.head} is outside the model's heads 0 to ${config.num_attention_heads - 1}.`);
      }
      const d = headDim(config);
      return { name: layerWeightNames(target.layer).o, columns: [target.head * d, (target.head + 1) * d] };
    }
    case 'attention':
      checkLayer(target.layer);
      return { name: layerWeightNames(target.layer).o, columns: null };
    case 'mlp':
      checkLayer(target.layer);
      return { name: layerWeightNames(target.layer).down, columns: null };
    case 'final_norm':
      return { name: FINAL_NORM, columns: null };
    default:
      throw new Error(`Knock-out: unknown kind ${JSON.stringify((target as { kind: unknown }).kind)}; expected one of ${KNOCK_OUT_KINDS.join(', ')}.`);
  }
}

/** A copy of `data` (shape [rows, cols] or [n]) with the plan's values set to 0, and how many there were. */
function zeroed(data: Float32Array, shape: readonly number[], columns: [number, number] | null): { data: Float32Array; count: number } {
  const copy = Float32Array.from(data);
  if (columns === null) return { data: copy.fill(0), count: copy.length };
  const width = shape[shape.length - 1];
  const rows = copy.length / width;
  for (let row = 0; row < rows; row++) copy.fill(0, row * width + columns[0], row * width + columns[1]);
  return { data: copy, count: rows * (columns[1] - columns[0]) };
}

/** The weights with one piece knocked out (a new map; only the zeroed tensor is copied). */
export function knockOutWeights(config: LlamaConfig, weights: WeightMap, target: KnockOut): { weights: WeightMap; zeroedValues: number } {
  const { name, columns } = knockOutPlan(config, target);
  const tensor = weights.get(name);
  if (!tensor) throw new Error(`Knock-out: the weights have no tensor ${name}.`);
  const { data, count } = zeroed(tensor.data, tensor.shape, columns);
  const result: WeightMap = new Map(weights);
  result.set(name, { shape: [...tensor.shape], data });
  return { weights: result, zeroedValues: count };
}

/**
 * Knocks a piece out of a trainable model in place (its parameters are tf.Variables; a frozen
 * model refuses). Returns how many values were set to 0.
 */
export function knockOutInPlace(model: LlamaModel, target: KnockOut): number {
  if (!model.trainable) throw new Error('Knock-out: this model is frozen; knock pieces out of a trainable copy.');
  const { name, columns } = knockOutPlan(model.config, target);
  const variable = model.params.get(name) as tf.Variable | undefined;
  if (!variable) throw new Error(`Knock-out: the model has no parameter ${name}.`);
  const { data, count } = zeroed(variable.dataSync() as Float32Array, variable.shape, columns);
  tf.tidy(() => variable.assign(tf.tensor(data, variable.shape, 'float32')));
  return count;
}
