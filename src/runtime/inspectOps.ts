/**
 * The inspection ops (kvCache, timeMatmul, profileDecodeStep): the engine's functions in
 * src/llama/inspect.ts, run on a session's model, with the runtime's limits on what a page may ask.
 * No worker globals here, so unit tests run these ops in Node exactly as the worker runs them.
 */
import { stepLogits } from '../llama/generate';
import { kvCacheInfo, profileDecodeStep, timeMatmul } from '../llama/inspect';
import { KVCache } from '../llama/kvcache';
import { checkTokenIds, type LlamaModel } from '../llama/model';
import { formatCount } from './limits';
import type { DecodeProfileResult, KVCacheResult, TimeMatmulArgs } from './messages';

/** The most float32 values the three matrices of a timed product may hold together (64 MiB). */
export const MATMUL_MAX_VALUES = 2 ** 24;

/**
 * Runs the prompt through the model into a fresh KV cache (one forward, as generate's prefill),
 * then reports what the cache holds (kvCacheInfo) and, with `layer` and `head`, that head's
 * rotated keys and values, [tokens][head_dim]. The cache is freed before it returns.
 */
export async function kvCacheOf(model: LlamaModel, ids: number[], { layer, head }: { layer?: number; head?: number } = {}): Promise<KVCacheResult> {
  if (ids.length === 0) throw new Error('kvCache needs at least one token.');
  checkTokenIds([ids], model.config.vocab_size);
  const cache = new KVCache(model.config.num_hidden_layers);
  try {
    await stepLogits(model, [ids], cache);
    const info = await kvCacheInfo(cache, layer === undefined && head === undefined ? {} : { layer, head });
    const { dtype, bytesPerValue, layers, totalBytes, contents } = info;
    return {
      inputIds: ids,
      length: info.length,
      dtype,
      bytesPerValue,
      layers,
      totalBytes,
      ...(contents ? { contents: { layer: contents.layer, head: contents.head, keys: contents.keys, values: contents.values } } : {}),
    };
  } finally {
    cache.dispose();
  }
}

/**
 * timeMatmul on the current backend, refused beyond MATMUL_MAX_VALUES so a page cannot ask the
 * worker for more memory than a phone has.
 */
export async function timeMatmulOf({ m, k, n, reps }: TimeMatmulArgs): Promise<Awaited<ReturnType<typeof timeMatmul>>> {
  const values = m * k + k * n + m * n;
  if (Number.isFinite(values) && values > MATMUL_MAX_VALUES) {
    throw new Error(`timeMatmul: [${m}, ${k}] × [${k}, ${n}] needs ${formatCount(values)} values; at most ${formatCount(MATMUL_MAX_VALUES)} (64 MiB of float32).`);
  }
  return timeMatmul(m, k, n, reps === undefined ? {} : { reps });
}

/**
 * One decode step after the prompt as generate runs it (profileDecodeStep): the kernels it
 * launches by name, and `flops`, the step's multiply-adds counted from the config.
 */
export async function profileDecodeStepOf(model: LlamaModel, ids: number[], token?: number): Promise<DecodeProfileResult> {
  if (ids.length === 0) throw new Error('profileDecodeStep needs at least one prompt token.');
  const profile = await profileDecodeStep(model, ids, token === undefined ? {} : { token });
  return { ...profile, inputIds: ids };
}
