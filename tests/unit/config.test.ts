import { describe, expect, test } from 'vitest';
import { configToJSON, headDim, parseConfig } from '../../src/llama/config';
import { checkWeights, expectedWeightShapes, type WeightMap } from '../../src/llama/weights';
import { tinyConfig } from './helpers/configs';

describe('parseConfig', () => {
  test('fills Hugging Face defaults and keeps given fields', () => {
    const config = parseConfig({ hidden_size: 64, intermediate_size: 172, num_hidden_layers: 2, num_attention_heads: 8, vocab_size: 512 });
    expect(config.num_key_value_heads).toBe(8);
    expect(config.rope_theta).toBe(10000);
    expect(config.rms_norm_eps).toBe(1e-6);
    expect(config.hidden_act).toBe('silu');
    expect(config.rope_layout).toBe('rotate_half');
    expect(config.tie_word_embeddings).toBe(false);
    expect(headDim(config)).toBe(8);
  });

  test('reads rope_scaling, including the old "type" spelling', () => {
    const base = { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 10 };
    expect(parseConfig({ ...base, rope_scaling: { type: 'linear', factor: 2 } }).rope_scaling).toEqual({ rope_type: 'linear', factor: 2 });
    expect(() => parseConfig({ ...base, rope_scaling: { rope_type: 'yarn', factor: 2 } })).toThrow(/rope_scaling.rope_type/);
  });

  test('errors name the field', () => {
    expect(() => parseConfig({ hidden_size: 64 })).toThrow(/LlamaConfig.num_attention_heads/);
    expect(() => parseConfig({ hidden_size: -1 })).toThrow(/LlamaConfig.hidden_size: received -1/);
    expect(() =>
      parseConfig({ hidden_size: 64, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 8, num_key_value_heads: 3, vocab_size: 5 }),
    ).toThrow(/num_key_value_heads.*divisor/);
    expect(() =>
      parseConfig({ hidden_size: 64, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 8, vocab_size: 5, hidden_act: 'tanh' }),
    ).toThrow(/LlamaConfig.hidden_act/);
    expect(() => parseConfig(null)).toThrow(/LlamaConfig/);
  });

  test('configToJSON drops rope_layout and round-trips', () => {
    const config = tinyConfig({ rope_layout: 'interleaved' });
    const json = configToJSON(config);
    expect(json).not.toHaveProperty('rope_layout');
    expect(json.model_type).toBe('llama');
    expect(parseConfig(json)).toEqual({ ...config, rope_layout: 'rotate_half' });
  });
});

describe('checkWeights', () => {
  const config = tinyConfig({ tie_word_embeddings: false });
  const complete = (): WeightMap =>
    new Map([...expectedWeightShapes(config)].map(([name, shape]) => [name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }]));

  test('accepts a complete set', () => {
    expect(() => checkWeights(config, complete())).not.toThrow();
    expect(expectedWeightShapes(config).get('model.layers.0.self_attn.k_proj.weight')).toEqual([8, 16]);
  });

  test('names a missing tensor', () => {
    const weights = complete();
    weights.delete('lm_head.weight');
    expect(() => checkWeights(config, weights)).toThrow('Missing tensor lm_head.weight');
  });

  test('names a tensor whose shape disagrees with the config', () => {
    const weights = complete();
    weights.set('model.layers.1.mlp.up_proj.weight', { shape: [16, 24], data: new Float32Array(16 * 24) });
    expect(() => checkWeights(config, weights)).toThrow('Tensor model.layers.1.mlp.up_proj.weight has shape [16,24] but the config expects [24,16]');
  });
});
