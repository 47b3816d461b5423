/**
 * Greedy decoding one token at a time, watched: after the prefill, every step feeds the last
 * chosen token against the KV cache (as generate() does) and, if asked, also recomputes the whole
 * prefix from scratch without a cache (as `use_cache=False` does), timing both and checking that
 * they give the same logits. Reports the cache's bytes after each step and, at the end, one layer
 * and KV head's cached keys and values. Uses only the public cache API (KVCache, kvCacheInfo,
 * stepLogits), so the decode path's internals may change underneath it.
 */
import * as tf from '@tensorflow/tfjs';
import { stepLogits } from './generate';
import { kvCacheInfo } from './inspect';
import { KVCache } from './kvcache';
import { checkTokenIds, type LlamaModel } from './model';
import { argmax } from './sampling';

export interface DecodeTimelineOptions {
  /** decode steps after the prefill (each feeds one token); 0 = the prefill alone */
  steps: number;
  /** also recompute the whole prefix without a cache at every step */
  recompute?: boolean;
  /** the layer and KV head whose keys and values are returned */
  layer?: number;
  head?: number;
  /** run the prefill once untimed first, so one-time work (shader compilation) is not timed */
  warmup?: boolean;
  /** Called after each step; return false (or resolve to false) to stop. */
  onStep?: (step: DecodeTimelineStep) => void | boolean | Promise<void | boolean>;
}

export interface DecodeTimelineStep {
  /** 1 for the first decode step */
  index: number;
  /** the token fed in this step (chosen greedily from the previous logits) */
  tokenId: number;
  /** tokens in the cache after the step */
  cachedTokens: number;
  /** every layer's keys and values after the step */
  cacheBytes: number;
  /** wall time of the step with the cache, logits read back included */
  cacheMs: number;
  /** wall time of a full forward over the whole prefix without a cache */
  recomputeMs?: number;
  /** largest |difference| between the two ways' logits */
  maxLogitDifference?: number;
}

export interface DecodeTimeline {
  promptIds: number[];
  /** the prefill: the prompt in one forward, into an empty cache */
  prefillMs: number;
  /** the greedy token after each forward: newIds[0] after the prefill, newIds[i] after step i */
  newIds: number[];
  steps: DecodeTimelineStep[];
  /** cache bytes after the prefill */
  prefillBytes: number;
  dtype: string;
  bytesPerValue: number;
  /** the chosen layer and KV head at the end: rotated keys and values [cachedTokens][head_dim] */
  contents: { layer: number; head: number; keys: number[][]; values: number[][] };
  backend: string;
}

/** Logits of the last position after a forward of all `ids` with no cache kept: the recompute way. */
async function recomputeLast(model: LlamaModel, ids: number[]): Promise<Float32Array> {
  const scratch = new KVCache(model.config.num_hidden_layers); // filled and dropped: nothing reused
  try {
    const [logits] = await stepLogits(model, [ids], scratch);
    return logits;
  } finally {
    scratch.dispose();
  }
}

export async function decodeTimeline(model: LlamaModel, promptIds: number[], opts: DecodeTimelineOptions): Promise<DecodeTimeline> {
  const config = model.config;
  const { steps, recompute = false, layer = 0, head = 0 } = opts;
  if (promptIds.length === 0) throw new Error('decodeTimeline needs at least one prompt token.');
  checkTokenIds([promptIds], config.vocab_size);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be a whole number >= 0. Received ${steps}.`);
  if (promptIds.length + steps > config.max_position_embeddings) {
    throw new Error(`${promptIds.length} prompt tokens + ${steps} steps exceed the model's context of ${config.max_position_embeddings} tokens.`);
  }
  if (!Number.isInteger(layer) || layer < 0 || layer >= config.num_hidden_layers) throw new Error(`layer ${layer} is outside [0, ${config.num_hidden_layers})`);
  if (!Number.isInteger(head) || head < 0 || head >= config.num_key_value_heads) throw new Error(`head ${head} is outside [0, ${config.num_key_value_heads}) (KV heads)`);

  if (opts.warmup) await recomputeLast(model, promptIds);
  const cache = new KVCache(config.num_hidden_layers);
  try {
    let started = performance.now();
    let [logits] = await stepLogits(model, [promptIds], cache);
    const prefillMs = performance.now() - started;
    const prefillBytes = (await kvCacheInfo(cache)).totalBytes;
    const ids = [...promptIds];
    const newIds = [argmax(logits)];
    const timeline: DecodeTimelineStep[] = [];
    for (let index = 1; index <= steps; index++) {
      const fed = newIds[newIds.length - 1];
      ids.push(fed);
      started = performance.now();
      [logits] = await stepLogits(model, [[fed]], cache);
      const cacheMs = performance.now() - started;
      const step: DecodeTimelineStep = { index, tokenId: fed, cachedTokens: cache.length, cacheBytes: (await kvCacheInfo(cache)).totalBytes, cacheMs };
      if (recompute) {
        started = performance.now();
        const full = await recomputeLast(model, ids);
        step.recomputeMs = performance.now() - started;
        let worst = 0;
        for (let i = 0; i < full.length; i++) worst = Math.max(worst, Math.abs(full[i] - logits[i]));
        step.maxLogitDifference = worst;
      }
      newIds.push(argmax(logits));
      timeline.push(step);
      if ((await opts.onStep?.(step)) === false) break;
    }
    const info = await kvCacheInfo(cache, { layer, head });
    const contents = info.contents!;
    return {
      promptIds,
      prefillMs,
      newIds,
      steps: timeline,
      prefillBytes,
      dtype: info.dtype,
      bytesPerValue: info.bytesPerValue,
      contents: { layer, head, keys: contents.keys, values: contents.values },
      backend: tf.getBackend(),
    };
  } finally {
    cache.dispose();
  }
}
