/**
 * Matmul throughput for the FLOPs chapter's benchmark: an [m, k] × [k, n] product run many times
 * back to back, as a model's kernels run, with one read-back at the end (so GPU work has finished).
 * inspect.ts's timeMatmul reads back every product; for small sizes that one product finishes
 * faster than a worker's clock can tell (0.1 ms without cross-origin isolation) and reads as 0 ms.
 * Here the chain doubles until one timed run lasts at least `minMs`, so even a 16 × 16 product gets
 * a time: the chain's median time / its length.
 */
import * as tf from '@tensorflow/tfjs';

export interface MatmulChainTiming {
  m: number;
  k: number;
  n: number;
  /** 2 m k n, for one product */
  flops: number;
  /** products per timed run (a power of two) */
  chain: number;
  /** median time of a run / chain: the time of one product within a chain */
  ms: number;
  /** timed runs after the calibration */
  reps: number;
  backend: string;
}

/** Doubles the chain until a run takes minMs (at most maxChain products), then times `reps` runs. */
export async function timeMatmulChain(
  m: number,
  k: number,
  n: number,
  { reps = 3, minMs = 20, maxChain = 4096 }: { reps?: number; minMs?: number; maxChain?: number } = {},
): Promise<MatmulChainTiming> {
  for (const [name, value] of [['m', m], ['k', k], ['n', n], ['reps', reps], ['maxChain', maxChain]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`timeMatmulChain: ${name} must be a positive integer. Received ${value}.`);
  }
  if (!(minMs >= 0)) throw new Error(`timeMatmulChain: minMs must be 0 or more. Received ${minMs}.`);
  const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
  /** Runs `count` products, each freed once the next is queued, and reads back the last. */
  const run = async (count: number) => {
    const started = performance.now();
    let last: tf.Tensor | null = null;
    for (let i = 0; i < count; i++) {
      const product = tf.matMul(a, b);
      last?.dispose();
      last = product;
    }
    await last!.data();
    last!.dispose();
    return performance.now() - started;
  };
  try {
    await run(1); // warm-up: shader compilation, memory
    let chain = 1;
    while (chain < maxChain && (await run(chain)) < minMs) chain = Math.min(maxChain, chain * 2);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await run(chain));
    times.sort((x, y) => x - y);
    const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
    return { m, k, n, flops: 2 * m * k * n, chain, ms: median / chain, reps, backend: tf.getBackend() };
  } finally {
    a.dispose();
    b.dispose();
  }
}
