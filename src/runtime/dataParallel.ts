/**
 * Data parallelism in the page: K Web Workers (dpRankWorker.ts), each a rank with its own copy of
 * the model, and this coordinator as the all-reduce. One step:
 *   1. every rank computes its loss and gradients on its shard of the global batch (in parallel);
 *   2. the page averages the gradients, weighted by counted targets (allReduceGradients);
 *   3. every rank clips and applies that same average with AdamW and reports a fingerprint of its
 *      weights, so the page can show that the copies are still bit-for-bit equal.
 * Step times are measured here, wall clock, from the request to the last rank's update.
 * It runs beside the page's model worker (client.ts), not in it; the group is the caller's to dispose.
 */
import { allReduceGradients, allReduceLoss } from '../llama/dataParallel';
import type { RankAppliedReply, RankGradientsReply, RankSetup } from './dpRankOps';
import type { RankRequest } from './dpRankWorker';

export interface DataParallelOptions {
  ranks: number;
  sameData: boolean;
  /** The model directory on this site. */
  modelUrl: string;
  /** Where the tfjs WebAssembly binaries are served. */
  wasmPath: string;
  texts: string[];
  batchSize: number;
  seqLength: number;
  seed: number;
  learningRate: number;
  maxGradNorm: number;
}

export interface DataParallelStep {
  step: number;
  /** Each rank's loss on its own shard, and how many targets it counted. */
  rankLosses: number[];
  rankCounted: number[];
  /** Rows of the global batch each rank trained on. */
  rankRows: number[][];
  /** The all-reduced loss: what every rank would log. */
  loss: number;
  /** Global norm of the averaged gradient, before clipping. */
  globalNorm: number;
  /** Tokens in the global batch this step (batchSize × seqLength: the bug repeats rows, it does not add any). */
  tokens: number;
  /** Wall-clock seconds of the whole step; the slowest rank's forward and backward; the all-reduce here. */
  seconds: number;
  computeSeconds: number;
  reduceSeconds: number;
  /** Each rank's weights fingerprint after the update. */
  fingerprints: string[];
}

type Reply =
  | { type: 'ready'; parameters: number; backend: string; fingerprint: string }
  | ({ type: 'gradients' } & RankGradientsReply)
  | ({ type: 'applied' } & RankAppliedReply)
  | { type: 'error'; message: string };

export const MAX_RANKS = 4;

export class DataParallelGroup {
  readonly options: DataParallelOptions;
  readonly workers: Worker[];
  /** Set by start(): the backend of rank 0, the parameter count, the fingerprint before training. */
  backend = '';
  parameters = 0;
  startFingerprints: string[] = [];
  private stepsDone = 0;
  private disposed = false;

  private constructor(options: DataParallelOptions, createWorker: (rank: number) => Worker) {
    this.options = options;
    this.workers = Array.from({ length: options.ranks }, (_, rank) => createWorker(rank));
  }

  /** Starts K rank workers and loads the model in each. */
  static async start(
    options: DataParallelOptions,
    createWorker: (rank: number) => Worker = (rank) => new Worker(new URL('./dpRankWorker.ts', import.meta.url), { type: 'module', name: `glass-llama-rank-${rank}` }),
  ): Promise<DataParallelGroup> {
    if (!Number.isInteger(options.ranks) || options.ranks < 1 || options.ranks > MAX_RANKS) throw new Error(`Ranks must be a whole number from 1 to ${MAX_RANKS}; received ${options.ranks}.`);
    const group = new DataParallelGroup(options, createWorker);
    try {
      const ready = await Promise.all(
        group.workers.map((worker, rank) => {
          const setup: RankSetup = {
            rank,
            ranks: options.ranks,
            sameData: options.sameData,
            texts: options.texts,
            batchSize: options.batchSize,
            seqLength: options.seqLength,
            seed: options.seed,
            maxGradNorm: options.maxGradNorm,
          };
          return group.ask(worker, { type: 'init', modelUrl: options.modelUrl, wasmPath: options.wasmPath, setup }, 'ready');
        }),
      );
      group.backend = ready[0].backend;
      group.parameters = ready[0].parameters;
      group.startFingerprints = ready.map((r) => r.fingerprint);
    } catch (error) {
      group.dispose();
      throw error;
    }
    return group;
  }

  private ask<T extends Reply['type']>(worker: Worker, request: RankRequest, expect: T, transfer: Transferable[] = []): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
      };
      const onMessage = (event: MessageEvent<Reply>) => {
        cleanup();
        if (event.data.type === 'error') reject(new Error(event.data.message));
        else if (event.data.type !== expect) reject(new Error(`A rank answered ${event.data.type}, expected ${expect}.`));
        else resolve(event.data as Extract<Reply, { type: T }>);
      };
      const onError = (event: ErrorEvent) => {
        cleanup();
        reject(new Error(`A rank's worker failed: ${event.message || 'it could not start'}`));
      };
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
      worker.postMessage(request, transfer);
    });
  }

  /** One data-parallel step; steps are numbered from 0 and pick their batch by (seed, step). */
  async step(): Promise<DataParallelStep> {
    if (this.disposed) throw new Error('This data-parallel group has been stopped.');
    const step = this.stepsDone;
    const start = performance.now();
    const replies = await Promise.all(this.workers.map((worker) => this.ask(worker, { type: 'gradients', step }, 'gradients')));
    const reduceStart = performance.now();
    const averaged = allReduceGradients(replies);
    const loss = allReduceLoss(replies);
    const reduceSeconds = (performance.now() - reduceStart) / 1000;
    // Each rank gets its own copy of the average (a transfer empties the sender's buffers).
    const applied = await Promise.all(
      this.workers.map((worker, rank) => {
        const copy = rank === this.workers.length - 1 ? averaged : averaged.map((g) => g.slice());
        return this.ask(worker, { type: 'apply', gradients: copy, learningRate: this.options.learningRate }, 'applied', copy.map((g) => g.buffer));
      }),
    );
    this.stepsDone++;
    return {
      step,
      rankLosses: replies.map((r) => r.loss),
      rankCounted: replies.map((r) => r.counted),
      rankRows: replies.map((r) => r.rows),
      loss,
      globalNorm: applied[0].globalNorm,
      tokens: this.options.batchSize * this.options.seqLength,
      seconds: (performance.now() - start) / 1000,
      computeSeconds: Math.max(...replies.map((r) => r.seconds)),
      reduceSeconds,
      fingerprints: applied.map((a) => a.fingerprint),
    };
  }

  /** Ends the rank workers (and their models). */
  dispose(): void {
    this.disposed = true;
    for (const worker of this.workers) worker.terminate();
  }
}
