// The FLOPs chapter's arithmetic (src/chapters/flops.ts): FLOP formulas checked by counting the
// operations of a plain triple loop, parameters against the shipped weights and Llama 2's published
// sizes, per-token FLOPs hand-computed for our config and Llama 2 7B, and the calculator's presets
// against 6 N T and the figures their papers report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  DEVICE_PEAKS,
  LLAMA2_7B,
  LLAMA2_70B,
  SWEEP_SIZES,
  TRAINING_RUNS,
  blockFlops,
  decodeIntensity,
  prefillIntensity,
  forwardFlops,
  formatDuration,
  impliedMfu,
  knee,
  matmulFlops,
  matmulIntensity,
  parameterCount,
  ridgePoint,
  roofline,
  siPrefix,
  tokenFlops,
  trainingFlops,
  trainingSeconds,
} from '../../src/chapters/flops';
import { parseConfig } from '../../src/llama/config';
import { decodeStepFlops } from '../../src/llama/inspect';
import { MATMUL_MAX_VALUES } from '../../src/runtime/inspectOps';

const MODEL_DIR = join(import.meta.dirname, '..', '..', 'public', 'models', 'glass-llama');
const ours = parseConfig(JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8')));

/** A plain triple-loop matmul that counts every floating-point multiply and add it does. */
function countedMatmul(a: number[][], b: number[][]): { product: number[][]; operations: number } {
  let operations = 0;
  const product = a.map((row) =>
    b[0].map((_, j) => {
      let sum = 0;
      row.forEach((value, i) => {
        sum += value * b[i][j];
        operations += 2;
      });
      return sum;
    }),
  );
  return { product, operations };
}

describe('matmulFlops', () => {
  test('2 m k n equals the multiplies and adds of a triple loop', () => {
    for (const [m, k, n] of [[1, 1, 1], [2, 3, 4], [5, 1, 7], [3, 8, 2]]) {
      const a = Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_, j) => i + j));
      const b = Array.from({ length: k }, (_, i) => Array.from({ length: n }, (_, j) => i - j));
      expect(matmulFlops(m, k, n)).toBe(countedMatmul(a, b).operations);
    }
    expect(matmulFlops(2, 3, 4)).toBe(48);
  });

  test('the benchmark sizes: 2 n³ FLOPs each, from 8,192 at 16 to 17,179,869,184 at 2048, all within the runtime limit', () => {
    expect(SWEEP_SIZES.map((n) => matmulFlops(n, n, n))).toEqual([8192, 65536, 524288, 4194304, 33554432, 268435456, 2147483648, 17179869184]);
    for (const n of SWEEP_SIZES) expect(3 * n * n).toBeLessThanOrEqual(MATMUL_MAX_VALUES);
  });

  test('intensity of a square float32 product is n / 6 FLOP per byte; a matrix-vector product stays under 0.5', () => {
    expect(matmulIntensity(1024, 1024, 1024)).toBeCloseTo(1024 / 6, 10);
    expect(matmulIntensity(1, 4096, 4096)).toBeLessThan(0.5);
    expect(matmulIntensity(1, 4096, 4096)).toBeCloseTo(0.49976, 5);
  });
});

