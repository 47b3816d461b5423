/**
 * Extending a model's vocabulary (the Chinese-LLaMA recipe): append N new pieces, so the input
 * embedding E [vocab, hidden] and, when untied, the output layer W_out [vocab, hidden] each grow
 * by N rows. Old rows are copied unchanged, so on text without the new ids the model computes
 * exactly what it computed before (apart from the N extra logits). The question is what the new
 * rows start as:
 *
 *   random : every value ~ N(0, 0.02^2), the scale our model was initialised with
 *   mean   : the mean of all old rows, mean_v E[v]
 *   bytes  : the mean of the rows of the piece's own UTF-8 byte tokens, e.g. for "猫"
 *            (E7 8C AB) the mean of E[<0xE7>], E[<0x8C>], E[<0xAB>]: the tokens the model
 *            read that character as until now
 *
 * The same rule makes the new rows of W_out (from W_out's own rows).
 */
import { parseConfig, type LlamaConfig } from './config';
import { createRandom, randomNormal } from './rng';
import { EMBED_TOKENS, LM_HEAD, expectedWeightShapes, shapeSize, type WeightMap } from './weights';

export const NEW_ROW_INITS = ['random', 'mean', 'bytes'] as const;
export type NewRowInit = (typeof NEW_ROW_INITS)[number];

/** The standard deviation of a random new row: the scale our model's matrices started from. */
export const RANDOM_ROW_STD = 0.02;

/**
 * New rows for `table` [rows, hidden] (row-major), one per entry of `byteIds` (the byte-token ids
 * that spell each new piece; used by 'bytes'). Returns [byteIds.length * hidden].
 */
export function newRows(
  table: Float32Array,
  hidden: number,
  byteIds: readonly (readonly number[])[],
  init: NewRowInit,
  seed: number,
): Float32Array {
  const rows = table.length / hidden;
  if (!Number.isInteger(rows)) throw new Error(`newRows: table length ${table.length} is not a multiple of hidden ${hidden}.`);
  const out = new Float32Array(byteIds.length * hidden);
  if (init === 'random') {
    const random = createRandom(seed);
    for (let i = 0; i < out.length; i++) out[i] = RANDOM_ROW_STD * randomNormal(random);
    return out;
  }
  if (init === 'mean') {
    const mean = meanOfRows(table, hidden, Array.from({ length: rows }, (_, row) => row));
    byteIds.forEach((_, i) => out.set(mean, i * hidden));
    return out;
  }
  byteIds.forEach((ids, i) => {
    if (ids.length === 0) throw new Error(`newRows: new piece ${i} has no byte tokens to average.`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= rows) throw new Error(`newRows: byte id must be in [0, ${rows}). Received ${id}.`);
    }
    out.set(meanOfRows(table, hidden, ids), i * hidden);
  });
  return out;
}

/** The mean of the given rows (summed in float64). */
function meanOfRows(table: Float32Array, hidden: number, rowIds: readonly number[]): Float32Array {
  const sum = new Float64Array(hidden);
  for (const row of rowIds) for (let j = 0; j < hidden; j++) sum[j] += table[row * hidden + j];
  return Float32Array.from(sum, (value) => value / rowIds.length);
}

/**
 * The config and weights of the model with `byteIds.length` new pieces appended (ids vocab_size,
 * vocab_size + 1, ...). The input weights are not changed; the result holds new arrays only for
 * the embedding and the output layer.
 */
export function extendVocabulary(
  config: LlamaConfig,
  weights: WeightMap,
  byteIds: readonly (readonly number[])[],
  init: NewRowInit,
  seed: number,
): { config: LlamaConfig; weights: WeightMap } {
  if (!NEW_ROW_INITS.includes(init)) throw new Error(`extendVocabulary: init must be one of ${NEW_ROW_INITS.join(', ')}. Received ${String(init)}.`);
  const hidden = config.hidden_size;
  const vocab = config.vocab_size;
  const grown = new Map(weights);
  const names = config.tie_word_embeddings ? [EMBED_TOKENS] : [EMBED_TOKENS, LM_HEAD];
  names.forEach((name, k) => {
    const table = weights.get(name);
    if (!table || table.shape[0] !== vocab || table.shape[1] !== hidden) {
      throw new Error(`extendVocabulary: ${name} must be [${vocab}, ${hidden}]. Received ${table ? `[${table.shape.join(', ')}]` : 'nothing'}.`);
    }
    const data = new Float32Array((vocab + byteIds.length) * hidden);
    data.set(table.data);
    // A different stream for the output layer, so its random rows are not the embedding's.
    data.set(newRows(table.data, hidden, byteIds, init, seed + k), vocab * hidden);
    grown.set(name, { shape: [vocab + byteIds.length, hidden], data });
  });
  return { config: { ...config, vocab_size: vocab + byteIds.length }, weights: grown };
}

/**
 * Llama-2-7B's config.json as Meta published it on the Hugging Face Hub (meta-llama/Llama-2-7b-hf),
 * the fields the parameter count needs.
 */
export const LLAMA2_7B_CONFIG: LlamaConfig = parseConfig({
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  vocab_size: 32000,
  max_position_embeddings: 4096,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: false,
  hidden_act: 'silu',
});

export interface VocabularyShare {
  parameters: number;
  /** vocab x hidden: the input embedding */
  embedding: number;
  /** vocab x hidden when untied, 0 when the output layer is the embedding (tied) */
  output: number;
  /** (embedding + output) / parameters */
  share: number;
}

/** How many of a config's parameters belong to the vocabulary (counted from the weight shapes). */
export function vocabularyShare(config: LlamaConfig): VocabularyShare {
  const shapes = expectedWeightShapes(config);
  let parameters = 0;
  for (const shape of shapes.values()) parameters += shapeSize(shape);
  const embedding = shapeSize(shapes.get(EMBED_TOKENS)!);
  const output = shapes.has(LM_HEAD) ? shapeSize(shapes.get(LM_HEAD)!) : 0;
  return { parameters, embedding, output, share: (embedding + output) / parameters };
}
