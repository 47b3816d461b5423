/**
 * The key/value cache for incremental decoding: after RoPE, the keys and values of every position
 * already seen, so each new token costs one row of attention instead of a full forward.
 *
 * It holds them in one of two ways. The general forward (prefill, batches, taps) passes past + new
 * and the cache keeps exactly those tensors (set). The one-kernel decode step (decodeKernels.ts)
 * instead writes each new row in place into preallocated buffers [1, kv_heads, capacity, head_dim]
 * (decodeBuffers, then advance), so a step copies nothing; the capacity doubles when it runs out.
 * Either way `keys`, `values` and `length` read the same: [batch, kv_heads, length, head_dim] per
 * layer (from buffers, made on first read after a step and kept until the next).
 */
import * as tf from '@tensorflow/tfjs';

/** Buffers start with room for this many positions (or twice what they must hold, if more). */
const MIN_CAPACITY = 64;

interface Buffers {
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
  length: number;
}

export class KVCache {
  /** Per layer: exactly the cached entries (null before the first call), when not in buffers. */
  private exactKeys: (tf.Tensor4D | null)[];
  private exactValues: (tf.Tensor4D | null)[];
  private buffers: Buffers | null = null;
  /** The first `length` rows of the buffers, made when keys or values are read. */
  private views: { keys: tf.Tensor4D[]; values: tf.Tensor4D[] } | null = null;

  constructor(numLayers: number) {
    this.exactKeys = new Array(numLayers).fill(null);
    this.exactValues = new Array(numLayers).fill(null);
  }

  /** Per layer: rotated keys [batch, kv_heads, length, head_dim], or null before the first call. */
  get keys(): readonly (tf.Tensor4D | null)[] {
    return this.buffers ? this.bufferViews().keys : this.exactKeys;
  }

  /** Per layer: values [batch, kv_heads, length, head_dim]. */
  get values(): readonly (tf.Tensor4D | null)[] {
    return this.buffers ? this.bufferViews().values : this.exactValues;
  }

  get numLayers(): number {
    return this.exactKeys.length;
  }

  /** Number of positions cached (the same in every layer). */
  get length(): number {
    return this.buffers ? this.buffers.length : (this.exactKeys[0]?.shape[2] ?? 0);
  }

  /** Replaces layer i's entries (the forward passes past + new), keeping them out of any tf.tidy. */
  set(layer: number, keys: tf.Tensor4D, values: tf.Tensor4D): void {
    this.leaveBuffers();
    this.exactKeys[layer]?.dispose();
    this.exactValues[layer]?.dispose();
    this.exactKeys[layer] = tf.keep(keys);
    this.exactValues[layer] = tf.keep(values);
  }

  /**
   * For the one-kernel decode step: the buffers, with room for `extra` more positions after
   * `length`, moving the entries into buffers (or into bigger ones) first. Null when the cache
   * holds a batch of more than one row, which the step does not handle.
   */
  decodeBuffers(extra: number): Readonly<Buffers> | null {
    const length = this.length;
    const needed = length + extra;
    const first = this.buffers?.keys[0] ?? this.exactKeys[0];
    if (!first || first.shape[0] !== 1) return null; // nothing cached yet (see startBuffers), or a batch
    if (this.buffers && first.shape[2] >= needed) return this.buffers;
    // the entries so far (exact, or buffers now too small), padded with zero rows to the new capacity
    const capacity = Math.max(MIN_CAPACITY, 2 * needed);
    const grown = (old: tf.Tensor4D | null): tf.Tensor4D => {
      const padded = tf.keep(tf.pad(old!, [[0, 0], [0, 0], [0, capacity - old!.shape[2]], [0, 0]]));
      old!.dispose();
      return padded;
    };
    const source = this.buffers ?? { keys: this.exactKeys, values: this.exactValues };
    const buffers: Buffers = { keys: source.keys.map(grown), values: source.values.map(grown), length };
    this.dropViews();
    this.exactKeys.fill(null);
    this.exactValues.fill(null);
    this.buffers = buffers;
    return buffers;
  }

  /**
   * Allocates empty buffers for a cache that holds nothing yet (the first step from BOS alone),
   * shaped [1, kvHeads, capacity, headDim].
   */
  startBuffers(kvHeads: number, headDim: number): void {
    if (this.length > 0 || this.buffers) return;
    const layers = this.exactKeys.length;
    const make = () => tf.keep(tf.zeros([1, kvHeads, MIN_CAPACITY, headDim]) as tf.Tensor4D);
    this.buffers = { keys: Array.from({ length: layers }, make), values: Array.from({ length: layers }, make), length: 0 };
  }

  /** After the decode step wrote `count` new rows into the buffers. */
  advance(count: number): void {
    if (!this.buffers) throw new Error('KVCache.advance: the cache holds no buffers');
    this.dropViews();
    this.buffers.length += count;
  }

  /** Keeps batch rows in the given order (beam search: each surviving beam picks its parent's cache). */
  selectRows(rows: number[]): void {
    const indices = tf.tensor1d(rows, 'int32');
    for (let i = 0; i < this.exactKeys.length; i++) {
      const keys = this.keys[i];
      const values = this.values[i];
      if (!keys || !values) continue;
      this.set(i, tf.gather(keys, indices, 0), tf.gather(values, indices, 0));
    }
    indices.dispose();
  }

  dispose(): void {
    this.dropViews();
    if (this.buffers) tf.dispose([...this.buffers.keys, ...this.buffers.values]);
    this.buffers = null;
    for (let i = 0; i < this.exactKeys.length; i++) {
      this.exactKeys[i]?.dispose();
      this.exactValues[i]?.dispose();
      this.exactKeys[i] = null;
      this.exactValues[i] = null;
    }
  }

  private bufferViews(): { keys: tf.Tensor4D[]; values: tf.Tensor4D[] } {
    const buffers = this.buffers!;
    if (!this.views) {
      const rows = (buffer: tf.Tensor4D) => tf.keep(tf.slice(buffer, [0, 0, 0, 0], [1, buffer.shape[1], buffers.length, buffer.shape[3]]));
      this.views = { keys: buffers.keys.map(rows), values: buffers.values.map(rows) };
    }
    return this.views;
  }

  private dropViews(): void {
    if (this.views) tf.dispose([...this.views.keys, ...this.views.values]);
    this.views = null;
  }

  /** Back to exact tensors (the general forward is about to replace a layer's entries). */
  private leaveBuffers(): void {
    if (!this.buffers) return;
    const { keys, values } = this.bufferViews();
    this.views = null; // now owned as the exact entries
    tf.dispose([...this.buffers.keys, ...this.buffers.values]);
    this.buffers = null;
    keys.forEach((tensor, layer) => (this.exactKeys[layer] = tensor));
    values.forEach((tensor, layer) => (this.exactValues[layer] = tensor));
  }
}
