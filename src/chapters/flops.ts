/**
 * The arithmetic of the FLOPs chapter (content/11-flops.mdx): floating-point operations of a matrix
 * product, of one Llama block and of a whole forward pass; parameters; 6 N T for training; the
 * roofline; and the cited figures (device peaks, published runs) the chapter and its calculator use.
 * Plain numbers, no tfjs: the widgets import it. Checked by tests/unit/flops-chapter.test.ts.
 *
 * Counting convention: one multiply-add is 2 FLOPs, so an [m, k] × [k, n] product is 2 m k n. Only
 * the matrix products are counted; the element-wise work (RMSNorm, RoPE, softmax, SiLU, residual
 * adds) is O(hidden) per token and layer, a fraction of a percent here, and left out, as in
 * Kaplan et al. 2020 (Table 1) and the PaLM paper (Appendix B).
 */
import type { LlamaConfig } from '../llama/config';

/** The shape fields of a Llama config that FLOPs and parameters depend on. */
export type LlamaShape = Pick<
  LlamaConfig,
  'hidden_size' | 'intermediate_size' | 'num_hidden_layers' | 'num_attention_heads' | 'num_key_value_heads' | 'vocab_size' | 'tie_word_embeddings' | 'max_position_embeddings'
> & { head_dim?: number };

/** 2 m k n: each of the m n entries of an [m, k] × [k, n] product is k multiplies and k adds. */
export function matmulFlops(m: number, k: number, n: number): number {
  return 2 * m * k * n;
}

/**
 * Float32 values an [m, k] × [k, n] product must at least read and write (both inputs once, the
 * output once), times 4 bytes: the least memory traffic it can have.
 */
export function matmulBytes(m: number, k: number, n: number, bytesPerValue = 4): number {
  return bytesPerValue * (m * k + k * n + m * n);
}

/** Arithmetic intensity (FLOPs per byte moved) of an [m, k] × [k, n] float32 product. */
export function matmulIntensity(m: number, k: number, n: number): number {
  return matmulFlops(m, k, n) / matmulBytes(m, k, n);
}

const headDimOf = (c: LlamaShape) => c.head_dim ?? c.hidden_size / c.num_attention_heads;

export interface ParameterCount {
  /** the token embedding table [vocab, hidden] */
  embedding: number;
  /** q, k, v, o of every layer */
  attention: number;
  /** gate, up, down of every layer */
  mlp: number;
  /** the RMSNorm weights: two per layer and the final one */
  norms: number;
  /** the output classifier [vocab, hidden]; 0 when tied to the embedding */
  lmHead: number;
  total: number;
  /** the weights a forward pass multiplies by: attention + mlp + lmHead (the embedding is a lookup) */
  matmul: number;
}

/** Parameters of a Llama model from its config (no biases, as in Llama). */
export function parameterCount(config: LlamaShape): ParameterCount {
  const hidden = config.hidden_size;
  const d = headDimOf(config);
  const layers = config.num_hidden_layers;
  const embedding = config.vocab_size * hidden;
  const attention = layers * (hidden * config.num_attention_heads * d * 2 + hidden * config.num_key_value_heads * d * 2);
  const mlp = layers * 3 * hidden * config.intermediate_size;
  const norms = (2 * layers + 1) * hidden;
  const lmHead = config.tie_word_embeddings ? 0 : config.vocab_size * hidden;
  return { embedding, attention, mlp, norms, lmHead, total: embedding + attention + mlp + norms + lmHead, matmul: attention + mlp + config.vocab_size * hidden };
}

/** FLOPs of one token through one block, attending to `keys` positions (itself included). */
export interface BlockFlops {
  /** x·Wq, x·Wk, x·Wv */
  qkv: number;
  /** q·k for every head and key: 2 · heads · head_dim · keys */
  scores: number;
  /** probabilities × values: 2 · heads · head_dim · keys */
  weightedValues: number;
  /** attention output · Wo */
  output: number;
  /** x·Wgate, x·Wup and act·Wdown */
  mlp: number;
  total: number;
}

