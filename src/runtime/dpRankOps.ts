/**
 * One rank of the in-browser data-parallel group: a full trainable copy of the model and its own
 * AdamW state, in its own Web Worker (dpRankWorker.ts). Every rank builds the same global batch
 * from (seed, step) and keeps only its shard of the rows (src/llama/dataParallel.ts shardBatch, as
 * a DistributedSampler does); the page averages the ranks' gradients (the all-reduce) and sends
 * the average back, and every rank clips and applies it identically, so the copies stay equal.
 *
 * No worker globals here, so tests/unit/dp-rank.test.ts runs it in Node as the worker does.
 */
import * as tf from '@tensorflow/tfjs';
import { shardBatch, shardRows, weightsFingerprint } from '../llama/dataParallel';
import type { ModelFiles } from '../llama/load';
import { LlamaModel } from '../llama/model';
import { Tokenizer } from '../llama/tokenizer';
import { AdamW, clipByGlobalNorm, lossAndGradients, PackedCorpus } from '../llama/train';
import type { WeightMap } from '../llama/weights';

/** What every rank of a group is told at the start (the same for all but `rank`). */
export interface RankSetup {
  rank: number;
  ranks: number;
  /** The bug: every rank takes rank 0's rows. */
  sameData: boolean;
  /** The training texts (each becomes <s> text </s>, packed). */
  texts: string[];
  /** Rows of the global batch (split over the ranks), and tokens per row. */
  batchSize: number;
  seqLength: number;
  seed: number;
  maxGradNorm: number;
  /** 'gather' where the backend has UnsortedSegmentSum (cpu, or wasm with useFastWasmEmbeddingGradient). */
  embeddingLookup?: 'onehot' | 'gather';
}

/** What a rank sends after its forward and backward pass on its shard. */
export interface RankGradientsReply {
  rank: number;
  step: number;
  /** Mean loss over this rank's counted targets (its local loss). */
  loss: number;
  counted: number;
  /** Which rows of the global batch this rank trained on. */
  rows: number[];
  /** Seconds this rank spent on its forward and backward pass. */
  seconds: number;
  /** One flat array per parameter, in model.params order. */
  gradients: Float32Array[];
}

export interface RankAppliedReply {
  rank: number;
  /** The gradient's global norm before clipping (the same on every rank: they apply the same average). */
  globalNorm: number;
  /** weightsFingerprint of the rank's weights after the update. */
  fingerprint: string;
}

export class DataParallelRank {
  readonly setup: RankSetup;
  readonly parameterNames: string[];
  readonly parameters: number;
  private readonly model: LlamaModel;
  private readonly optimizer: AdamW;
  private readonly corpus: PackedCorpus;

  private constructor(model: LlamaModel, corpus: PackedCorpus, setup: RankSetup) {
    this.model = model;
    this.corpus = corpus;
    this.setup = setup;
    this.optimizer = new AdamW(model.params);
    this.parameterNames = [...model.params.keys()];
    this.parameters = [...model.params.values()].reduce((sum, p) => sum + p.size, 0);
  }

  /** A rank from the model's files (loadModelFiles): its tokenizer encodes the texts. */
  static fromFiles(files: ModelFiles, setup: RankSetup): DataParallelRank {
    if (!files.tokenizer) throw new Error('The data-parallel figure needs a tokenizer to read its training texts.');
    const tokenizer = new Tokenizer(files.tokenizer);
    const examples = setup.texts.map((text) => ({ ids: [...tokenizer.encode(text, { bos: true }), tokenizer.eosId] }));
    return DataParallelRank.fromExamples(files.config, files.weights, examples, setup);
  }

  static fromExamples(config: ModelFiles['config'], weights: ModelFiles['weights'], examples: { ids: number[] }[], setup: RankSetup): DataParallelRank {
    if (setup.batchSize % setup.ranks !== 0) throw new Error(`A batch of ${setup.batchSize} rows does not split evenly over ${setup.ranks} ranks.`);
    const corpus = new PackedCorpus(examples);
    if (corpus.usableExamples(setup.seqLength) === 0) throw new Error(`The training texts are shorter than one row of ${setup.seqLength} tokens.`);
    return new DataParallelRank(LlamaModel.fromWeights(config, weights, { trainable: true }), corpus, setup);
  }

  /** The global batch of a step (the same on every rank), and this rank's shard of it. */
  private shard(step: number) {
    const { batchSize, seqLength, seed, rank, ranks, sameData } = this.setup;
    const batch = this.corpus.randomBatch(batchSize, seqLength, seed, step);
    const rows = shardRows(
      Array.from({ length: batchSize }, (_, i) => i),
      rank,
      ranks,
      { sameData },
    );
    return { batch: shardBatch(batch, rank, ranks, { sameData }), rows };
  }

  /** Forward and backward on this rank's shard of step `step`'s batch. */
  gradients(step: number): RankGradientsReply {
    const start = performance.now();
    const { batch, rows } = this.shard(step);
    const { loss, grads } = lossAndGradients(this.model, batch, { embeddingLookup: this.setup.embeddingLookup ?? 'onehot' });
    const gradients = this.parameterNames.map((name) => Float32Array.from(grads[name].dataSync() as Float32Array));
    tf.dispose(Object.values(grads));
    const counted = batch.lossMask.flat().reduce((a, b) => a + b, 0);
    return { rank: this.setup.rank, step, loss, counted, rows, seconds: (performance.now() - start) / 1000, gradients };
  }

  /** Clip the all-reduced gradients by their global norm and take one AdamW step. */
  apply(gradients: readonly Float32Array[], learningRate: number): RankAppliedReply {
    if (gradients.length !== this.parameterNames.length) throw new Error(`apply: ${gradients.length} gradients for ${this.parameterNames.length} parameters`);
    const grads: Record<string, tf.Tensor> = {};
    this.parameterNames.forEach((name, i) => (grads[name] = tf.tensor(gradients[i], this.model.params.get(name)!.shape)));
    const { clipped, globalNorm } = clipByGlobalNorm(grads, this.setup.maxGradNorm);
    this.optimizer.apply(clipped, learningRate);
    tf.dispose([...Object.values(grads), ...Object.values(clipped)]);
    return { rank: this.setup.rank, globalNorm, fingerprint: this.fingerprint() };
  }

  /** weightsFingerprint of the current weights. */
  fingerprint(): string {
    return weightsFingerprint([...this.model.params.values()].map((p) => p.dataSync() as Float32Array));
  }

  /** A copy of the current weights (for tests). */
  weights(): WeightMap {
    return this.model.toWeightMap();
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}
