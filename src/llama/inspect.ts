/**
 * Looking inside the engine while it runs, for the chapters on memory and speed:
 *
 *   kvCacheInfo(cache, { layer, head })  what the KV cache holds: shape per layer, bytes, dtype,
 *                                        and the keys and values of one layer and head
 *   timeMatmul(m, k, n, { reps })        how long an [m, k] x [k, n] product takes on the current
 *                                        backend, next to its 2 m k n floating-point operations
 *   profileDecodeStep(model, promptIds)  the kernels one decode step launches, counted by name,
 *                                        and the step's floating-point operations (decodeStepFlops)
 *
 * Nothing here changes the model or the cache, and each function disposes what it makes.
 */
import * as tf from '@tensorflow/tfjs';
import { stepLogits } from './generate';
import { KVCache } from './kvcache';
import { headDim, type LlamaConfig } from './config';
import { checkTokenIds, type LlamaModel } from './model';

export interface KVCacheLayerInfo {
  layer: number;
  /** rotated keys [batch, kv_heads, length, head_dim]; null before the first forward */
  keysShape: number[] | null;
  /** values [batch, kv_heads, length, head_dim] */
  valuesShape: number[] | null;
  /** keys and values together */
  bytes: number;
}

export interface KVCacheInfo {
  /** positions cached (the same in every layer) */
  length: number;
  dtype: string;
  bytesPerValue: number;
  layers: KVCacheLayerInfo[];
  /** every layer's keys and values */
  totalBytes: number;
  /** the chosen layer and head of batch row `row`: keys and values [length][head_dim] */
  contents?: { layer: number; head: number; row: number; keys: number[][]; values: number[][] };
}

const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2 };

/**
 * What a KVCache holds. With `layer` and `head` it also reads back that head's keys (after RoPE)
 * and values for batch row `row` (default 0). Throws, naming the bound, on a layer, head or row
 * outside the cache.
 */
export async function kvCacheInfo(cache: KVCache, opts: { layer?: number; head?: number; row?: number } = {}): Promise<KVCacheInfo> {
  const first = cache.keys.find((keys) => keys !== null);
  const dtype = first?.dtype ?? 'float32';
  const bytesPerValue = BYTES_PER_VALUE[dtype] ?? 4;
  const layers = cache.keys.map((keys, layer) => {
    const values = cache.values[layer];
    return {
      layer,
      keysShape: keys ? [...keys.shape] : null,
      valuesShape: values ? [...values.shape] : null,
      bytes: ((keys?.size ?? 0) + (values?.size ?? 0)) * bytesPerValue,
    };
  });
  const info: KVCacheInfo = { length: cache.length, dtype, bytesPerValue, layers, totalBytes: layers.reduce((sum, l) => sum + l.bytes, 0) };
  if (opts.layer === undefined && opts.head === undefined) return info;

  const layer = opts.layer ?? 0;
  const head = opts.head ?? 0;
  const row = opts.row ?? 0;
  const within = (name: string, value: number, size: number) => {
    if (!Number.isInteger(value) || value < 0 || value >= size) throw new Error(`kvCacheInfo: ${name} ${value} is outside [0, ${size})`);
  };
  within('layer', layer, cache.keys.length);
  const keys = cache.keys[layer];
  const values = cache.values[layer];
  if (!keys || !values) throw new Error(`kvCacheInfo: layer ${layer} holds nothing yet (run a forward with this cache first)`);
  const [batch, kvHeads, length, d] = keys.shape;
  within('row', row, batch);
  within('head', head, kvHeads);
  const read = async (tensor: tf.Tensor4D) => {
    const slice = tf.slice(tensor, [row, head, 0, 0], [1, 1, length, d]);
    const data = await slice.data();
    slice.dispose();
    return Array.from({ length }, (_, t) => Array.from(data.subarray(t * d, (t + 1) * d)));
  };
  info.contents = { layer, head, row, keys: await read(keys), values: await read(values) };
  return info;
}

export interface MatmulTiming {
  m: number;
  k: number;
  n: number;
  /** 2 m k n: one multiply and one add per term of each of the m n dot products */
  flops: number;
  /** median wall time of one product, including reading the result back (so GPU work is finished) */
  ms: number;
  /** flops / seconds / 1e9 */
  gflops: number;
  reps: number;
  backend: string;
}

/**
 * Times tf.matMul of a [m, k] by a [k, n] random matrix on the current backend: one warm-up
 * product (shader compilation, memory), then `reps` timed ones (default 5); reports the median.
 * Timings are measurements for a benchmark or a chapter's table, never something to assert.
 */