export function blockFlops(config: LlamaShape, keys: number): BlockFlops {
  const hidden = config.hidden_size;
  const d = headDimOf(config);
  const q = config.num_attention_heads * d;
  const kv = config.num_key_value_heads * d;
  const qkv = matmulFlops(1, hidden, q + 2 * kv);
  const scores = 2 * config.num_attention_heads * d * keys;
  const weightedValues = 2 * config.num_attention_heads * d * keys;
  const output = matmulFlops(1, q, hidden);
  const mlp = matmulFlops(1, hidden, 2 * config.intermediate_size) + matmulFlops(1, config.intermediate_size, hidden);
  return { qkv, scores, weightedValues, output, mlp, total: qkv + scores + weightedValues + output + mlp };
}

/** FLOPs of one token's forward pass when it attends to `keys` positions. */
export interface TokenFlops {
  /** every layer's projections (qkv, output, mlp): 2 × their weights */
  projections: number;
  /** every layer's scores and weighted values: 4 · layers · heads · head_dim · keys */
  attention: number;
  /** the classifier: 2 · hidden · vocab */
  lmHead: number;
  total: number;
}

/**
 * One token through the whole model, attending to `keys` positions: layers × blockFlops plus the
 * classifier. Equals src/llama/inspect.ts's decodeStepFlops (the unit test checks it).
 */
export function tokenFlops(config: LlamaShape, keys: number): TokenFlops {
  const block = blockFlops(config, keys);
  const layers = config.num_hidden_layers;
  const projections = layers * (block.qkv + block.output + block.mlp);
  const attention = layers * (block.scores + block.weightedValues);
  const lmHead = matmulFlops(1, config.hidden_size, config.vocab_size);
  return { projections, attention, lmHead, total: projections + attention + lmHead };
}

/**
 * A causal forward pass over `tokens` positions (a prefill, or one training sequence): token t
 * (1-based) attends to t keys, so the attention term is 4 · layers · heads · head_dim · t summed,
 * i.e. · tokens (tokens + 1) / 2. `lmHeadRows` is how many positions go through the classifier:
 * every one in training, only the last in a prefill for generation (default: all).
 */
export function forwardFlops(config: LlamaShape, tokens: number, { lmHeadRows = tokens }: { lmHeadRows?: number } = {}): TokenFlops {
  const one = tokenFlops(config, 0);
  const projections = tokens * one.projections;
  const attention = 4 * config.num_hidden_layers * config.num_attention_heads * headDimOf(config) * ((tokens * (tokens + 1)) / 2);
  const lmHead = lmHeadRows * one.lmHead;
  return { projections, attention, lmHead, total: projections + attention + lmHead };
}

/** 6 N T: training FLOPs of a dense model with N parameters on T tokens (forward 2 N, backward 4 N per token). */
export function trainingFlops(parameters: number, tokens: number): number {
  return 6 * parameters * tokens;
}

/** Seconds to do `flops` on `devices` devices of `peak` FLOP/s each, at model FLOPs utilisation `mfu` (0 to 1). */
export function trainingSeconds({ flops, devices, peak, mfu }: { flops: number; devices: number; peak: number; mfu: number }): number {
  return flops / (devices * peak * mfu);
}

/** Model FLOPs utilisation implied by a run: the model's FLOPs over what the device-hours could have done at peak. */
export function impliedMfu({ flops, deviceHours, peak }: { flops: number; deviceHours: number; peak: number }): number {
  return flops / (deviceHours * 3600 * peak);
}

/** The roofline: attainable FLOP/s at an arithmetic intensity, min(peak, bandwidth × intensity). */
export function roofline(intensity: number, { peak, bandwidth }: { peak: number; bandwidth: number }): number {
  return Math.min(peak, bandwidth * intensity);
}

/** The intensity (FLOP/byte) where the bandwidth slope meets the compute ceiling. */
export function ridgePoint({ peak, bandwidth }: { peak: number; bandwidth: number }): number {
  return peak / bandwidth;
}

