/**
 * Weights as plain arrays, keyed by Hugging Face parameter names. Every matrix is stored the way
 * torch.nn.Linear stores it: [out_features, in_features], so y = x W^T.
 */
import { headDim, type LlamaConfig } from './config';

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

export type WeightMap = Map<string, WeightTensor>;

/** The parameter names of layer i, in the order the forward uses them. */
export function layerWeightNames(i: number) {
  const prefix = `model.layers.${i}`;
  return {
    inputNorm: `${prefix}.input_layernorm.weight`, // [hidden]
    q: `${prefix}.self_attn.q_proj.weight`, // [heads * head_dim, hidden]
    k: `${prefix}.self_attn.k_proj.weight`, // [kv_heads * head_dim, hidden]
    v: `${prefix}.self_attn.v_proj.weight`, // [kv_heads * head_dim, hidden]
    o: `${prefix}.self_attn.o_proj.weight`, // [hidden, heads * head_dim]
    postAttentionNorm: `${prefix}.post_attention_layernorm.weight`, // [hidden]
    gate: `${prefix}.mlp.gate_proj.weight`, // [intermediate, hidden]
    up: `${prefix}.mlp.up_proj.weight`, // [intermediate, hidden]
    down: `${prefix}.mlp.down_proj.weight`, // [hidden, intermediate]
  };
}

export const EMBED_TOKENS = 'model.embed_tokens.weight';
export const FINAL_NORM = 'model.norm.weight';
export const LM_HEAD = 'lm_head.weight';

/** Every parameter a config calls for, with its shape (lm_head only when not tied). */
export function expectedWeightShapes(config: LlamaConfig): Map<string, number[]> {
  const hidden = config.hidden_size;
  const d = headDim(config);
  const qWidth = config.num_attention_heads * d;
  const kvWidth = config.num_key_value_heads * d;
  const ffn = config.intermediate_size;
  const shapes = new Map<string, number[]>([[EMBED_TOKENS, [config.vocab_size, hidden]]]);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const n = layerWeightNames(i);
    shapes.set(n.inputNorm, [hidden]);
    shapes.set(n.q, [qWidth, hidden]);
    shapes.set(n.k, [kvWidth, hidden]);
    shapes.set(n.v, [kvWidth, hidden]);
    shapes.set(n.o, [hidden, qWidth]);
    shapes.set(n.postAttentionNorm, [hidden]);
    shapes.set(n.gate, [ffn, hidden]);
    shapes.set(n.up, [ffn, hidden]);
    shapes.set(n.down, [hidden, ffn]);
  }
  shapes.set(FINAL_NORM, [hidden]);
  if (!config.tie_word_embeddings) shapes.set(LM_HEAD, [config.vocab_size, hidden]);
  return shapes;
}

/**
 * Throws, naming the tensor, when a weight the config needs is missing or has the wrong shape.
 * Extra tensors (e.g. a redundant lm_head.weight in a tied checkpoint) are allowed.
 */
export function checkWeights(config: LlamaConfig, weights: WeightMap): void {
  for (const [name, shape] of expectedWeightShapes(config)) {
    const tensor = weights.get(name);
    if (!tensor) throw new Error(`Missing tensor ${name} (expected shape [${shape}])`);
    if (tensor.shape.length !== shape.length || tensor.shape.some((s, i) => s !== shape[i])) {
      throw new Error(`Tensor ${name} has shape [${tensor.shape}] but the config expects [${shape}]`);
    }
    if (tensor.data.length !== shapeSize(shape)) {
      throw new Error(`Tensor ${name} holds ${tensor.data.length} values, shape [${shape}] needs ${shapeSize(shape)}`);
    }
  }
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