export async function timeMatmul(m: number, k: number, n: number, { reps = 5 }: { reps?: number } = {}): Promise<MatmulTiming> {
  for (const [name, value] of [['m', m], ['k', k], ['n', n], ['reps', reps]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`timeMatmul: ${name} must be a positive integer. Received ${value}.`);
  }
  const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
  const once = async () => {
    const started = performance.now();
    const product = tf.matMul(a, b);
    await product.data();
    product.dispose();
    return performance.now() - started;
  };
  try {
    await once();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await once());
    times.sort((x, y) => x - y);
    const ms = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
    const flops = 2 * m * k * n;
    return { m, k, n, flops, ms, gflops: flops / (ms / 1000) / 1e9, reps, backend: tf.getBackend() };
  } finally {
    a.dispose();
    b.dispose();
  }
}

export interface DecodeStepProfile {
  /** kernels by name: how many times each ran and their summed time (ms, as the backend reports it) */
  kernels: { name: string; count: number; ms: number }[];
  /** every kernel launch of the step */
  kernelCount: number;
  kernelMs: number;
  /** tokens in the cache when the step ran */
  cachedTokens: number;
  /** the step's multiply-adds, counted from the config (decodeStepFlops with cachedTokens + 1 keys) */
  flops: DecodeStepFlops;
  backend: string;
}

export interface DecodeStepFlops {
  /** q/k/v, o, gate/up and down of every layer: 2 x (weights of those matrices) */
  projections: number;
  /** every layer's q·k scores and probability-weighted values: 4 x heads x head_dim x keys */
  attention: number;
  /** the classifier: 2 x hidden x vocab */
  lmHead: number;
  total: number;
}

/**
 * Floating-point operations of one decode step (one new token attending to `keys` positions,
 * itself included), counting 2 per multiply-add of the matrix products. The element-wise work
 * (RMSNorm, RoPE, softmax, SiLU, residual adds) is O(hidden) per layer and left out; so is the
 * embedding lookup, which reads one row and multiplies nothing.
 */
export function decodeStepFlops(config: LlamaConfig, keys: number): DecodeStepFlops {
  const hidden = config.hidden_size;
  const d = headDim(config);
  const q = config.num_attention_heads * d;
  const kv = config.num_key_value_heads * d;
  const ffn = config.intermediate_size;
  const layers = config.num_hidden_layers;
  // per layer: x·[Wq Wk Wv], attn·Wo, x·[Wgate Wup], act·Wdown
  const projections = layers * 2 * (hidden * (q + 2 * kv) + q * hidden + 2 * hidden * ffn + ffn * hidden);
  // each query head: keys dot products of length d, then a weighted sum of keys vectors of length d
  const attention = layers * config.num_attention_heads * 4 * d * keys;
  const lmHead = 2 * hidden * config.vocab_size;
  return { projections, attention, lmHead, total: projections + attention + lmHead };
}

/**
 * One decode step as generate() runs it (one new token against a KV cache of the prompt, then
 * only the last logits row read back), under tf.profile: every kernel it launches, counted by
 * name, most frequent first. A warm-up step runs first so one-time work is not counted.
 * `token` is the token fed in the step (default: the prompt's last).
 */
export async function profileDecodeStep(model: LlamaModel, promptIds: number[], { token }: { token?: number } = {}): Promise<DecodeStepProfile> {
  const fed = token ?? promptIds[promptIds.length - 1];
  checkTokenIds([promptIds], model.config.vocab_size);
  checkTokenIds([[fed]], model.config.vocab_size);
  if (promptIds.length + 2 > model.config.max_position_embeddings) {
    throw new Error(`profileDecodeStep: the prompt has ${promptIds.length} tokens; the context (${model.config.max_position_embeddings}) needs room for 2 more`);
  }
  const cache = new KVCache(model.config.num_hidden_layers);
  try {
    await stepLogits(model, [promptIds], cache);
    await stepLogits(model, [[fed]], cache); // warm-up
    const cachedTokens = cache.length;
    const profile = await tf.profile(() => stepLogits(model, [[fed]], cache));
    const byName = new Map<string, { count: number; ms: number }>();
    for (const kernel of profile.kernels) {
      const entry = byName.get(kernel.name) ?? { count: 0, ms: 0 };
      entry.count++;
      entry.ms += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
      byName.set(kernel.name, entry);
    }
    const kernels = [...byName].map(([name, { count, ms }]) => ({ name, count, ms })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    return {
      kernels,
      kernelCount: profile.kernels.length,
      kernelMs: kernels.reduce((sum, kernel) => sum + kernel.ms, 0),
      cachedTokens,
      flops: decodeStepFlops(model.config, cachedTokens + 1),
      backend: tf.getBackend(),
    };
  } finally {
    cache.dispose();
  }
}
