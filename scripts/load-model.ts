/**
 * Loading a model from disk in Node, for the CLI, the benchmarks and the tests: the files are read
 * and handed to the engine's one loader (src/llama/load.ts parseModelFiles), the same code that
 * loads a model in the page's worker, so the errors are the same too.
 *
 * PATH may be
 *   - a directory with config.json and one .safetensors file (tokenizer.json optional),
 *   - a .safetensors file with config.json beside it (tokenizer.json beside it optional),
 *   - a llama2.c checkpoint (.bin), which carries its own config (tokenizer.json beside it optional).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { LlamaConfig } from '../src/llama/config';
import { parseModelFiles } from '../src/llama/load';
import { LlamaModel } from '../src/llama/model';
import { Tokenizer } from '../src/llama/tokenizer';
import type { WeightMap } from '../src/llama/weights';
import { chooseBackend, type BackendInfo } from '../src/runtime/backend';

export const NODE_BACKENDS = ['wasm', 'cpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export interface ModelFiles {
  config: LlamaConfig;
  weights: WeightMap;
  tokenizer: Tokenizer | null;
  /** What was read, for messages: the weight file's path. */
  weightsPath: string;
}

/** Reads config, weights and (when present) tokenizer.json; throws a message naming the path. */
export function readModelFiles(path: string): ModelFiles {
  if (!existsSync(path)) throw new Error(`--model ${path}: no such file or directory.`);
  const isDirectory = statSync(path).isDirectory();
  if (!isDirectory && !path.endsWith('.safetensors') && !path.endsWith('.bin')) {
    throw new Error(`--model ${path}: expected a model directory, a .safetensors file or a llama2.c .bin file.`);
  }
  const directory = isDirectory ? path : dirname(path);
  // the weights asked for, and the config and tokenizer beside them
  const names = isDirectory
    ? readdirSync(path).filter((name) => /\.(safetensors|bin)$|^(config|tokenizer)\.json$/.test(name))
    : [path.slice(directory.length + 1), ...['config.json', 'tokenizer.json'].filter((name) => existsSync(join(directory, name)))];
  if (isDirectory && names.some((name) => name.endsWith('.safetensors'))) names.splice(0, names.length, ...names.filter((name) => !name.endsWith('.bin')));
  const files = new Map(names.map((name) => [join(directory, name), new Uint8Array(readFileSync(join(directory, name)))]));
  try {
    const { config, weights, tokenizer, weightsName } = parseModelFiles(files);
    return { config, weights, tokenizer: tokenizer ? Tokenizer.fromJSON(tokenizer) : null, weightsPath: weightsName };
  } catch (error) {
    throw new Error(`--model ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Starts the wasm or cpu backend in Node (no fallback: the caller asked for this one). */
export function useNodeBackend(name: NodeBackend): Promise<BackendInfo> {
  const require = createRequire(import.meta.url);
  // tfjs-backend-wasm reads its .wasm files from this directory (a path, with a trailing slash).
  const wasmPath = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');
  return chooseBackend({ wasmPath }, { requested: name, fallback: false });
}

/** readModelFiles + a LlamaModel on the current backend. */
export function loadModel(path: string): { model: LlamaModel; tokenizer: Tokenizer | null } {
  const { config, weights, tokenizer } = readModelFiles(path);
  return { model: LlamaModel.fromWeights(config, weights), tokenizer };
}
