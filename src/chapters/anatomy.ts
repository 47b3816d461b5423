// The arithmetic of the anatomy chapter: counting a Llama's parameters from its config, the bytes
// they take, the Hugging Face module tree a config prints, the forward pass as a list of named
// steps (each one a tap of the engine), and the statistics a widget shows of a live tensor.
import type { LayerTap, TapName } from '../llama/taps';

/** The config fields that decide a Llama's parameter count (Hugging Face LlamaConfig names). */
export interface ParameterConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Fewer than num_attention_heads: grouped-query attention, smaller k_proj and v_proj. */
  num_key_value_heads: number;
  intermediate_size: number;
  vocab_size: number;
  /** true: lm_head is embed_tokens, counted once. */
  tie_word_embeddings: boolean;
  /** Defaults to hidden_size / num_attention_heads. */
  head_dim?: number;
}

/** Where the parameters sit; every entry is a whole-model total. */
export interface ParameterBreakdown {
  /** embed_tokens: vocab × hidden */
  embedding: number;
  /** q, k, v, o projections of every layer */
  attention: number;
  /** gate, up, down projections of every layer */
  mlp: number;
  /** the two RMSNorm weights of every layer and the final norm */
  norms: number;
  /** lm_head: vocab × hidden, 0 when tied to the embedding */
  output: number;
  /** one decoder layer: attention + MLP + its two norms */
  perLayer: number;
  total: number;
}

/** The width of one head: head_dim, or hidden / heads. */
export function configHeadDim(config: ParameterConfig): number {
  return config.head_dim ?? config.hidden_size / config.num_attention_heads;
}

/**
 * Every parameter of a Llama, by the shapes of its weights (no biases anywhere):
 *   q_proj [H·d, h], k_proj and v_proj [KV·d, h], o_proj [h, H·d],
 *   gate_proj and up_proj [F, h], down_proj [h, F], two RMSNorm weights [h] per layer,
 *   embed_tokens [V, h], the final norm [h], lm_head [V, h] unless tied.
 */
export function countParameters(config: ParameterConfig): ParameterBreakdown {
  const h = config.hidden_size;
  const d = configHeadDim(config);
  const layers = config.num_hidden_layers;
  const attentionPerLayer = h * config.num_attention_heads * d * 2 + h * config.num_key_value_heads * d * 2;
  const mlpPerLayer = 3 * h * config.intermediate_size;
  const normsPerLayer = 2 * h;
  const embedding = config.vocab_size * h;
  const output = config.tie_word_embeddings ? 0 : config.vocab_size * h;
  const attention = attentionPerLayer * layers;
  const mlp = mlpPerLayer * layers;
  const norms = normsPerLayer * layers + h;
  return {
    embedding,
    attention,
    mlp,
    norms,
    output,
    perLayer: attentionPerLayer + mlpPerLayer + normsPerLayer,
    total: embedding + attention + mlp + norms + output,
  };
}

export interface ParameterPreset {
  id: string;
  name: string;
  config: ParameterConfig;
  /** Where the config is published. */
  source: string;
}

/**
 * Public Llama-family configs (the fields of each model's config.json on the Hugging Face Hub).
 * `glass-llama` is ours (public/models/glass-llama/config.json; a unit test checks they agree).
 */
