/**
 * One data-parallel training worker (a worker_thread). Each worker holds a full copy of the model
 * and of the AdamW state. Every step:
 *   1. the main thread sends each worker its share of the batch; the worker returns its loss,
 *      its count of counted targets and its gradients ("gradients");
 *   2. the main thread averages the gradients, weighted by those counts, and sends the average
 *      to every worker ("apply"); each worker clips and applies it identically, so the copies
 *      stay equal without ever sending weights.
 */
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { LlamaConfig } from '../src/llama/config';
import { LlamaModel } from '../src/llama/model';
import { AdamW, clipByGlobalNorm, evaluateLoss, lossAndGradients, type AdamWOptions, type Batch } from '../src/llama/train';
import { useFastWasmEmbeddingGradient, useFastWasmMatMul } from '../src/llama/wasmKernels';
import type { WeightMap } from '../src/llama/weights';

export type WorkerRequest =
  | { type: 'init'; config: LlamaConfig; seed: number; adamw: Partial<AdamWOptions>; weights?: WeightMap; optimizerState?: WeightMap; stepsDone?: number }
  | { type: 'gradients'; batch: Batch }
  | { type: 'apply'; gradients: Float32Array[]; learningRate: number; maxGradNorm: number }
  | { type: 'evaluate'; batches: Batch[] }
  | { type: 'export' };

export type WorkerReply =
  | { type: 'ready'; parameterNames: string[] }
  | { type: 'gradients'; loss: number; counted: number; gradients: Float32Array[] }
  | { type: 'applied'; globalNorm: number }
  | { type: 'evaluated'; loss: number }
  | { type: 'exported'; weights: WeightMap; optimizerState: WeightMap; stepsDone: number }
  | { type: 'error'; message: string };

let model: LlamaModel | undefined;
let optimizer: AdamW | undefined;

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  if (request.type === 'init') {
    setWasmPaths(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
    await tf.setBackend('wasm');
    await tf.ready();
    useFastWasmMatMul();
    useFastWasmEmbeddingGradient();
    model = request.weights
      ? LlamaModel.fromWeights(request.config, request.weights, { trainable: true })
      : LlamaModel.init(request.config, request.seed, { trainable: true });
    optimizer = new AdamW(model.params, request.adamw);
    if (request.optimizerState) optimizer.loadState(request.optimizerState, request.stepsDone ?? 0);
    return { type: 'ready', parameterNames: [...model.params.keys()] };
  }
  if (!model || !optimizer) throw new Error('train-worker: send "init" first');
  if (request.type === 'gradients') {
    const { loss, grads } = lossAndGradients(model, request.batch, { embeddingLookup: 'gather' });
    // A copy, so transferring it can never detach the wasm heap.
    const gradients = [...model.params.keys()].map((name) => new Float32Array(grads[name].dataSync() as Float32Array));
    tf.dispose(Object.values(grads));
    const counted = request.batch.lossMask.flat().reduce((a, b) => a + b, 0);
    return { type: 'gradients', loss, counted, gradients };
  }
  if (request.type === 'apply') {
    const grads: Record<string, tf.Tensor> = {};
    [...model.params].forEach(([name, param], i) => (grads[name] = tf.tensor(request.gradients[i], param.shape)));
    const { clipped, globalNorm } = clipByGlobalNorm(grads, request.maxGradNorm);
    optimizer.apply(clipped, request.learningRate);
    tf.dispose([...Object.values(grads), ...Object.values(clipped)]);
    return { type: 'applied', globalNorm };
  }
  if (request.type === 'evaluate') return { type: 'evaluated', loss: evaluateLoss(model, request.batches) };
  return { type: 'exported', weights: model.toWeightMap(), optimizerState: optimizer.stateToWeightMap(), stepsDone: optimizer.stepsDone };
}

parentPort?.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => {
      const transfer = reply.type === 'gradients' ? reply.gradients.map((g) => g.buffer as ArrayBuffer) : [];
      parentPort!.postMessage(reply, transfer);
    },
    (error: Error) => parentPort!.postMessage({ type: 'error', message: error.stack ?? String(error) }),
  );
});