/**
 * One decode step reads every weight it multiplies by once (float32: 4 bytes each) and does 2 FLOPs
 * with it: about 0.5 FLOP per byte, whatever the model's size. (The KV cache read adds bytes and the
 * attention FLOPs; both are small at short contexts.)
 */
export function decodeIntensity(config: LlamaShape, keys: number, bytesPerValue = 4): number {
  const params = parameterCount(config);
  const d = headDimOf(config);
  const cacheBytes = 2 * config.num_hidden_layers * config.num_key_value_heads * d * keys * bytesPerValue;
  return tokenFlops(config, keys).total / (params.matmul * bytesPerValue + cacheBytes);
}

/**
 * A prefill of `tokens` positions reads every weight once for all of them (float32), so its
 * intensity grows with the prompt: about tokens / 2 FLOPs per byte of weights (activations and the
 * cache written are left out, so this is an upper bound). Only the last row goes through the
 * classifier, as in generation.
 */
export function prefillIntensity(config: LlamaShape, tokens: number, bytesPerValue = 4): number {
  return forwardFlops(config, tokens, { lmHeadRows: 1 }).total / (parameterCount(config).matmul * bytesPerValue);
}

/** The matmul benchmark's sizes: square products from 16 to 2048, doubling. */
export const SWEEP_SIZES = [16, 32, 64, 128, 256, 512, 1024, 2048] as const;

/** Where a rate curve stops being overhead-bound: the first size that reaches half of the best rate. */
export function knee(points: readonly { size: number; flopsPerSecond: number }[]): number | null {
  const best = Math.max(0, ...points.map((p) => p.flopsPerSecond).filter(Number.isFinite));
  if (best <= 0) return null;
  return points.find((p) => p.flopsPerSecond >= best / 2)?.size ?? null;
}

/** A cited source: what a reader needs to find the figure. */
export interface Citation {
  title: string;
  authors: string;
  year: number;
  where: string;
}

/** Llama 2's published configs (Hugging Face meta-llama/Llama-2-*-hf config.json; Touvron et al. 2023, Table 1). */
export const LLAMA2_7B: LlamaShape = {
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  vocab_size: 32000,
  tie_word_embeddings: false,
  max_position_embeddings: 4096,
};
export const LLAMA2_70B: LlamaShape = {
  hidden_size: 8192,
  intermediate_size: 28672,
  num_hidden_layers: 80,
  num_attention_heads: 64,
  num_key_value_heads: 8,
  vocab_size: 32000,
  tie_word_embeddings: false,
  max_position_embeddings: 4096,
};

export const LLAMA2_PAPER: Citation = {
  title: 'Llama 2: Open Foundation and Fine-Tuned Chat Models',
  authors: 'Touvron et al.',
  year: 2023,
  where: 'Table 1 (2.0T tokens), Table 2 (A100-80GB GPU hours)',
};
export const GPT3_PAPER: Citation = {
  title: 'Language Models are Few-Shot Learners',
  authors: 'Brown et al.',
  year: 2020,
  where: 'Table D.1 (3.14E+23 FLOPs, 300B tokens)',
};
export const PALM_PAPER: Citation = {
  title: 'PaLM: Scaling Language Modeling with Pathways',
  authors: 'Chowdhery et al.',
  year: 2022,
  where: 'Section 4.1 and Table 3 (MFU 46.2%, HFU 57.8%)',
};

/** A device's theoretical peaks from its data sheet. */
export interface DevicePeak {
  name: string;
  /** dense BF16/FP16 tensor-core FLOP/s (what LLM training runs use) */
  bf16: number;
  /** plain FP32 FLOP/s, no tensor cores (what float32 in a browser can at best use) */
  fp32: number;
  /** memory bandwidth, bytes/s */
  bandwidth: number;
  source: string;
}

