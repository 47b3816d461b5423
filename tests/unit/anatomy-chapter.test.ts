import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  configProblem,
  countParameters,
  FORWARD_STEPS,
  formatBytes,
  LLAMA2_PUBLISHED_PARAMETERS,
  moduleTree,
  PARAMETER_PRESETS,
  residualNorms,
  stepShape,
  stepTap,
  trainingBytesPerParameter,
  vectorStats,
  weightBytes,
} from '../../src/chapters/anatomy';
import { parseConfig } from '../../src/llama/config';
import { allTapNames } from '../../src/llama/taps';
import { SHIPPED_MODEL_DIR } from './helpers/chapter-model';

const preset = (id: string) => PARAMETER_PRESETS.find((p) => p.id === id)!;

/** The element count of a .safetensors file, read from its JSON header alone (independent of src/llama). */
function safetensorsElements(path: string): number {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { shape?: number[] }>;
  return Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .reduce((sum, [, tensor]) => sum + tensor.shape!.reduce((a, b) => a * b, 1), 0);
}

describe('countParameters', () => {
  test('the Llama 2 presets equal the checkpoints, to the parameter', () => {
    expect(countParameters(preset('llama-2-7b').config).total).toBe(6_738_415_616);
    expect(countParameters(preset('llama-2-13b').config).total).toBe(13_015_864_320);
    expect(countParameters(preset('llama-2-70b').config).total).toBe(68_976_648_192);
    for (const [id, count] of Object.entries(LLAMA2_PUBLISHED_PARAMETERS)) expect(countParameters(preset(id).config).total).toBe(count);
  });

  test('the other presets equal their published counts (TinyLlama 1,100,048,384; Llama 3 8B 8,030,261,248; Llama 3.2 1B tied 1,235,814,400)', () => {
    expect(countParameters(preset('tinyllama-1.1b').config).total).toBe(1_100_048_384);
    expect(countParameters(preset('llama-3-8b').config).total).toBe(8_030_261_248);
    expect(countParameters(preset('llama-3.2-1b').config).total).toBe(1_235_814_400);
  });

  test("our preset is the shipped config, and its total is the shipped safetensors' element count: 1,182,592", () => {
    const shipped = parseConfig(JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, 'config.json'), 'utf8')));
    const ours = preset('glass-llama').config;
    for (const field of Object.keys(ours) as (keyof typeof ours)[]) expect(ours[field]).toBe(shipped[field]);
    const total = countParameters(ours).total;
    expect(total).toBe(safetensorsElements(join(SHIPPED_MODEL_DIR, 'model.safetensors')));
    expect(total).toBe(1_182_592);
  });

  test('7B by hand: 32 × 202,383,360 per layer + 2 × 131,072,000 + 4,096', () => {
    const counts = countParameters(preset('llama-2-7b').config);
    expect(counts.perLayer).toBe(4 * 4096 * 4096 + 3 * 4096 * 11008 + 2 * 4096);
    expect(counts.perLayer).toBe(202_383_360);
    expect(counts.embedding).toBe(131_072_000);
    expect(counts.output).toBe(131_072_000);
    expect(counts.norms).toBe(65 * 4096);
    expect(counts.embedding + counts.attention + counts.mlp + counts.norms + counts.output).toBe(counts.total);
  });

  test("GQA: 70B's k_proj and v_proj are 8192 × 1024 (8 KV heads of 128), an eighth of q_proj", () => {
    const counts = countParameters(preset('llama-2-70b').config);
    expect(counts.attention / 80).toBe(2 * 8192 * 8192 + 2 * 8192 * 1024);
  });

  test('where the parameters sit: the MLP share grows with size, the embeddings shrink', () => {
    const share = (id: string) => {
      const c = countParameters(preset(id).config);
      return { mlp: c.mlp / c.total, embeddings: (c.embedding + c.output) / c.total, attention: c.attention / c.total };
    };
    const ours = share('glass-llama');
    const seven = share('llama-2-7b');
    const seventy = share('llama-2-70b');
    // ours: 2 × 222,080 of 1,182,592 in the embeddings (37.6%), 540,672 in the MLPs (45.7%)
    expect(ours.embeddings).toBeCloseTo(444_160 / 1_182_592, 12);
    expect(ours.embeddings).toBeCloseTo(0.3756, 4);
    expect(ours.mlp).toBeCloseTo(0.4572, 4);
    expect(seven.embeddings).toBeCloseTo(0.0389, 4);
    expect(seven.mlp).toBeCloseTo(0.6424, 4);
    expect(seven.attention).toBeCloseTo(0.3187, 4);
    expect(seventy.embeddings).toBeCloseTo(0.0076, 4);
    expect(seventy.mlp).toBeCloseTo(0.8173, 4);
    expect(seventy.attention).toBeCloseTo(0.1751, 4);
  });

  test('tied embeddings count the matrix once', () => {
    const untied = countParameters({ ...preset('llama-3.2-1b').config, tie_word_embeddings: false });
    const tied = countParameters(preset('llama-3.2-1b').config);
    expect(untied.total - tied.total).toBe(128_256 * 2048);
    expect(tied.output).toBe(0);
  });
});

