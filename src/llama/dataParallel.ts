/**
 * Data parallelism, the arithmetic: K ranks each hold the whole model, each takes its own shard of
 * the global batch, and after the backward pass the ranks average their gradients (an all-reduce)
 * so that every rank applies the same update and the copies stay identical.
 *
 *   shard:      rank k of K takes rows k, k + K, k + 2K, ... of the batch (as PyTorch's
 *               DistributedSampler takes indices[rank::num_replicas])
 *   all-reduce: g = sum_k (n_k / N) g_k, where g_k is rank k's mean gradient over its n_k counted
 *               targets and N = sum_k n_k. This is exactly the gradient of the mean loss over all N
 *               targets, because that loss is sum_k (n_k / N) loss_k and the gradient is linear.
 *               With equal n_k it is the plain mean (what DDP's all-reduce divided by K computes).
 *
 * Plain TypeScript on arrays, no tfjs: the page's coordinator imports it, and so do the tests.
 */

/** What one rank sends to the all-reduce: its mean gradients and how many targets they average. */
export interface RankGradients {
  /** Counted (loss-mask = 1) targets in this rank's shard. */
  counted: number;
  /** One flat array per parameter, in the same order on every rank. */
  gradients: readonly Float32Array[];
}

/**
 * The rows rank `rank` of `ranks` takes from a batch of `rows`: every K-th row starting at its
 * rank. With `sameData` (the bug of a sampler that ignores the rank) every rank takes rank 0's rows.
 */
export function shardRows<T>(rows: readonly T[], rank: number, ranks: number, { sameData = false }: { sameData?: boolean } = {}): T[] {
  if (!Number.isInteger(ranks) || ranks < 1) throw new Error(`shardRows: ranks must be a whole number ≥ 1, received ${ranks}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= ranks) throw new Error(`shardRows: rank ${rank} is outside [0, ${ranks})`);
  if (rows.length % ranks !== 0) throw new Error(`shardRows: a batch of ${rows.length} rows does not split evenly over ${ranks} ranks`);
  const taken = sameData ? 0 : rank;
  return rows.filter((_, row) => row % ranks === taken);
}

/** A batch's rows for one rank: inputs, targets and loss mask split the same way. */
export function shardBatch<Batch extends { inputs: number[][]; targets: number[][]; lossMask: number[][] }>(
  batch: Batch,
  rank: number,
  ranks: number,
  opts: { sameData?: boolean } = {},
): { inputs: number[][]; targets: number[][]; lossMask: number[][] } {
  return {
    inputs: shardRows(batch.inputs, rank, ranks, opts),
    targets: shardRows(batch.targets, rank, ranks, opts),
    lossMask: shardRows(batch.lossMask, rank, ranks, opts),
  };
}

/**
 * The all-reduce of data parallelism: the average of the ranks' gradients, each weighted by its
 * share of the counted targets (sums in float64). Every rank then applies this same result.
 */
export function allReduceGradients(ranks: readonly RankGradients[]): Float32Array[] {
  if (ranks.length === 0) throw new Error('allReduceGradients: no ranks');
  const total = ranks.reduce((sum, rank) => sum + rank.counted, 0);
  if (!(total > 0)) throw new Error('allReduceGradients: no rank counted any target');
  const first = ranks[0].gradients;
  for (const [k, rank] of ranks.entries()) {
    if (rank.gradients.length !== first.length) throw new Error(`allReduceGradients: rank ${k} sent ${rank.gradients.length} parameters, rank 0 sent ${first.length}`);
    rank.gradients.forEach((g, p) => {
      if (g.length !== first[p].length) throw new Error(`allReduceGradients: parameter ${p} has ${g.length} values on rank ${k}, ${first[p].length} on rank 0`);
    });
  }
  return first.map((_, p) => {
    const sum = new Float64Array(first[p].length);
    for (const rank of ranks) {
      const weight = rank.counted / total;
      const g = rank.gradients[p];
      for (let i = 0; i < sum.length; i++) sum[i] += weight * g[i];
    }
    return Float32Array.from(sum);
  });
}

/** The loss every rank logs: the ranks' mean losses weighted by their counted targets. */
export function allReduceLoss(ranks: readonly { loss: number; counted: number }[]): number {
  const total = ranks.reduce((sum, rank) => sum + rank.counted, 0);
  if (!(total > 0)) throw new Error('allReduceLoss: no rank counted any target');
  return ranks.reduce((sum, rank) => sum + (rank.loss * rank.counted) / total, 0);
}

/** Samples per optimizer step: micro-batch per device x devices x gradient-accumulation steps. */
export function globalBatchSize(microBatch: number, devices: number, accumulation = 1): number {
  return microBatch * devices * accumulation;
}

/**
 * A fingerprint of a model's weights (FNV-1a over the float32 bytes, as 8 hex digits): equal on
 * every rank exactly when their weights are bit-for-bit equal (up to a 2^-32 chance).
 */
export function weightsFingerprint(params: readonly Float32Array[]): string {
  let hash = 0x811c9dc5;
  for (const values of params) {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    for (let i = 0; i < bytes.length; i++) {
      hash ^= bytes[i];
      hash = Math.imul(hash, 0x01000193);
    }
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
