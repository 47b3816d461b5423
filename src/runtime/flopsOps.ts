/**
 * The FLOPs chapter's op (timeMatmulChain): src/llama/matmulChain.ts with the runtime's limit on
 * the matrices' size. No worker globals, so unit tests run it in Node as the worker does.
 */
import { timeMatmulChain, type MatmulChainTiming } from '../llama/matmulChain';
import { formatCount } from './limits';
import { MATMUL_MAX_VALUES } from './inspectOps';
import type { TimeMatmulChainArgs } from './messages';

/** timeMatmulChain on the current backend, refused beyond MATMUL_MAX_VALUES (as timeMatmul is). */
export async function timeMatmulChainOf({ m, k, n, reps, minMs }: TimeMatmulChainArgs): Promise<MatmulChainTiming> {
  const values = m * k + k * n + m * n;
  if (Number.isFinite(values) && values > MATMUL_MAX_VALUES) {
    throw new Error(`timeMatmulChain: [${m}, ${k}] × [${k}, ${n}] needs ${formatCount(values)} values; at most ${formatCount(MATMUL_MAX_VALUES)} (64 MiB of float32).`);
  }
  return timeMatmulChain(m, k, n, { ...(reps === undefined ? {} : { reps }), ...(minMs === undefined ? {} : { minMs }) });
}