const V100_SOURCE = 'NVIDIA V100 Tensor Core GPU data sheet: 125 TFLOPS tensor (FP16), 15.7 TFLOPS FP32, 900 GB/s (SXM2)';
const A100_SOURCE = 'NVIDIA A100 Tensor Core GPU data sheet: 312 TFLOPS BF16 (624 with sparsity), 19.5 TFLOPS FP32, 2,039 GB/s (SXM 80GB)';
const H100_SOURCE = 'NVIDIA H100 Tensor Core GPU data sheet: 1,979 TFLOPS BF16 shown with sparsity, half without; 67 TFLOPS FP32; 3.35 TB/s (SXM)';

export const DEVICE_PEAKS: readonly DevicePeak[] = [
  { name: 'NVIDIA V100 SXM2', bf16: 125e12, fp32: 15.7e12, bandwidth: 900e9, source: V100_SOURCE },
  { name: 'NVIDIA A100 SXM 80GB', bf16: 312e12, fp32: 19.5e12, bandwidth: 2039e9, source: A100_SOURCE },
  { name: 'NVIDIA H100 SXM', bf16: 989e12, fp32: 67e12, bandwidth: 3350e9, source: H100_SOURCE },
];

/** A published training run, for the calculator's presets. */
export interface TrainingRun {
  id: string;
  name: string;
  /** parameters N */
  parameters: number;
  /** training tokens T */
  tokens: number;
  /** the device and its dense peak (FLOP/s), with where the peak comes from */
  device: string;
  peak: number;
  peakSource: string;
  /** device-hours the paper reports, when it does */
  deviceHours?: number;
  /** total training FLOPs the paper reports, when it does */
  reportedFlops?: number;
  /** MFU the paper reports, when it does */
  reportedMfu?: number;
  /** devices used, when the paper says */
  devices?: number;
  citation: Citation;
}

export const TRAINING_RUNS: readonly TrainingRun[] = [
  {
    id: 'llama2-7b',
    name: 'Llama 2 7B',
    parameters: parameterCount(LLAMA2_7B).total,
    tokens: 2e12,
    device: 'A100-80GB',
    peak: 312e12,
    peakSource: A100_SOURCE,
    deviceHours: 184_320,
    citation: LLAMA2_PAPER,
  },
  {
    id: 'llama2-70b',
    name: 'Llama 2 70B',
    parameters: parameterCount(LLAMA2_70B).total,
    tokens: 2e12,
    device: 'A100-80GB',
    peak: 312e12,
    peakSource: A100_SOURCE,
    deviceHours: 1_720_320,
    citation: LLAMA2_PAPER,
  },
  {
    id: 'gpt3',
    name: 'GPT-3 175B',
    parameters: 175e9,
    tokens: 300e9,
    device: 'V100',
    peak: 125e12,
    peakSource: V100_SOURCE,
    reportedFlops: 3.14e23,
    citation: GPT3_PAPER,
  },
  {
    id: 'palm',
    name: 'PaLM 540B',
    parameters: 540e9,
    tokens: 780e9,
    device: 'TPU v4',
    peak: 275e12,
    peakSource: 'Google Cloud TPU v4 documentation: 275 teraflops (bf16) peak per chip',
    reportedMfu: 0.462,
    devices: 6144,
    citation: PALM_PAPER,
  },
];

/** Format a FLOP count or rate with an SI prefix: 1.23e12 -> "1.23 T". */
export function siPrefix(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const prefixes: [number, string][] = [[1e24, 'Y'], [1e21, 'Z'], [1e18, 'E'], [1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  const abs = Math.abs(value);
  for (const [scale, prefix] of prefixes) if (abs >= scale) return `${Number((value / scale).toPrecision(digits))} ${prefix}`;
  return `${Number(value.toPrecision(digits))} `;
}

/** A duration in the largest sensible unit: "41.2 days", "3.4 hours", "12 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const units: [number, string][] = [[365.25 * 86400, 'years'], [86400, 'days'], [3600, 'hours'], [60, 'minutes']];
  for (const [scale, unit] of units) if (seconds >= scale) return `${Number((seconds / scale).toPrecision(3))} ${unit}`;
  return `${Number(seconds.toPrecision(3))} s`;
}