export const PARAMETER_PRESETS: readonly ParameterPreset[] = [
  {
    id: 'glass-llama',
    name: 'Glass Llama (ours)',
    config: { hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 352, vocab_size: 1735, tie_word_embeddings: false },
    source: 'public/models/glass-llama/config.json',
  },
  {
    id: 'llama-2-7b',
    name: 'Llama 2 7B',
    config: { hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, intermediate_size: 11008, vocab_size: 32000, tie_word_embeddings: false },
    source: 'huggingface.co/meta-llama/Llama-2-7b-hf, config.json',
  },
  {
    id: 'llama-2-13b',
    name: 'Llama 2 13B',
    config: { hidden_size: 5120, num_hidden_layers: 40, num_attention_heads: 40, num_key_value_heads: 40, intermediate_size: 13824, vocab_size: 32000, tie_word_embeddings: false },
    source: 'huggingface.co/meta-llama/Llama-2-13b-hf, config.json',
  },
  {
    id: 'llama-2-70b',
    name: 'Llama 2 70B',
    config: { hidden_size: 8192, num_hidden_layers: 80, num_attention_heads: 64, num_key_value_heads: 8, intermediate_size: 28672, vocab_size: 32000, tie_word_embeddings: false },
    source: 'huggingface.co/meta-llama/Llama-2-70b-hf, config.json',
  },
  {
    id: 'tinyllama-1.1b',
    name: 'TinyLlama 1.1B',
    config: { hidden_size: 2048, num_hidden_layers: 22, num_attention_heads: 32, num_key_value_heads: 4, intermediate_size: 5632, vocab_size: 32000, tie_word_embeddings: false },
    source: 'huggingface.co/TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T, config.json',
  },
  {
    id: 'llama-3-8b',
    name: 'Llama 3 8B',
    config: { hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336, vocab_size: 128256, tie_word_embeddings: false },
    source: 'huggingface.co/meta-llama/Meta-Llama-3-8B, config.json',
  },
  {
    id: 'llama-3.2-1b',
    name: 'Llama 3.2 1B (tied)',
    config: { hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 8192, vocab_size: 128256, tie_word_embeddings: true },
    source: 'huggingface.co/meta-llama/Llama-3.2-1B, config.json',
  },
];

export const PRESET_IDS = PARAMETER_PRESETS.map((preset) => preset.id);

/**
 * The parameter counts of the Llama 2 checkpoints on the Hugging Face Hub (meta-llama/Llama-2-7b-hf,
 * -13b-hf, -70b-hf: the sum of their weight tensors' sizes, what `model.num_parameters()` reports).
 * The unit tests check that countParameters gives them from the configs alone.
 */
export const LLAMA2_PUBLISHED_PARAMETERS: Readonly<Record<string, number>> = {
  'llama-2-7b': 6_738_415_616,
  'llama-2-13b': 13_015_864_320,
  'llama-2-70b': 68_976_648_192,
};

/** Bytes per stored value. */
export const BYTES_PER_VALUE = { fp32: 4, fp16: 2, bf16: 2, int8: 1 } as const;
export type WeightDtype = keyof typeof BYTES_PER_VALUE;

/**
 * What mixed-precision training with AdamW holds per parameter (Rajbhandari et al. 2020, ZeRO,
 * section 3.1): fp16/bf16 weights (2) and gradients (2), and in fp32 a master copy of the weights
 * (4) and Adam's two moments (4 + 4): 16 bytes. Activations come on top and depend on the batch.
 */
export const MIXED_PRECISION_ADAMW_BYTES = { weights: 2, gradients: 2, masterWeights: 4, firstMoment: 4, secondMoment: 4 } as const;

export function trainingBytesPerParameter(): number {
  return Object.values(MIXED_PRECISION_ADAMW_BYTES).reduce((sum, bytes) => sum + bytes, 0);
}

/** Bytes the weights take in a dtype. */
export function weightBytes(parameters: number, dtype: WeightDtype): number {
  return parameters * BYTES_PER_VALUE[dtype];
}

/** 1.5 GB style (decimal units, as disk and checkpoint sizes are quoted); "1,234 B" under a kilobyte. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[unit]}`;
}

/** 6,738,415,616: every digit, grouped by thousands. */
export function formatCount(count: number): string {
  return Math.round(count).toLocaleString('en-US');
}

