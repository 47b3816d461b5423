// The model a chapter's unit tests run: the shipped model in public/models/glass-llama/.
import { join } from 'node:path';
import type { LlamaModel } from '../../../src/llama/model';
import type { Tokenizer } from '../../../src/llama/tokenizer';
import { loadModel } from '../../../scripts/load-model';

export const SHIPPED_MODEL_DIR = join(import.meta.dirname, '..', '..', '..', 'public', 'models', 'glass-llama');

export interface ChapterModel {
  model: LlamaModel;
  tokenizer: Tokenizer;
}

/** Load on the current tfjs backend (call useBackend first). */
export function loadChapterModel(): ChapterModel {
  const { model, tokenizer } = loadModel(SHIPPED_MODEL_DIR);
  if (!tokenizer) throw new Error(`${SHIPPED_MODEL_DIR} has no tokenizer.json`);
  return { model, tokenizer };
}
