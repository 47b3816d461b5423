/**
 * Rotary position embedding (RoPE, Su et al. 2021).
 *
 * A head vector of width d is cut into d/2 pairs; pair i is a point in the plane, rotated by the
 * angle m * theta_i at position m, with theta_i = base^(-2i/d). Because a rotation by m then a
 * rotation by -n is a rotation by m - n, the score q_m . k_n depends only on the offset m - n.
 *
 * Two layouts say which coordinates form pair i:
 *   rotate_half  (Hugging Face): (x[i], x[i + d/2])
 *   interleaved  (Meta, llama2.c): (x[2i], x[2i + 1])
 * Both give the same scores once the rows of W_q and W_k are permuted, see
 * permuteInterleavedToRotateHalf.
 */
import * as tf from '@tensorflow/tfjs';
import { headDim, type LlamaConfig, type RopeLayout } from './config';

/**
 * The base after context-extension scaling, for a forward whose longest position is seqLen - 1.
 * Only 'dynamic' (NTK-aware) changes the base, and only past the original context, by the
 * Hugging Face rule base * (factor * seqLen / original - (factor - 1)) ^ (d / (d - 2)).
 */
export function ropeBase(config: LlamaConfig, seqLen: number): number {
  const scaling = config.rope_scaling;
  const base = config.rope_theta;
  if (scaling?.rope_type !== 'dynamic') return base;
  const original = scaling.original_max_position_embeddings ?? config.max_position_embeddings;
  if (seqLen <= original) return base;
  const d = headDim(config);
  return base * (scaling.factor * seqLen / original - (scaling.factor - 1)) ** (d / (d - 2));
}

/** theta_i = base^(-2i/d) for i < d/2: the angle each pair turns per position. */
export function inverseFrequencies(config: LlamaConfig, seqLen: number): Float32Array {
  const d = headDim(config);
  const base = ropeBase(config, seqLen);
  const frequencies = new Float32Array(d / 2);
  for (let i = 0; i < d / 2; i++) frequencies[i] = 1 / base ** ((2 * i) / d);
  return frequencies;
}

/**
 * The position RoPE uses: linear scaling (position interpolation) divides it by the factor so a
 * context `factor` times longer maps into the trained range.
 */
export function positionScale(config: LlamaConfig): number {
  return config.rope_scaling?.rope_type === 'linear' ? 1 / config.rope_scaling.factor : 1;
}

/**
 * cos and sin of every (position, pair) angle.
 * positionIds: [batch, seq]; returns cos, sin: [batch, 1, seq, d/2] (the 1 broadcasts over heads).
 */
export function ropeAngles(
  config: LlamaConfig,
  positionIds: tf.Tensor2D,
  seqLen: number,
): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  return tf.tidy(() => {
    const frequencies = tf.tensor1d(inverseFrequencies(config, seqLen)); // [d/2]
    const positions = tf.mul(tf.cast(positionIds, 'float32'), positionScale(config)); // [batch, seq]
    const angles = tf.mul(tf.expandDims(positions, 2), frequencies).expandDims(1) as tf.Tensor4D; // [batch, 1, seq, d/2]
    return { cos: tf.cos(angles), sin: tf.sin(angles) };
  });
}

/**
 * Rotates every pair of x: [batch, heads, seq, d] by its angle.
 * For pair (a, b): a' = a cos - b sin, b' = a sin + b cos.
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D, layout: RopeLayout): tf.Tensor4D {
  return tf.tidy((): tf.Tensor4D => {
    const [batch, heads, seq, d] = x.shape;
    if (layout === 'rotate_half') {
      const [a, b] = tf.split(x, 2, 3); // each [batch, heads, seq, d/2]
      return tf.concat([tf.sub(tf.mul(a, cos), tf.mul(b, sin)), tf.add(tf.mul(a, sin), tf.mul(b, cos))], 3) as tf.Tensor4D;
    }
    const pairs = tf.reshape(x, [batch, heads, seq, d / 2, 2]);
    const [a, b] = tf.split(pairs, 2, 4); // each [batch, heads, seq, d/2, 1]
    const cos5 = tf.expandDims(cos, 4);
    const sin5 = tf.expandDims(sin, 4);
    const rotated = tf.concat([tf.sub(tf.mul(a, cos5), tf.mul(b, sin5)), tf.add(tf.mul(a, sin5), tf.mul(b, cos5))], 4);
    return tf.reshape(rotated, [batch, heads, seq, d]);
  });
}

/**
 * Reorders the rows of a q or k projection weight [heads * d, in] from the interleaved layout to
 * rotate_half: within each head, row 2i goes to i and row 2i + 1 goes to i + d/2. This is the
 * permutation Hugging Face's convert_llama_weights_to_hf applies to Meta checkpoints; with it, a
 * rotate_half model computes exactly the attention scores of the interleaved one.
 */
export function permuteInterleavedToRotateHalf(weight: Float32Array, heads: number, d: number): Float32Array {
  const columns = weight.length / (heads * d);
  if (!Number.isInteger(columns)) {
    throw new Error(`permuteInterleavedToRotateHalf: ${weight.length} values is not heads (${heads}) * head_dim (${d}) rows`);
  }
  const out = new Float32Array(weight.length);
  for (let head = 0; head < heads; head++) {
    for (let row = 0; row < d; row++) {
      const pair = row >> 1;
      const target = (row % 2) * (d / 2) + pair;
      const from = (head * d + row) * columns;
      out.set(weight.subarray(from, from + columns), (head * d + target) * columns);
    }
  }
  return out;
}
