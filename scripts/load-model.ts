/**
 * Loading a model from disk in Node, for the CLI and the benchmarks. The browser loads the same
 * files over HTTP in src/runtime/worker.ts.
 *
 * PATH may be
 *   - a directory with config.json and one .safetensors file (tokenizer.json optional),
 *   - a .safetensors file with config.json beside it (tokenizer.json beside it optional),
 *   - a llama2.c checkpoint (.bin), which carries its own config and has no tokenizer here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { parseConfig, type LlamaConfig } from '../src/llama/config';
import { readLlama2c } from '../src/llama/llama2c';
import { LlamaModel } from '../src/llama/model';
import { readSafetensors } from '../src/llama/safetensors';
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
  if (statSync(path).isDirectory()) {
    const safetensors = readdirSync(path).filter((file) => file.endsWith('.safetensors'));
    if (safetensors.length !== 1) {
      throw new Error(
        `--model ${path}: expected one .safetensors file in the directory, found ${safetensors.length}.`,
      );
    }
    return readSafetensorsModel(join(path, safetensors[0]));
  }
  if (path.endsWith('.safetensors')) return readSafetensorsModel(path);
  if (path.endsWith('.bin')) {
    const { config, weights } = readLlama2c(readFileSync(path));
    return { config, weights, tokenizer: null, weightsPath: path };
  }
  throw new Error(
    `--model ${path}: expected a model directory, a .safetensors file or a llama2.c .bin file.`,
  );
}

function readSafetensorsModel(weightsPath: string): ModelFiles {
  const directory = dirname(weightsPath);
  const configPath = join(directory, 'config.json');
  if (!existsSync(configPath)) {
    throw new Error(`--model: ${basename(weightsPath)} needs a config.json beside it in ${directory}.`);
  }
  const config = parseConfig(JSON.parse(readFileSync(configPath, 'utf8')));
  const weights = readSafetensors(readFileSync(weightsPath));
  const tokenizerPath = join(directory, 'tokenizer.json');
  const tokenizer = existsSync(tokenizerPath)
    ? Tokenizer.fromJSON(JSON.parse(readFileSync(tokenizerPath, 'utf8')))
    : null;
  return { config, weights, tokenizer, weightsPath };
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
