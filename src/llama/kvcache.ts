/**
 * The key/value cache for incremental decoding: after RoPE, the keys and values of every position
 * already seen, so each new token costs one row of attention instead of a full forward.
 */
import * as tf from '@tensorflow/tfjs';

export class KVCache {
  /** Per layer: rotated keys [batch, kv_heads, length, head_dim], or null before the first call. */
  readonly keys: (tf.Tensor4D | null)[];
  /** Per layer: values [batch, kv_heads, length, head_dim]. */
  readonly values: (tf.Tensor4D | null)[];

  constructor(numLayers: number) {
    this.keys = new Array(numLayers).fill(null);
    this.values = new Array(numLayers).fill(null);
  }

  /** Number of positions cached (the same in every layer). */
  get length(): number {
    return this.keys[0]?.shape[2] ?? 0;
  }

  /** Replaces layer i's entries (the forward passes past + new), keeping them out of any tf.tidy. */
  set(layer: number, keys: tf.Tensor4D, values: tf.Tensor4D): void {
    this.keys[layer]?.dispose();
    this.values[layer]?.dispose();
    this.keys[layer] = tf.keep(keys);
    this.values[layer] = tf.keep(values);
  }

  /** Keeps batch rows in the given order (beam search: each surviving beam picks its parent's cache). */
  selectRows(rows: number[]): void {
    const indices = tf.tensor1d(rows, 'int32');
    for (let i = 0; i < this.keys.length; i++) {
      const keys = this.keys[i];
      const values = this.values[i];
      if (!keys || !values) continue;
      this.set(i, tf.gather(keys, indices, 0), tf.gather(values, indices, 0));
    }
    indices.dispose();
  }

  dispose(): void {
    for (let i = 0; i < this.keys.length; i++) {
      this.keys[i]?.dispose();
      this.values[i]?.dispose();
      this.keys[i] = null;
      this.values[i] = null;
    }
  }
}
