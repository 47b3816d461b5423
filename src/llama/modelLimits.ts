/**
 * What a model brought by the reader must be for this page to run it, checked by the loader before
 * any tensor exists, each refusal a sentence that names the problem:
 *
 * - what the engine implements: a Llama (LlamaForCausalLM) with no biases, RoPE scaling of the
 *   linear or dynamic kind, and an output matrix that is tied or not as config.json says;
 * - what a browser tab holds: the size of the files, the parameters, the vocabulary and the
 *   context (a request may be as long as the context, and attention keeps [heads, tokens, tokens]
 *   scores per layer, so the context is limited too).
 */
import type { LlamaConfig } from './config';
import { expectedWeightShapes, EMBED_TOKENS, LM_HEAD, shapeSize, type WeightMap } from './weights';

export interface ModelLimits {
  /** The most bytes all files together may have. */
  maxFileBytes: number;
  maxParameters: number;
  maxVocab: number;
  /** The most positions (max_position_embeddings). */
  maxContext: number;
}

/**
 * The limits for a model the reader loads into the page: stories42M of llama2.c (42 million
 * parameters, 167 MB) fits, TinyLlama (1.1 billion) does not.
 */
export const READER_MODEL_LIMITS: ModelLimits = {
  maxFileBytes: 300 * 1024 * 1024,
  maxParameters: 80_000_000,
  maxVocab: 65_536,
  maxContext: 2048,
};

/** 1612 -> "1,612". */
const count = (value: number) => value.toLocaleString('en-US');

/** Megabytes with one decimal, as a reader's file manager shows them. */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Every weight the config calls for, counted (the tied output matrix once). */
export function parameterCount(config: LlamaConfig): number {
  let total = 0;
  for (const shape of expectedWeightShapes(config).values()) total += shapeSize(shape);
  return total;
}

/**
 * Of the files a reader picked (a whole folder, say), the ones a model is made of: config.json,
 * tokenizer.json, .safetensors and .bin files, and no .bin when there is a .safetensors (a
 * Hugging Face folder often holds the same weights as pytorch_model.bin too).
 */
export function selectModelFiles<File extends { name: string }>(files: readonly File[]): File[] {
  const baseName = (file: File) => file.name.split(/[\\/]/).at(-1)!;
  const wanted = files.filter((file) => /^(config|tokenizer)\.json$|\.(safetensors|bin)$/.test(baseName(file)));
  const hasSafetensors = wanted.some((file) => baseName(file).endsWith('.safetensors'));
  return hasSafetensors ? wanted.filter((file) => !baseName(file).endsWith('.bin')) : wanted;
}

/** Refuses files larger together than the limit, before they are read. */
export function checkFileSizes(files: readonly { name: string; size: number }[], limits: ModelLimits): void {
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (total > limits.maxFileBytes) {
    throw new Error(
      `These files are ${formatMegabytes(total)} together; this page loads at most ${formatMegabytes(limits.maxFileBytes)} of model into the browser.`,
    );
  }
}

/**
 * Refuses, in config.json itself (before parseConfig fills in defaults), what the engine does not
 * implement: another architecture, biases, a RoPE scaling of another kind.
 */
export function checkConfigFeatures(raw: unknown, fileName: string): void {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return; // parseConfig names this
  const json = raw as Record<string, unknown>;
  const architectures = json.architectures;
  if (Array.isArray(architectures) && architectures.length > 0 && !architectures.includes('LlamaForCausalLM')) {
    throw new Error(`${fileName} describes a ${architectures.join(', ')} model; this page runs Llama models (LlamaForCausalLM) only.`);
  }
  if (typeof json.model_type === 'string' && json.model_type !== 'llama') {
    throw new Error(`${fileName} describes a model of type "${json.model_type}"; this page runs Llama models (model_type "llama") only.`);
  }
  for (const [field, where] of [
    ['attention_bias', 'attention projections'],
    ['mlp_bias', 'MLP projections'],
  ] as const) {
    if (json[field] === true) throw new Error(`${fileName} asks for biases in the ${where} (${field}: true); this page's Llama has none.`);
  }
  const scaling = json.rope_scaling as Record<string, unknown> | null | undefined;
  const scalingType = scaling && typeof scaling === 'object' ? (scaling.rope_type ?? scaling.type) : undefined;
  if (scalingType !== undefined && scalingType !== 'linear' && scalingType !== 'dynamic') {
    throw new Error(`${fileName} asks for RoPE scaling of type ${JSON.stringify(scalingType)}; this page knows "linear" and "dynamic" only.`);
  }
}

/** Refuses a model past the limits; `source` names the file the config came from. */
export function checkModelLimits(config: LlamaConfig, limits: ModelLimits, source: string): void {
  const parameters = parameterCount(config);
  if (parameters > limits.maxParameters) {
    throw new Error(`${source} describes a model of ${count(parameters)} parameters; this page runs at most ${count(limits.maxParameters)} in the browser.`);
  }
  if (config.vocab_size > limits.maxVocab) {
    throw new Error(`${source} has a vocabulary of ${count(config.vocab_size)} tokens; this page takes at most ${count(limits.maxVocab)}.`);
  }
  if (config.max_position_embeddings > limits.maxContext) {
    throw new Error(
      `${source} has a context of ${count(config.max_position_embeddings)} tokens (max_position_embeddings); this page takes at most ${count(limits.maxContext)}.`,
    );
  }
}

/**
 * Refuses weights that disagree with the config about what the engine would compute: biases it
 * would ignore, and an output matrix that is tied in one and separate in the other. (A tied
 * checkpoint may carry a copy of the embedding as lm_head.weight; only a different one is refused.)
 */
export function checkWeightFeatures(config: LlamaConfig, weights: WeightMap, weightsName: string, configName: string): void {
  const bias = [...weights.keys()].find((name) => name.endsWith('.bias'));
  if (bias) throw new Error(`${weightsName} holds biases (${bias}); this page's Llama has none.`);
  const head = weights.get(LM_HEAD);
  if (!config.tie_word_embeddings && !head) {
    throw new Error(
      `${weightsName} has no ${LM_HEAD}, but ${configName} says tie_word_embeddings: false (a separate output matrix). If the model reuses its embedding matrix, set tie_word_embeddings: true.`,
    );
  }
  const embedding = weights.get(EMBED_TOKENS);
  if (config.tie_word_embeddings && head && embedding && !sameValues(head.data, embedding.data)) {
    throw new Error(
      `${configName} says tie_word_embeddings: true (the output matrix is the embedding matrix), but ${weightsName} has its own, different ${LM_HEAD}. Set tie_word_embeddings: false to use it.`,
    );
  }
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