describe('memory', () => {
  test('7B weights: 27.0 GB in fp32, 13.5 GB in fp16 and bf16, 6.74 GB in int8', () => {
    const n = LLAMA2_PUBLISHED_PARAMETERS['llama-2-7b'];
    expect(weightBytes(n, 'fp16')).toBe(13_476_831_232);
    expect(formatBytes(weightBytes(n, 'fp32'))).toBe('27.0 GB');
    expect(formatBytes(weightBytes(n, 'fp16'))).toBe('13.5 GB');
    expect(formatBytes(weightBytes(n, 'int8'))).toBe('6.74 GB');
  });

  test('mixed-precision AdamW training holds 16 bytes per parameter (ZeRO): 7B needs 108 GB before activations', () => {
    expect(trainingBytesPerParameter()).toBe(16);
    expect(formatBytes(16 * LLAMA2_PUBLISHED_PARAMETERS['llama-2-7b'])).toBe('108 GB');
  });

  test('our model: 4.73 MB in fp32, 2.37 MB in fp16 (the shipped file is fp16 plus its header)', () => {
    expect(formatBytes(weightBytes(1_182_592, 'fp32'))).toBe('4.73 MB');
    expect(formatBytes(weightBytes(1_182_592, 'fp16'))).toBe('2.37 MB');
    const fileBytes = readFileSync(join(SHIPPED_MODEL_DIR, 'model.safetensors')).length;
    expect(fileBytes - weightBytes(1_182_592, 'fp16')).toBeGreaterThan(0);
    expect(fileBytes - weightBytes(1_182_592, 'fp16')).toBeLessThan(8192);
  });
});

describe('moduleTree', () => {
  test("13B: the layers, projections and norms of the study notes' print(model)", () => {
    const tree = moduleTree({ ...preset('llama-2-13b').config, rms_norm_eps: 1e-5 });
    expect(tree).toContain('(embed_tokens): Embedding(32000, 5120)');
    expect(tree).toContain('(0-39): 40 x LlamaDecoderLayer(');
    expect(tree).toContain('(k_proj): Linear(in_features=5120, out_features=5120, bias=False)');
    expect(tree).toContain('(down_proj): Linear(in_features=13824, out_features=5120, bias=False)');
    expect(tree).toContain('(norm): LlamaRMSNorm((5120,), eps=1e-05)');
    expect(tree.split('\n').at(-2)).toBe('  (lm_head): Linear(in_features=5120, out_features=32000, bias=False)');
  });

  test('70B: k_proj and v_proj have 1024 outputs (GQA); ours: 4 layers, k_proj 128 -> 64', () => {
    expect(moduleTree({ ...preset('llama-2-70b').config, rms_norm_eps: 1e-5 })).toContain('(v_proj): Linear(in_features=8192, out_features=1024, bias=False)');
    const ours = moduleTree({ ...preset('glass-llama').config, rms_norm_eps: 1e-5 });
    expect(ours).toContain('(0-3): 4 x LlamaDecoderLayer(');
    expect(ours).toContain('(k_proj): Linear(in_features=128, out_features=64, bias=False)');
    expect(ours).toContain('(embed_tokens): Embedding(1735, 128)');
  });
});

describe('the forward pass steps', () => {
  test('every box is a tap the engine offers, in every layer', () => {
    const known = new Set<string>(allTapNames(4));
    for (const step of FORWARD_STEPS) for (const layer of [0, 3]) expect(known.has(stepTap(step, layer))).toBe(true);
    expect(stepTap(FORWARD_STEPS[2], 3)).toBe('layers.3.attn.out');
    expect(stepShape(FORWARD_STEPS.at(-1)!, 7, preset('glass-llama').config)).toEqual([7, 1735]);
  });

  test('vectorStats of [3, -4, 0, 1]: mean 0, norm √26, rms √6.5, std √6.5', () => {
    const stats = vectorStats([9, 3, -4, 0, 1], 1, 4);
    expect(stats.mean).toBe(0);
    expect(stats.norm).toBeCloseTo(Math.sqrt(26), 12);
    expect(stats.rms).toBeCloseTo(Math.sqrt(6.5), 12);
    expect(stats.std).toBeCloseTo(Math.sqrt(6.5), 12);
    expect([stats.min, stats.max]).toEqual([-4, 3]);
    expect(residualNorms([[1, 0, 3, 4]], 1, 2)).toEqual([5]);
  });
});

describe('configProblem', () => {
  const seven = { ...PARAMETER_PRESETS[1].config };
  test('accepts every preset', () => {
    for (const p of PARAMETER_PRESETS) expect(configProblem(p.config)).toBeNull();
  });
  test('names the field and the rule', () => {
    expect(configProblem({ ...seven, num_attention_heads: 33 })).toBe('The hidden size (4096) must be a multiple of the heads (33): each head gets hidden / heads dimensions.');
    expect(configProblem({ ...seven, num_key_value_heads: 5 })).toBe('The heads (32) must be a multiple of the KV heads (5): each KV head serves the same number of query heads.');
    expect(configProblem({ ...seven, num_hidden_layers: 0 })).toBe('Layers must be a whole number from 1 to 1,000; received 0.');
    expect(configProblem({ ...seven, vocab_size: Number.NaN })).toBe('Vocabulary must be a whole number from 1 to 1,000,000; received nothing.');
    expect(configProblem({ ...seven, hidden_size: 96, num_attention_heads: 32, num_key_value_heads: 32 })).toBe('Each head has 3 dimensions; RoPE rotates pairs, so it must be even.');
  });
});