describe('parameterCount', () => {
  test('our config gives 1,182,592 parameters, the number of values in the shipped model.safetensors', () => {
    const bytes = readFileSync(join(MODEL_DIR, 'model.safetensors'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { shape?: number[] }>;
    const stored = Object.entries(header)
      .filter(([name]) => name !== '__metadata__')
      .reduce((sum, [, tensor]) => sum + tensor.shape!.reduce((a, b) => a * b, 1), 0);
    const count = parameterCount(ours);
    expect(count.total).toBe(stored);
    expect(count.total).toBe(1_182_592);
    // 1735 × 128 each for the embedding and the untied classifier; 4 × (49,152 + 135,168) in the blocks
    expect(count).toMatchObject({ embedding: 222_080, lmHead: 222_080, attention: 196_608, mlp: 540_672, norms: 1_152 });
  });

  test('Llama 2 7B has 6,738,415,616 and 70B 68,976,648,192 parameters (the Hugging Face checkpoints)', () => {
    expect(parameterCount(LLAMA2_7B).total).toBe(6_738_415_616);
    expect(parameterCount(LLAMA2_70B).total).toBe(68_976_648_192);
    // 7B: 32 × (4 × 4096² + 3 × 4096 × 11008) weights in the blocks
    expect(parameterCount(LLAMA2_7B).attention + parameterCount(LLAMA2_7B).mlp).toBe(32 * (4 * 4096 ** 2 + 3 * 4096 * 11008));
  });
});

describe('FLOPs per token', () => {
  test('our model: 1,474,560 in the projections, 444,160 in the classifier, 2,048 per key in attention', () => {
    // per layer 2 × (128 × (128 + 2·64) + 128 × 128 + 2 × 128 × 352 + 352 × 128) = 368,640; × 4 layers
    const one = tokenFlops(ours, 1);
    expect(one).toEqual({ projections: 1_474_560, attention: 2_048, lmHead: 444_160, total: 1_920_768 });
    // at the full context of 256 keys, attention is 524,288: about a fifth of the total
    expect(tokenFlops(ours, 256).attention).toBe(524_288);
    expect(tokenFlops(ours, 256).attention / tokenFlops(ours, 256).total).toBeCloseTo(0.2146, 4);
  });

  test('the block splits into qkv, scores, weighted values, output and MLP', () => {
    expect(blockFlops(ours, 10)).toEqual({ qkv: 65_536, scores: 2_560, weightedValues: 2_560, output: 32_768, mlp: 270_336, total: 373_760 });
  });

  test('Llama 2 7B: 13,214,154,752 FLOPs per token with no keys (2 × the 6,607,077,376 weights it multiplies by), plus 2,147,483,648 at 4096 keys', () => {
    const zero = tokenFlops(LLAMA2_7B, 0);
    expect(zero.total).toBe(13_214_154_752);
    expect(parameterCount(LLAMA2_7B).matmul).toBe(6_607_077_376);
    expect(zero.total).toBe(2 * parameterCount(LLAMA2_7B).matmul);
    expect(tokenFlops(LLAMA2_7B, 4096).attention).toBe(2_147_483_648);
  });

  test('2N: without attention, a token costs exactly 2 FLOPs per weight it multiplies by', () => {
    for (const config of [ours, LLAMA2_7B, LLAMA2_70B]) expect(tokenFlops(config, 0).total).toBe(2 * parameterCount(config).matmul);
  });

  test('agrees with the engine count that profileDecodeStep reports (src/llama/inspect.ts decodeStepFlops)', () => {
    for (const keys of [1, 7, 256]) expect(tokenFlops(ours, keys)).toEqual(decodeStepFlops(ours, keys));
  });

  test('a causal forward of n tokens is the sum of tokenFlops over 1..n keys', () => {
    for (const n of [1, 5, 64]) {
      let total = 0;
      for (let t = 1; t <= n; t++) total += tokenFlops(ours, t).total;
      expect(forwardFlops(ours, n).total).toBe(total);
    }
    // a prefill for generation sends only its last row through the classifier
    expect(forwardFlops(ours, 32, { lmHeadRows: 1 }).lmHead).toBe(444_160);
  });

  test('one decode step moves about 0.5 FLOP per byte of float32 weights', () => {
    expect(decodeIntensity(LLAMA2_7B, 1)).toBeCloseTo(0.5, 3);
    expect(decodeIntensity(ours, 1)).toBeCloseTo(0.5, 2);
  });

  test('a prefill of n tokens reaches about n / 2 FLOPs per byte of weights', () => {
    // Llama 2 7B, 512 tokens: 512 × 2 P_body + 4·32·32·128 · 512·513/2 + 2 · 4096 · 32000, over 4 P
    const p = parameterCount(LLAMA2_7B);
    const body = p.attention + p.mlp;
    const flops = 512 * 2 * body + 4 * 32 * 32 * 128 * ((512 * 513) / 2) + 2 * 4096 * 32000;
    expect(prefillIntensity(LLAMA2_7B, 512)).toBeCloseTo(flops / (4 * p.matmul), 10);
    expect(prefillIntensity(LLAMA2_7B, 512)).toBeCloseTo(253.5, 1);
  });
});

describe('training FLOPs and the calculator presets', () => {
  const run = (id: string) => TRAINING_RUNS.find((r) => r.id === id)!;

  test('GPT-3 175B on 300B tokens: 6 N T = 3.15e23, within 0.5% of the 3.14e23 FLOPs its paper reports', () => {
    const gpt3 = run('gpt3');
    expect(trainingFlops(gpt3.parameters, gpt3.tokens)).toBe(3.15e23);
    expect(Math.abs(trainingFlops(gpt3.parameters, gpt3.tokens) / gpt3.reportedFlops! - 1)).toBeLessThan(0.005);
    expect(gpt3.citation.title).toBe('Language Models are Few-Shot Learners');
  });

  test('Llama 2 7B: 6 N T = 8.086e22 on 2T tokens; 184,320 A100-hours at 312 TFLOP/s imply an MFU of 39.1%', () => {
    const llama = run('llama2-7b');
    expect(llama.deviceHours).toBe(184_320);
    expect(trainingFlops(llama.parameters, llama.tokens)).toBeCloseTo(8.0861e22, -18);
    // 8.0861e22 / (184,320 × 3600 × 312e12 = 2.0703e23)
    expect(impliedMfu({ flops: trainingFlops(llama.parameters, llama.tokens), deviceHours: llama.deviceHours!, peak: llama.peak })).toBeCloseTo(0.3906, 4);
    expect(llama.citation.where).toContain('Table 2');
  });

  test('Llama 2 70B: 1,720,320 A100-hours imply an MFU of 42.8%', () => {
    const llama = run('llama2-70b');
    expect(impliedMfu({ flops: trainingFlops(llama.parameters, llama.tokens), deviceHours: llama.deviceHours!, peak: llama.peak })).toBeCloseTo(0.4284, 4);
  });

  test('PaLM 540B on 780B tokens, 6144 TPU v4 chips at 275 TFLOP/s and the reported 46.2% MFU: 37.5 days', () => {
    const palm = run('palm');
    const seconds = trainingSeconds({ flops: trainingFlops(palm.parameters, palm.tokens), devices: palm.devices!, peak: palm.peak, mfu: palm.reportedMfu! });
    // 2.527e24 / (6144 × 275e12 × 0.462 = 7.806e17) = 3.237e6 s
    expect(seconds / 86400).toBeCloseTo(37.47, 2);
    expect(formatDuration(seconds)).toBe('37.5 days');
  });

  test('every preset names its paper, and its device peak and source', () => {
    for (const preset of TRAINING_RUNS) {
      expect(preset.citation.title.length).toBeGreaterThan(10);
      expect(preset.citation.year).toBeGreaterThanOrEqual(2020);
      expect(preset.peakSource).toMatch(/\d/);
    }
  });

  test('trainingSeconds: 6 × 1e9 × 1e9 FLOPs on 2 devices of 1e12 FLOP/s at 50% takes 6,000,000 s', () => {
    expect(trainingSeconds({ flops: trainingFlops(1e9, 1e9), devices: 2, peak: 1e12, mfu: 0.5 })).toBe(6_000_000);
  });
});

describe('roofline', () => {
  test('the A100 ridge point is 312e12 / 2.039e12 = 153 FLOP per byte', () => {
    const a100 = DEVICE_PEAKS.find((d) => d.name.includes('A100'))!;
    expect(ridgePoint({ peak: a100.bf16, bandwidth: a100.bandwidth })).toBeCloseTo(153.0, 1);
    expect(roofline(1, { peak: a100.bf16, bandwidth: a100.bandwidth })).toBe(2039e9);
    expect(roofline(1000, { peak: a100.bf16, bandwidth: a100.bandwidth })).toBe(312e12);
  });

  test('H100 SXM dense BF16 is half the data sheet figure with sparsity', () => {
    const h100 = DEVICE_PEAKS.find((d) => d.name.includes('H100'))!;
    expect(Math.abs((2 * h100.bf16) / 1979e12 - 1)).toBeLessThan(0.001);
  });

  test('knee: the first size reaching half the best rate', () => {
    expect(knee([{ size: 16, flopsPerSecond: 1 }, { size: 32, flopsPerSecond: 4 }, { size: 64, flopsPerSecond: 9 }, { size: 128, flopsPerSecond: 10 }])).toBe(64);
    expect(knee([])).toBeNull();
  });

  test('siPrefix and formatDuration', () => {
    expect(siPrefix(1.234e12)).toBe('1.23 T');
    expect(siPrefix(3.15e23)).toBe('315 Z');
    expect(siPrefix(512)).toBe('512 ');
    expect(formatDuration(90)).toBe('1.5 minutes');
    expect(formatDuration(-1)).toBe('—');
  });
});

describe('numbers the chapter states', () => {
  test('our model: 2,443,008 FLOPs a token at 256 keys; 959,360 weights multiply; a 26-token prefill does about 10 FLOPs per byte', () => {
    expect(tokenFlops(ours, 256).total).toBe(2_443_008);
    expect(parameterCount(ours).matmul).toBe(959_360);
    expect(prefillIntensity(ours, 26)).toBeCloseTo(39_501_568 / 3_837_440, 10);
    expect(Math.round(prefillIntensity(ours, 26))).toBe(10);
  });

  test('Llama 2 7B: attention at 4096 keys adds 16% to the 13.2 GFLOP of a token', () => {
    expect(Math.round((100 * tokenFlops(LLAMA2_7B, 4096).attention) / tokenFlops(LLAMA2_7B, 0).total)).toBe(16);
    expect(Number((tokenFlops(LLAMA2_7B, 0).total / 1e9).toFixed(1))).toBe(13.2);
  });

  test('a batch-of-one decode on an A100 (BF16 weights, 1 FLOP per byte) reaches at most 0.65% of its BF16 peak', () => {
    const a100 = DEVICE_PEAKS.find((d) => d.name.includes('A100'))!;
    expect(roofline(1, { peak: a100.bf16, bandwidth: a100.bandwidth }) / a100.bf16).toBeCloseTo(0.00654, 5);
  });

  test('Llama 2 7B on one A100 at 40% MFU: about 20.5 years', () => {
    const llama = TRAINING_RUNS.find((r) => r.id === 'llama2-7b')!;
    const seconds = trainingSeconds({ flops: trainingFlops(llama.parameters, llama.tokens), devices: 1, peak: 312e12, mfu: 0.4 });
    expect(formatDuration(seconds)).toBe('20.5 years');
  });

  test('launches of about 8,700 FLOPs each: about one 16 × 16 × 16 product (8,192)', () => {
    expect(matmulFlops(16, 16, 16)).toBe(8_192);
  });
});

const SHIPPED_MODEL_DIR_FOR_OPS = join(import.meta.dirname, '..', '..', 'public', 'models', 'glass-llama');
/** Kernels of one decode step built from tfjs ops on wasm (the chapter's prose states it). */
const OPS_KERNELS_PER_STEP = 227;

describe('the shipped model backs the chapter', () => {
  let chapter: import('./helpers/chapter-model').ChapterModel;
  beforeAll(async () => {
    const { useBackend } = await import('./helpers/backends');
    const { loadChapterModel } = await import('./helpers/chapter-model');
    await useBackend('wasm');
    chapter = loadChapterModel();
  }, 60_000);
  afterAll(() => chapter?.model.dispose());

  test('built from tfjs ops (as on WebGPU and WebGL) one decode step launches 227 kernels for 1,976,064 FLOPs at 28 keys: about 8,700 a launch; the shipped model on wasm runs it as one', async () => {
    const { profileDecodeStep } = await import('../../src/llama/inspect');
    const { LlamaModel } = await import('../../src/llama/model');
    const { readModelFiles } = await import('../../scripts/load-model');
    const { DECODE_STEP } = await import('../../src/llama/decodeKernels');
    const { schema } = await import('../../components/FlopsModelBudget');
    const ids = chapter.tokenizer.encode(schema.prompt.default, { bos: true });
    expect(ids.length).toBe(26);
    // The shipped (frozen) model on wasm: the whole step is the engine's one fused kernel.
    const fused = await profileDecodeStep(chapter.model, ids);
    expect(fused.kernels).toEqual([expect.objectContaining({ name: DECODE_STEP, count: 1 })]);
    expect(fused.flops.total).toBe(1_976_064);
    // The same weights as a trainable model take the tfjs ops, one kernel per operation, as the
    // WebGPU and WebGL backends do too (there the frozen model's step is also separate kernels).
    const { config, weights } = readModelFiles(SHIPPED_MODEL_DIR_FOR_OPS);
    const opsModel = LlamaModel.fromWeights(config, weights, { trainable: true });
    try {
      const profile = await profileDecodeStep(opsModel, ids);
      expect(profile.kernels.some((kernel) => kernel.name === DECODE_STEP)).toBe(false);
      expect(profile.cachedTokens).toBe(ids.length + 1);
      expect(profile.flops.total).toBe(tokenFlops(ours, ids.length + 2).total);
      expect(profile.flops.total).toBe(1_976_064);
      expect(profile.kernelCount).toBe(OPS_KERNELS_PER_STEP);
      expect(Math.round(profile.flops.total / profile.kernelCount / 100) * 100).toBe(8_700);
    } finally {
      opsModel.dispose();
    }
  });
});
