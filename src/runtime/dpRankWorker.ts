/// <reference lib="webworker" />
/**
 * A data-parallel rank in its own Web Worker (the page starts one per rank: dataParallel.ts).
 * It loads the shipped model from this site, runs on the WebAssembly backend (one thread, so K
 * ranks can use K cores), and answers three messages:
 *   init      -> ready     { parameters, backend }
 *   gradients -> gradients { loss, counted, rows, seconds, gradients (transferred) }
 *   apply     -> applied   { globalNorm, fingerprint }
 * Any failure answers { type: 'error', message }.
 */
import * as tf from '@tensorflow/tfjs';
import { loadModelFiles } from '../llama/load';
import { useFastWasmEmbeddingGradient, useFastWasmMatMul } from '../llama/wasmKernels';
import { DataParallelRank, type RankSetup } from './dpRankOps';

export type RankRequest =
  | { type: 'init'; modelUrl: string; wasmPath: string; setup: RankSetup }
  | { type: 'gradients'; step: number }
  | { type: 'apply'; gradients: Float32Array[]; learningRate: number };

declare const self: DedicatedWorkerGlobalScope;

let rank: DataParallelRank | null = null;

/** WebAssembly if it starts (with the training kernels), else plain JavaScript. */
async function startBackend(wasmPath: string): Promise<{ name: string; embeddingLookup: 'onehot' | 'gather' }> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmPath);
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      useFastWasmMatMul();
      useFastWasmEmbeddingGradient();
      return { name: 'wasm', embeddingLookup: 'gather' };
    }
  } catch {
    // fall through to cpu
  }
  await import('@tensorflow/tfjs-backend-cpu'); // see src/runtime/tfjsBrowser.ts
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', embeddingLookup: 'gather' };
}

async function handle(request: RankRequest): Promise<{ reply: unknown; transfer: Transferable[] }> {
  if (request.type === 'init') {
    const directory = new URL(request.modelUrl, self.location.href);
    if (directory.origin !== self.location.origin) throw new Error(`The model must be served by this site (${self.location.origin}).`);
    const backend = await startBackend(request.wasmPath);
    const files = await loadModelFiles({ url: directory.href });
    rank = DataParallelRank.fromFiles(files, { ...request.setup, embeddingLookup: backend.embeddingLookup });
    return { reply: { type: 'ready', parameters: rank.parameters, backend: backend.name, fingerprint: rank.fingerprint() }, transfer: [] };
  }
  if (!rank) throw new Error('This rank has not been started.');
  if (request.type === 'gradients') {
    const result = rank.gradients(request.step);
    return { reply: { type: 'gradients', ...result }, transfer: result.gradients.map((g) => g.buffer) };
  }
  return { reply: { type: 'applied', ...rank.apply(request.gradients, request.learningRate) }, transfer: [] };
}

self.addEventListener('message', (event: MessageEvent<RankRequest>) => {
  handle(event.data).then(
    ({ reply, transfer }) => self.postMessage(reply, { transfer }),
    (error: unknown) => self.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
