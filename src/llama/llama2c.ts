/**
 * Reader for karpathy/llama2.c legacy (version 0) checkpoints, walking the file in order:
 *
 *   header: 7 x int32 LE  dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
 *           (vocab_size < 0 means the classifier is stored separately at the end)
 *   float32 LE tensors:
 *     token_embedding  (vocab, dim)
 *     rms_att          (layer, dim)
 *     wq               (layer, dim, dim)
 *     wk, wv           (layer, kv_dim, dim)
 *     wo               (layer, dim, dim)
 *     rms_ffn          (layer, dim)
 *     w1               (layer, hidden, dim)    gate_proj
 *     w2               (layer, dim, hidden)    down_proj
 *     w3               (layer, hidden, dim)    up_proj
 *     rms_final        (dim)
 *     freq_cis_real, freq_cis_imag  (seq_len, head_size / 2) each: RoPE tables, skipped
 *     wcls             (vocab, dim)            only when vocab_size < 0
 *
 * llama2.c's RoPE rotates interleaved pairs, so the config says rope_layout 'interleaved';
 * toRotateHalf converts to the Hugging Face layout.
 */
import { parseConfig, type LlamaConfig } from './config';
import { permuteInterleavedToRotateHalf } from './rope';
import { EMBED_TOKENS, FINAL_NORM, layerWeightNames, LM_HEAD, type WeightMap } from './weights';

const HEADER_BYTES = 7 * 4;

export function readLlama2c(bytes: Uint8Array): { config: LlamaConfig; weights: WeightMap } {
  if (bytes.byteLength < HEADER_BYTES) throw new Error(`llama2.c checkpoint: ${bytes.byteLength} bytes is shorter than the 28-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [dim, hiddenDim, layers, heads, kvHeads, signedVocab, seqLen] = Array.from({ length: 7 }, (_, i) => view.getInt32(4 * i, true));
  const sharedClassifier = signedVocab > 0;
  const vocab = Math.abs(signedVocab);
  const config = parseConfig({
    hidden_size: dim,
    intermediate_size: hiddenDim,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    vocab_size: vocab,
    max_position_embeddings: seqLen,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: sharedClassifier,
    hidden_act: 'silu',
    bos_token_id: 1,
    eos_token_id: 2,
    rope_layout: 'interleaved',
  });
  const headSize = dim / heads;
  const kvDim = kvHeads * headSize;
  const expectedBytes = checkpointBytes(view);
  if (bytes.byteLength !== expectedBytes) {
    throw new Error(
      `llama2.c checkpoint: the header (dim ${dim}, hidden ${hiddenDim}, ${layers} layers, ${heads} heads, ${kvHeads} kv heads, ` +
        `vocab ${signedVocab}, seq_len ${seqLen}) needs ${expectedBytes} bytes, the file has ${bytes.byteLength}`,
    );
  }

  let offset = HEADER_BYTES;
  const take = (count: number): Float32Array => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
    offset += 4 * count;
    return out;
  };
  const weights: WeightMap = new Map();
  weights.set(EMBED_TOKENS, { shape: [vocab, dim], data: take(vocab * dim) });
  // Per-layer tensors are stacked [layer, ...]: split each stack into one tensor per layer.
  const stacked = (key: keyof ReturnType<typeof layerWeightNames>, shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    for (let layer = 0; layer < layers; layer++) weights.set(layerWeightNames(layer)[key], { shape, data: take(size) });
  };
  stacked('inputNorm', [dim]);
  stacked('q', [dim, dim]);
  stacked('k', [kvDim, dim]);
  stacked('v', [kvDim, dim]);
  stacked('o', [dim, dim]);
  stacked('postAttentionNorm', [dim]);
  stacked('gate', [hiddenDim, dim]);
  stacked('down', [dim, hiddenDim]);
  stacked('up', [hiddenDim, dim]);
  weights.set(FINAL_NORM, { shape: [dim], data: take(dim) });
  offset += 4 * seqLen * headSize; // the two RoPE tables, seq_len * head_size / 2 floats each
  if (!sharedClassifier) weights.set(LM_HEAD, { shape: [vocab, dim], data: take(vocab * dim) });
  return { config, weights };
}

/**
 * The size in bytes a checkpoint with this header has: 28 + 4 x (every float listed in the module
 * comment). Only a checkpoint's own header predicts its exact size, so this tells a checkpoint
 * from a llama2.c tokenizer file (tok512.bin) whatever the names.
 */
function checkpointBytes(view: DataView): number {
  const [dim, hiddenDim, layers, heads, kvHeads, signedVocab, seqLen] = Array.from({ length: 7 }, (_, i) => view.getInt32(4 * i, true));
  const headSize = dim / heads;
  const kvDim = kvHeads * headSize;
  const vocab = Math.abs(signedVocab);
  const perLayer = 2 * dim + 2 * dim * dim + 2 * kvDim * dim + 3 * hiddenDim * dim;
  const floats = vocab * dim + layers * perLayer + dim + seqLen * headSize + (signedVocab > 0 ? 0 : vocab * dim);
  return HEADER_BYTES + 4 * floats;
}

/** Whether `bytes` is a llama2.c checkpoint: a header whose shapes add up to exactly the file's size. */
export function isLlama2cCheckpoint(bytes: Uint8Array): boolean {
  if (bytes.byteLength < HEADER_BYTES) return false;
  return checkpointBytes(new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES)) === bytes.byteLength;
}

/** The same model in the Hugging Face rotate_half layout: q/k rows permuted per head. */
export function toRotateHalf(config: LlamaConfig, weights: WeightMap): { config: LlamaConfig; weights: WeightMap } {
  if (config.rope_layout === 'rotate_half') return { config, weights };
  const d = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  const converted: WeightMap = new Map(weights);
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    const names = layerWeightNames(layer);
    for (const [name, heads] of [
      [names.q, config.num_attention_heads],
      [names.k, config.num_key_value_heads],
    ] as const) {
      const { shape, data } = weights.get(name)!;
      converted.set(name, { shape, data: permuteInterleavedToRotateHalf(data, heads, d) });
    }
  }
  return { config: { ...config, rope_layout: 'rotate_half' }, weights: converted };
}
