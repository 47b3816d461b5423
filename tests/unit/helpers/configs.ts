import { parseConfig, type LlamaConfig } from '../../../src/llama/config';

/** A small config for tests: 2 layers, 4 query heads sharing 2 KV heads, head_dim 4. */
export function tinyConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    ...parseConfig({
      hidden_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 32,
      max_position_embeddings: 64,
      rms_norm_eps: 1e-5,
      tie_word_embeddings: false,
    }),
    ...overrides,
  };
}
