import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { readLlama2c, toRotateHalf } from '../../src/llama/llama2c';
import { checkWeights } from '../../src/llama/weights';

const bytes = new Uint8Array(readFileSync('../shared/fixtures/stories260K.bin'));

describe('readLlama2c on stories260K.bin', () => {
  const { config, weights } = readLlama2c(bytes);

  test('the header becomes a Hugging Face config with the interleaved RoPE layout', () => {
    expect(config).toMatchObject({
      hidden_size: 64,
      intermediate_size: 172,
      num_hidden_layers: 5,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      vocab_size: 512,
      max_position_embeddings: 512,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      tie_word_embeddings: true,
      hidden_act: 'silu',
      rope_layout: 'interleaved',
    });
  });

  test('tensors land under Hugging Face names with [out, in] shapes; the shared classifier adds no lm_head', () => {
    expect(() => checkWeights(config, weights)).not.toThrow();
    expect(weights.has('lm_head.weight')).toBe(false);
    expect(weights.get('model.layers.4.self_attn.k_proj.weight')!.shape).toEqual([32, 64]);
    expect(weights.get('model.layers.0.mlp.down_proj.weight')!.shape).toEqual([64, 172]);
    // 1 + 5 * 9 + 1 tensors
    expect(weights.size).toBe(47);
  });

  test('values are read from the right offsets', () => {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(weights.get('model.embed_tokens.weight')!.data[0]).toBe(view.getFloat32(28, true));
    // rms_att of layer 1 follows the embedding (512 * 64) and layer 0's rms_att (64)
    expect(weights.get('model.layers.1.input_layernorm.weight')!.data[0]).toBe(view.getFloat32(28 + 4 * (512 * 64 + 64), true));
    // rms_final sits just before the two RoPE tables (2 * 512 * 4 floats) at the end of the file
    const finalNorm = weights.get('model.norm.weight')!.data;
    expect(finalNorm[63]).toBe(view.getFloat32(bytes.byteLength - 4 * (2 * 512 * 4) - 4, true));
  });

  test('toRotateHalf permutes q and k rows only', () => {
    const converted = toRotateHalf(config, weights);
    expect(converted.config.rope_layout).toBe('rotate_half');
    const q = weights.get('model.layers.0.self_attn.q_proj.weight')!.data;
    const permuted = converted.weights.get('model.layers.0.self_attn.q_proj.weight')!.data;
    // head 0, d = 8: row 2 (pair 1, first coordinate) moves to row 1
    expect(permuted.subarray(64, 128)).toEqual(q.subarray(128, 192));
    expect(converted.weights.get('model.layers.0.self_attn.v_proj.weight')).toBe(weights.get('model.layers.0.self_attn.v_proj.weight'));
  });
});

describe('readLlama2c errors', () => {
  test('a truncated file names the expected size', () => {
    expect(() => readLlama2c(bytes.subarray(0, bytes.byteLength - 4))).toThrow(
      'llama2.c checkpoint: the header (dim 64, hidden 172, 5 layers, 8 heads, 4 kv heads, vocab 512, seq_len 512) needs 1056540 bytes, the file has 1056536',
    );
    expect(() => readLlama2c(new Uint8Array(10))).toThrow(/shorter than the 28-byte header/);
  });

  test('a negative vocab_size means a separate classifier at the end', () => {
    const header = new Int32Array([8, 16, 1, 2, 1, -5, 4]);
    const floats = 5 * 8 + (2 * 8 + 2 * 64 + 2 * 4 * 8 + 3 * 16 * 8) + 8 + 4 * 4 / 2 * 2 + 5 * 8;
    const file = new Uint8Array(28 + 4 * floats);
    file.set(new Uint8Array(header.buffer));
    const values = new Float32Array(file.buffer, 28);
    values[floats - 1] = 42; // last value of wcls
    const { config, weights } = readLlama2c(file);
    expect(config.tie_word_embeddings).toBe(false);
    expect(weights.get('lm_head.weight')!.shape).toEqual([5, 8]);
    expect(weights.get('lm_head.weight')!.data[39]).toBe(42);
  });
});