/** 6.74B, 1.18M: three significant digits. */
export function formatShortCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toPrecision(3)}B`;
  if (count >= 1e6) return `${(count / 1e6).toPrecision(3)}M`;
  if (count >= 1e3) return `${(count / 1e3).toPrecision(3)}k`;
  return String(count);
}

/**
 * What `print(model)` shows for a LlamaForCausalLM of this config in Hugging Face transformers
 * (4.48 and later: norms print their shape and eps; one rotary embedding, in LlamaModel).
 */
export function moduleTree(config: ParameterConfig & { rms_norm_eps: number }): string {
  const h = config.hidden_size;
  const d = configHeadDim(config);
  const q = config.num_attention_heads * d;
  const kv = config.num_key_value_heads * d;
  const f = config.intermediate_size;
  const last = config.num_hidden_layers - 1;
  const eps = formatEps(config.rms_norm_eps);
  const linear = (inFeatures: number, outFeatures: number) => `Linear(in_features=${inFeatures}, out_features=${outFeatures}, bias=False)`;
  return [
    'LlamaForCausalLM(',
    '  (model): LlamaModel(',
    `    (embed_tokens): Embedding(${config.vocab_size}, ${h})`,
    '    (layers): ModuleList(',
    `      (${last === 0 ? '0' : `0-${last}`}): ${config.num_hidden_layers} x LlamaDecoderLayer(`,
    '        (self_attn): LlamaAttention(',
    `          (q_proj): ${linear(h, q)}`,
    `          (k_proj): ${linear(h, kv)}`,
    `          (v_proj): ${linear(h, kv)}`,
    `          (o_proj): ${linear(q, h)}`,
    '        )',
    '        (mlp): LlamaMLP(',
    `          (gate_proj): ${linear(h, f)}`,
    `          (up_proj): ${linear(h, f)}`,
    `          (down_proj): ${linear(f, h)}`,
    '          (act_fn): SiLU()',
    '        )',
    `        (input_layernorm): LlamaRMSNorm((${h},), eps=${eps})`,
    `        (post_attention_layernorm): LlamaRMSNorm((${h},), eps=${eps})`,
    '      )',
    '    )',
    `    (norm): LlamaRMSNorm((${h},), eps=${eps})`,
    '    (rotary_emb): LlamaRotaryEmbedding()',
    '  )',
    `  (lm_head): ${linear(h, config.vocab_size)}`,
    ')',
  ].join('\n');
}

/** Python's repr of a small float: 1e-05, 1e-06. */
function formatEps(eps: number): string {
  const [mantissa, exponent] = eps.toExponential().split('e');
  const power = Number(exponent);
  if (power >= -4) return String(eps);
  return `${mantissa}e-${String(-power).padStart(2, '0')}`;
}

// ----------------------------------------------------------------------------- the forward pass

/** One box of the forward-pass diagram: a tensor the engine can hand back as a tap. */
export interface ForwardStep {
  /** 'embed', 'final_norm', 'logits', or a per-layer tap ('attn.out', ...). */
  tap: 'embed' | 'final_norm' | 'logits' | LayerTap;
  /** Whether it repeats in every layer. */
  perLayer: boolean;
  label: string;
  /** What it computes, in one line. */
  formula: string;
  /** Its shape for one sequence, in symbols: S tokens, h hidden, F MLP width, V vocabulary. */
  shape: 'S × h' | 'S × F' | 'S × V';
  /** The chapter it is explained in, if another. */
  chapter?: string;
}

/** The forward pass, box by box, in the order the model computes it. */
export const FORWARD_STEPS: readonly ForwardStep[] = [
  { tap: 'embed', perLayer: false, label: 'Embedding lookup', formula: 'x = E[token]', shape: 'S × h' },
  { tap: 'input_norm', perLayer: true, label: 'RMSNorm', formula: 'x / √(mean(x²) + ε) · g', shape: 'S × h' },
  { tap: 'attn.out', perLayer: true, label: 'Attention', formula: 'W_o · softmax(q·kᵀ/√d) v', shape: 'S × h', chapter: '02-attention' },
  { tap: 'attn_residual', perLayer: true, label: 'Residual add', formula: 'x + attention', shape: 'S × h' },
  { tap: 'post_attention_norm', perLayer: true, label: 'RMSNorm', formula: 'x / √(mean(x²) + ε) · g', shape: 'S × h' },
  { tap: 'mlp.act', perLayer: true, label: 'SiLU(gate)', formula: 'SiLU(W_gate x)', shape: 'S × F', chapter: '06-swish-silu-swiglu' },
  { tap: 'mlp.out', perLayer: true, label: 'SwiGLU MLP', formula: 'W_down (SiLU(W_gate x) ⊙ W_up x)', shape: 'S × h', chapter: '06-swish-silu-swiglu' },
  { tap: 'out', perLayer: true, label: 'Residual add', formula: 'x + MLP', shape: 'S × h' },
  { tap: 'final_norm', perLayer: false, label: 'Final RMSNorm', formula: 'x / √(mean(x²) + ε) · g', shape: 'S × h' },
  { tap: 'logits', perLayer: false, label: 'Output layer', formula: 'z = W_out x', shape: 'S × V' },
];

/** The engine's tap name of a step in a layer. */
export function stepTap(step: ForwardStep, layer: number): TapName {
  return step.perLayer ? (`layers.${layer}.${step.tap}` as TapName) : (step.tap as TapName);
}

/** A step's shape with the model's numbers: "7 × 128". */
export function stepShape(step: ForwardStep, tokens: number, config: { hidden_size: number; intermediate_size: number; vocab_size: number }): [number, number] {
  const width = step.shape === 'S × h' ? config.hidden_size : step.shape === 'S × F' ? config.intermediate_size : config.vocab_size;
  return [tokens, width];
}

export interface VectorStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Euclidean length √Σx² */
  norm: number;
  /** √mean(x²), what RMSNorm divides by (without ε) */
  rms: number;
}

/** Statistics of values[offset .. offset + length), in float64. */
export function vectorStats(values: ArrayLike<number>, offset = 0, length = values.length - offset): VectorStats {
  if (length <= 0) throw new Error('vectorStats needs at least one value.');
  let sum = 0;
  let squares = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = offset; i < offset + length; i++) {
    const v = values[i];
    sum += v;
    squares += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / length;
  const variance = Math.max(0, squares / length - mean * mean);
  return { mean, std: Math.sqrt(variance), min, max, norm: Math.sqrt(squares), rms: Math.sqrt(squares / length) };
}

/**
 * The residual stream's length at one position after the embedding and after each layer: the
 * rows of taps 'embed' and 'layers.N.out' ([S, h] each, given as flat arrays).
 */
export function residualNorms(streams: readonly ArrayLike<number>[], position: number, hidden: number): number[] {
  return streams.map((stream) => vectorStats(stream, position * hidden, hidden).norm);
}

/** The bounds the calculator accepts for each field (beyond them a config is no Llama anyone trains). */
export const CONFIG_LIMITS = {
  hidden_size: [2, 65_536],
  num_hidden_layers: [1, 1_000],
  num_attention_heads: [1, 1_024],
  num_key_value_heads: [1, 1_024],
  intermediate_size: [1, 262_144],
  vocab_size: [1, 1_000_000],
} as const satisfies Record<string, readonly [number, number]>;

export const CONFIG_FIELD_NAMES: Record<keyof typeof CONFIG_LIMITS, string> = {
  hidden_size: 'Hidden size',
  num_hidden_layers: 'Layers',
  num_attention_heads: 'Heads',
  num_key_value_heads: 'KV heads',
  intermediate_size: 'MLP size',
  vocab_size: 'Vocabulary',
};

/**
 * Why a config is not a Llama the engine could build, or null: a field not a whole number in its
 * bounds, heads that do not divide the hidden size, KV heads that do not divide the heads.
 */
export function configProblem(config: Record<keyof typeof CONFIG_LIMITS, number>): string | null {
  for (const [field, [min, max]] of Object.entries(CONFIG_LIMITS) as [keyof typeof CONFIG_LIMITS, readonly [number, number]][]) {
    const value = config[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      return `${CONFIG_FIELD_NAMES[field]} must be a whole number from ${formatCount(min)} to ${formatCount(max)}; received ${Number.isNaN(value) ? 'nothing' : String(value)}.`;
    }
  }
  if (config.hidden_size % config.num_attention_heads !== 0) {
    return `The hidden size (${config.hidden_size}) must be a multiple of the heads (${config.num_attention_heads}): each head gets hidden / heads dimensions.`;
  }
  if (config.num_attention_heads % config.num_key_value_heads !== 0) {
    return `The heads (${config.num_attention_heads}) must be a multiple of the KV heads (${config.num_key_value_heads}): each KV head serves the same number of query heads.`;
  }
  if ((config.hidden_size / config.num_attention_heads) % 2 !== 0) {
    return `Each head has ${config.hidden_size / config.num_attention_heads} dimensions; RoPE rotates pairs, so it must be even.`;
  }
  return null;
}
