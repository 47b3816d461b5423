// The model a chapter's unit tests run: the shipped model when public/models/glass-llama/ has its
// weights, else the tiny random model of scripts/make-tiny-model.ts (before the shipped one lands).
// Tests written against it assert relations (batched = unbatched), never weight-dependent numbers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LlamaModel } from '../../../src/llama/model';
import { Tokenizer } from '../../../src/llama/tokenizer';
import { loadModel } from '../../../scripts/load-model';
import { tinyConfig, tinyTokenizerJSON, tinyWeights } from '../../../scripts/make-tiny-model';

export const SHIPPED_MODEL_DIR = join(import.meta.dirname, '..', '..', '..', 'public', 'models', 'glass-llama');

export interface ChapterModel {
  model: LlamaModel;
  tokenizer: Tokenizer;
  /** 'shipped' or 'tiny', for test names. */
  which: 'shipped' | 'tiny';
}

/** Load on the current tfjs backend (call useBackend first). */
export function loadChapterModel(): ChapterModel {
  if (existsSync(join(SHIPPED_MODEL_DIR, 'model.safetensors'))) {
    const { model, tokenizer } = loadModel(SHIPPED_MODEL_DIR);
    if (!tokenizer) throw new Error(`${SHIPPED_MODEL_DIR} has no tokenizer.json`);
    return { model, tokenizer, which: 'shipped' };
  }
  const config = tinyConfig();
  return { model: LlamaModel.fromWeights(config, tinyWeights(config, 2)), tokenizer: Tokenizer.fromJSON(tinyTokenizerJSON()), which: 'tiny' };
}
