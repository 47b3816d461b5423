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
 * The angle per position of each of the heads * d coordinates of a projection: coordinate c of a
 * head belongs to pair c mod d/2 (rotate_half) or floor(c / 2) (interleaved), and turns by theta_pair.
 */
export function columnFrequencies(config: LlamaConfig, seqLen: number, heads: number): Float32Array {
  const d = headDim(config);
  const pairFrequencies = inverseFrequencies(config, seqLen);
  const columns = new Float32Array(heads * d);
  for (let c = 0; c < columns.length; c++) {
    const inHead = c % d;
    columns[c] = pairFrequencies[config.rope_layout === 'rotate_half' ? inHead % (d / 2) : inHead >> 1];
  }
  return columns;
}

/**
 * cos and sin of every (token, coordinate) angle, [batch * seq, heads * d], for rope(x) =
 * x cos + ropePartner(x) sin on projections laid out [batch * seq, heads * d].
 * Positions are either given [batch, seq] (seqLen = longest position + 1, for dynamic NTK) or
 * pastLength, pastLength + 1, ... for every row, computed here without any kernel.
 */
export function ropeTables(
  config: LlamaConfig,
  heads: number,
  batch: number,
  seq: number,
  positions: { pastLength: number } | { positionIds: tf.Tensor2D; seqLen: number },
): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  return tf.tidy(() => {
    const scale = positionScale(config);
    if ('positionIds' in positions) {
      const frequencies = tf.tensor1d(columnFrequencies(config, positions.seqLen, heads)); // [heads * d]
      const scaled = tf.mul(tf.reshape(tf.cast(positions.positionIds, 'float32'), [batch * seq, 1]), scale);
      const angles = tf.mul(scaled, frequencies); // [batch * seq, heads * d]
      return { cos: tf.cos(angles) as tf.Tensor2D, sin: tf.sin(angles) as tf.Tensor2D };
    }
    const frequencies = columnFrequencies(config, positions.pastLength + seq, heads);
    const width = frequencies.length;
    const cos = new Float32Array(seq * width);
    const sin = new Float32Array(seq * width);
    for (let s = 0; s < seq; s++) {
      const position = (positions.pastLength + s) * scale;
      for (let c = 0; c < width; c++) {
        cos[s * width + c] = Math.cos(position * frequencies[c]);
        sin[s * width + c] = Math.sin(position * frequencies[c]);
      }
    }
    // every row of the batch has the same positions
    const repeat = (table: Float32Array) => {
      const tensor = tf.tensor2d(table, [seq, width]);
      return batch === 1 ? tensor : tf.tile(tensor, [batch, 1]);
    };
    return { cos: repeat(cos), sin: repeat(sin) };
  });
}

/**
 * The coordinate each coordinate is rotated with, signed so that rope(x) = x cos + partner(x) sin:
 *   rotate_half   partner(x) = (-x[d/2 .. d), x[0 .. d/2))        (HF's rotate_half)
 *   interleaved   partner(x)[2i] = -x[2i + 1], partner(x)[2i + 1] = x[2i]
 * x is 2-D with its heads * d coordinates on `axis`: 1 for activations [N, heads * d], 0 for a
 * projection weight [heads * d, in], whose partner rows give partner(W x) = partner(W) x.
 */
export function ropePartner(x: tf.Tensor2D, d: number, layout: RopeLayout, axis: 0 | 1): tf.Tensor2D {
  return tf.tidy(() => {
    const [rows, columns] = x.shape;
    const heads = (axis === 0 ? rows : columns) / d;
    // split each head into its two halves (rotate_half) or into its even and odd coordinates
    const pairShape = layout === 'rotate_half' ? [2, d / 2] : [d / 2, 2];
    const pairAxis = (layout === 'rotate_half' ? 1 : 2) + axis;
    const shaped = axis === 0 ? tf.reshape(x, [heads, ...pairShape, columns]) : tf.reshape(x, [rows, heads, ...pairShape]);
    const [first, second] = tf.split(shaped, 2, pairAxis);
    return tf.reshape(tf.concat([tf.neg(second), first], pairAxis), [rows, columns]);
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
