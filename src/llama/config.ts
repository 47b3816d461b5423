/**
 * The shape of a Llama model: Hugging Face `LlamaConfig` field names, so a `config.json` written by
 * `transformers` loads as is, plus one runtime field (`rope_layout`) that is never written to disk.
 */

/** How RoPE pairs up the dimensions of a head (see rope.ts). */
export type RopeLayout = 'rotate_half' | 'interleaved';
export const ROPE_LAYOUTS = ['rotate_half', 'interleaved'] as const;

/**
 * RoPE context extension.
 * - `linear`: position interpolation, position m is used as m / factor.
 * - `dynamic`: NTK-aware scaling, the Hugging Face "dynamic" rule: once the sequence is longer than
 *   `original_max_position_embeddings`, the base becomes
 *   base * (factor * seqLen / original - (factor - 1)) ^ (d / (d - 2)).
 */
export interface RopeScaling {
  rope_type: 'linear' | 'dynamic';
  factor: number;
  original_max_position_embeddings?: number;
}

export type HiddenAct = 'silu' | 'relu' | 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'swish';
export const HIDDEN_ACTS = ['silu', 'relu', 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'swish'] as const;

export interface LlamaConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Fewer than num_attention_heads means grouped-query attention. */
  num_key_value_heads: number;
  /** Defaults to hidden_size / num_attention_heads. */
  head_dim?: number;
  rms_norm_eps: number;
  rope_theta: number;
  rope_scaling: RopeScaling | null;
  vocab_size: number;
  max_position_embeddings: number;
  /** true: the output projection is the token embedding matrix (no lm_head.weight). */
  tie_word_embeddings: boolean;
  hidden_act: HiddenAct;
  attention_dropout: number;
  bos_token_id?: number;
  eos_token_id?: number;
  pad_token_id?: number | null;
  /** Runtime only, not part of config.json. */
  rope_layout: RopeLayout;
}

/** Width of one attention head. */
export function headDim(config: LlamaConfig): number {
  return config.head_dim ?? config.hidden_size / config.num_attention_heads;
}

function fail(field: string, received: unknown, expected: string): never {
  throw new Error(`LlamaConfig.${field}: received ${JSON.stringify(received)}, expected ${expected}`);
}

function positiveInt(obj: Record<string, unknown>, field: string, fallback?: number): number {
  const value = obj[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) fail(field, value, 'a positive integer');
  return value;
}

function positiveNumber(obj: Record<string, unknown>, field: string, fallback?: number): number {
  const value = obj[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(field, value, 'a positive number');
  return value;
}

function oneOf<T extends string>(obj: Record<string, unknown>, field: string, options: readonly T[], fallback: T): T {
  const value = obj[field] ?? fallback;
  if (!options.includes(value as T)) fail(field, value, `one of ${options.join(', ')}`);
  return value as T;
}

function optionalId(obj: Record<string, unknown>, field: string): number | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && typeof value[0] === 'number') return value[0];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(field, value, 'a token id');
  return value;
}

/** Validates a parsed config.json; every error names the field. Missing optional fields get HF defaults. */
export function parseConfig(json: unknown): LlamaConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('(root)', json, 'an object');
  const raw = json as Record<string, unknown>;
  const hidden_size = positiveInt(raw, 'hidden_size');
  const num_attention_heads = positiveInt(raw, 'num_attention_heads');
  const num_key_value_heads = positiveInt(raw, 'num_key_value_heads', num_attention_heads);
  if (num_attention_heads % num_key_value_heads !== 0) {
    fail('num_key_value_heads', num_key_value_heads, `a divisor of num_attention_heads (${num_attention_heads})`);
  }
  let head_dim: number | undefined;
  if (raw.head_dim !== undefined && raw.head_dim !== null) head_dim = positiveInt(raw, 'head_dim');
  else if (hidden_size % num_attention_heads !== 0) {
    fail('hidden_size', hidden_size, `a multiple of num_attention_heads (${num_attention_heads}) or an explicit head_dim`);
  }
  if ((head_dim ?? hidden_size / num_attention_heads) % 2 !== 0) {
    fail('head_dim', head_dim ?? hidden_size / num_attention_heads, 'an even number (RoPE rotates pairs)');
  }
  const attention_dropout = raw.attention_dropout ?? 0;
  if (typeof attention_dropout !== 'number' || attention_dropout < 0 || attention_dropout >= 1) {
    fail('attention_dropout', attention_dropout, 'a number in [0, 1)');
  }
  const tie = raw.tie_word_embeddings ?? false;
  if (typeof tie !== 'boolean') fail('tie_word_embeddings', tie, 'a boolean');
  return {
    hidden_size,
    intermediate_size: positiveInt(raw, 'intermediate_size'),
    num_hidden_layers: positiveInt(raw, 'num_hidden_layers'),
    num_attention_heads,
    num_key_value_heads,
    ...(head_dim !== undefined ? { head_dim } : {}),
    rms_norm_eps: positiveNumber(raw, 'rms_norm_eps', 1e-6),
    rope_theta: positiveNumber(raw, 'rope_theta', 10000),
    rope_scaling: parseRopeScaling(raw.rope_scaling),
    vocab_size: positiveInt(raw, 'vocab_size'),
    max_position_embeddings: positiveInt(raw, 'max_position_embeddings', 2048),
    tie_word_embeddings: tie,
    hidden_act: oneOf(raw, 'hidden_act', HIDDEN_ACTS, 'silu'),
    attention_dropout,
    bos_token_id: optionalId(raw, 'bos_token_id'),
    eos_token_id: optionalId(raw, 'eos_token_id'),
    pad_token_id: optionalId(raw, 'pad_token_id') ?? null,
    rope_layout: oneOf(raw, 'rope_layout', ROPE_LAYOUTS, 'rotate_half'),
  };
}

function parseRopeScaling(value: unknown): RopeScaling | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) fail('rope_scaling', value, 'null or an object');
  const raw = value as Record<string, unknown>;
  // Older HF configs spell rope_type as "type".
  const rope_type = raw.rope_type ?? raw.type;
  if (rope_type !== 'linear' && rope_type !== 'dynamic') fail('rope_scaling.rope_type', rope_type, "'linear' or 'dynamic'");
  const factor = raw.factor;
  if (typeof factor !== 'number' || !(factor >= 1)) fail('rope_scaling.factor', factor, 'a number >= 1');
  const scaling: RopeScaling = { rope_type, factor };
  if (raw.original_max_position_embeddings !== undefined) {
    scaling.original_max_position_embeddings = positiveInt(raw, 'original_max_position_embeddings');
  }
  return scaling;
}

/** The config.json form: drops the runtime-only fields. */
export function configToJSON(config: LlamaConfig): Record<string, unknown> {
  const { rope_layout: _layout, ...json } = config;
  return { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...json };
}
