/**
 * An independent float64 Llama forward in plain loops, written to be read, not to be fast.
 * It processes one token at a time against a growing key/value list; with causal attention that
 * gives the same result as a full forward, and the same loop serves incremental decoding.
 * It shares no code with src/llama except the config/weight types.
 */
import type { LlamaConfig } from '../../src/llama/config';
import type { WeightMap } from '../../src/llama/weights';

export type ReferenceActivation = 'silu' | 'relu' | 'gelu' | 'gelu_tanh' | { name: 'swish'; beta: number };

export interface ReferencePattern {
  slidingWindow?: number;
  stride?: number;
  globalTokens?: number[];
}

export interface ReferenceOptions {
  activation?: ReferenceActivation;
  attentionPattern?: ReferencePattern;
  /** The sequence length dynamic NTK scaling sees (the longest position + 1). */
  ropeSeqLen?: number;
}

/** y = W x with W stored [out, in] row-major. */
function matVec(w: Float64Array, x: Float64Array, out: number): Float64Array {
  const inputs = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let sum = 0;
    for (let i = 0; i < inputs; i++) sum += w[o * inputs + i] * x[i];
    y[o] = sum;
  }
  return y;
}

function rmsNorm(x: Float64Array, weight: Float64Array, eps: number): Float64Array {
  let meanSquare = 0;
  for (const value of x) meanSquare += value * value / x.length;
  const scale = 1 / Math.sqrt(meanSquare + eps);
  return x.map((value, i) => value * scale * weight[i]);
}

/** erf by its Taylor series (exact to ~1e-12 for |x| < 4; beyond, erf = +-1 within 2e-8). */
export function erf(x: number): number {
  if (Math.abs(x) >= 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 100; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function activate(x: number, spec: ReferenceActivation): number {
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  if (spec === 'silu') return x * sigmoid(x);
  if (spec === 'relu') return Math.max(0, x);
  if (spec === 'gelu') return 0.5 * x * (1 + erf(x / Math.SQRT2));
  if (spec === 'gelu_tanh') return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  return x * sigmoid(spec.beta * x);
}

/** Rotates each (x[a], x[b]) pair of a head by position * theta_i. */
function rope(head: Float64Array, position: number, config: LlamaConfig, seqLen: number): Float64Array {
  const d = head.length;
  let base = config.rope_theta;
  let scaledPosition = position;
  const scaling = config.rope_scaling;
  if (scaling?.rope_type === 'linear') scaledPosition = position / scaling.factor;
  if (scaling?.rope_type === 'dynamic') {
    const original = scaling.original_max_position_embeddings ?? config.max_position_embeddings;
    if (seqLen > original) base *= (scaling.factor * seqLen / original - (scaling.factor - 1)) ** (d / (d - 2));
  }
  const out = new Float64Array(d);
  for (let i = 0; i < d / 2; i++) {
    const angle = scaledPosition * base ** (-2 * i / d);
    const [a, b] = config.rope_layout === 'interleaved' ? [2 * i, 2 * i + 1] : [i, i + d / 2];
    out[a] = head[a] * Math.cos(angle) - head[b] * Math.sin(angle);
    out[b] = head[a] * Math.sin(angle) + head[b] * Math.cos(angle);
  }
  return out;
}

function concat(parts: Float64Array[]): Float64Array {
  return Float64Array.from(parts.flatMap((part) => [...part]));
}

function patternAllows(pattern: ReferencePattern | undefined, query: number, key: number): boolean {
  if (!pattern || (pattern.slidingWindow === undefined && pattern.stride === undefined && !pattern.globalTokens?.length)) return true;
  const global = pattern.globalTokens ?? [];
  return (
    (pattern.slidingWindow !== undefined && query - key < pattern.slidingWindow) ||
    (pattern.stride !== undefined && (query - key) % pattern.stride === 0) ||
    global.includes(key) ||
    global.includes(query)
  );
}

/** One sequence, token by token. */
export class ReferenceLlama {
  private readonly w = new Map<string, Float64Array>();
  private readonly keys: Float64Array[][][]; // [layer][position][kvHead] -> d values (after RoPE)
  private readonly values: Float64Array[][][];
  private readonly keyIsReal: boolean[] = [];
  /** Attention probabilities of the last step: [layer][head][key]. */
  lastProbs: number[][][] = [];
  /**
   * The last step's intermediate vectors under their tap names (heads concatenated, so
   * attn.q is [heads * d]; attn.scores is [heads * (query + 1)] with -Infinity where masked).
   */
  lastTaps = new Map<string, Float64Array>();

  constructor(
    private readonly config: LlamaConfig,
    weights: WeightMap,
    private readonly opts: ReferenceOptions = {},
  ) {
    for (const [name, { data }] of weights) this.w.set(name, Float64Array.from(data));
    this.keys = Array.from({ length: config.num_hidden_layers }, () => []);
    this.values = Array.from({ length: config.num_hidden_layers }, () => []);
  }

  private weight(name: string): Float64Array {
    return this.w.get(name)!;
  }

  /** Feeds one token at the given position; isReal = false marks a padding token. Returns logits. */
  step(token: number, position: number, isReal = true): Float64Array {
    const c = this.config;
    const d = c.head_dim ?? c.hidden_size / c.num_attention_heads;
    const group = c.num_attention_heads / c.num_key_value_heads;
    const seqLen = this.opts.ropeSeqLen ?? position + 1;
    const query = this.keyIsReal.length; // sequence index of this token
    this.keyIsReal.push(isReal);
    const embedding = this.weight('model.embed_tokens.weight');
    let x = embedding.slice(token * c.hidden_size, (token + 1) * c.hidden_size);
    this.lastProbs = [];
    const taps = this.lastTaps;
    taps.clear();
    taps.set('embed', x);

    for (let layer = 0; layer < c.num_hidden_layers; layer++) {
      const p = `model.layers.${layer}.`;
      const t = `layers.${layer}.`;
      const normed = rmsNorm(x, this.weight(p + 'input_layernorm.weight'), c.rms_norm_eps);
      const q = matVec(this.weight(p + 'self_attn.q_proj.weight'), normed, c.num_attention_heads * d);
      const k = matVec(this.weight(p + 'self_attn.k_proj.weight'), normed, c.num_key_value_heads * d);
      const v = matVec(this.weight(p + 'self_attn.v_proj.weight'), normed, c.num_key_value_heads * d);
      const headsOf = (flat: Float64Array, n: number) => Array.from({ length: n }, (_, h) => flat.slice(h * d, (h + 1) * d));
      const rotatedKeys = headsOf(k, c.num_key_value_heads).map((head) => rope(head, position, c, seqLen));
      const rotatedQueries = headsOf(q, c.num_attention_heads).map((head) => rope(head, position, c, seqLen));
      this.keys[layer].push(rotatedKeys);
      this.values[layer].push(headsOf(v, c.num_key_value_heads));
      taps.set(t + 'input_norm', normed).set(t + 'attn.q', q).set(t + 'attn.k', k).set(t + 'attn.v', v);
      taps.set(t + 'attn.q_rotated', concat(rotatedQueries)).set(t + 'attn.k_rotated', concat(rotatedKeys));

      const attended = new Float64Array(c.num_attention_heads * d);
      const layerProbs: number[][] = [];
      const layerScores: number[] = [];
      for (let h = 0; h < c.num_attention_heads; h++) {
        const qHead = rotatedQueries[h];
        const kvHead = Math.floor(h / group);
        const visible: number[] = [];
        for (let key = 0; key <= query; key++) {
          if (this.keyIsReal[key] && patternAllows(this.opts.attentionPattern, query, key)) visible.push(key);
        }
        const scores = visible.map((key) => {
          let dot = 0;
          for (let i = 0; i < d; i++) dot += qHead[i] * this.keys[layer][key][kvHead][i];
          return dot / Math.sqrt(d);
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        const headScores = new Array(query + 1).fill(-Infinity);
        visible.forEach((key, j) => (headScores[key] = scores[j]));
        layerScores.push(...headScores);
        const probs = new Array(query + 1).fill(0);
        visible.forEach((key, j) => {
          probs[key] = exps[j] / total;
          for (let i = 0; i < d; i++) attended[h * d + i] += probs[key] * this.values[layer][key][kvHead][i];
        });
        layerProbs.push(probs);
      }
      this.lastProbs.push(layerProbs);
      taps.set(t + 'attn.scores', Float64Array.from(layerScores)).set(t + 'attn.probs', Float64Array.from(layerProbs.flat()));
      const attnOut = matVec(this.weight(p + 'self_attn.o_proj.weight'), attended, c.hidden_size);
      x = x.map((value, i) => value + attnOut[i]);
      taps.set(t + 'attn.out', attnOut).set(t + 'attn_residual', x);

      const mlpIn = rmsNorm(x, this.weight(p + 'post_attention_layernorm.weight'), c.rms_norm_eps);
      const gate = matVec(this.weight(p + 'mlp.gate_proj.weight'), mlpIn, c.intermediate_size);
      const up = matVec(this.weight(p + 'mlp.up_proj.weight'), mlpIn, c.intermediate_size);
      const act = gate.map((g) => activate(g, this.opts.activation ?? activationOf(c)));
      const mlpOut = matVec(this.weight(p + 'mlp.down_proj.weight'), act.map((a, i) => a * up[i]), c.hidden_size);
      x = x.map((value, i) => value + mlpOut[i]);
      taps.set(t + 'post_attention_norm', mlpIn).set(t + 'mlp.gate', gate).set(t + 'mlp.up', up).set(t + 'mlp.act', act);
      taps.set(t + 'mlp.out', mlpOut).set(t + 'out', x);
    }
    const finalNorm = rmsNorm(x, this.weight('model.norm.weight'), c.rms_norm_eps);
    const head = this.weight(c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
    const logits = matVec(head, finalNorm, c.vocab_size);
    taps.set('final_norm', finalNorm).set('logits', logits);
    return logits;
  }
}

function activationOf(config: LlamaConfig): ReferenceActivation {
  if (config.hidden_act === 'relu' || config.hidden_act === 'gelu') return config.hidden_act;
  if (config.hidden_act === 'gelu_new' || config.hidden_act === 'gelu_pytorch_tanh') return 'gelu_tanh';
  return 'silu';
}

/**
 * A full forward of one sequence. mask: 1 = real token, 0 = padding (default all 1);
 * positions default to 0, 1, 2, ... Returns logits [seq][vocab] and probs [layer][head][query][key].
 */
export function referenceForward(
  config: LlamaConfig,
  weights: WeightMap,
  ids: number[],
  opts: ReferenceOptions & { attentionMask?: number[]; positionIds?: number[] } = {},
): { logits: Float64Array[]; probs: number[][][][] } {
  const positions = opts.positionIds ?? ids.map((_, i) => i);
  const model = new ReferenceLlama(config, weights, { ...opts, ropeSeqLen: opts.ropeSeqLen ?? Math.max(...positions) + 1 });
  const logits: Float64Array[] = [];
  const probs: number[][][][] = Array.from({ length: config.num_hidden_layers }, () =>
    Array.from({ length: config.num_attention_heads }, () => []),
  );
  ids.forEach((id, i) => {
    logits.push(model.step(id, positions[i], (opts.attentionMask?.[i] ?? 1) === 1));
    model.lastProbs.forEach((layer, l) =>
      layer.forEach((row, h) => probs[l][h].push([...row, ...new Array(ids.length - row.length).fill(0)])),
    );
  });
  return { logits, probs };
}

/** Greedy decoding with the reference: `steps` new tokens after the prompt. */
export function referenceGreedy(config: LlamaConfig, weights: WeightMap, prompt: number[], steps: number): number[] {
  const model = new ReferenceLlama(config, weights);
  let logits: Float64Array = new Float64Array(0);
  prompt.forEach((id, position) => (logits = model.step(id, position)));
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
    out.push(best);
    logits = model.step(best, prompt.length + i);
  }
  return out;
}

/**
 * A full forward of one sequence in which query i sees key j exactly when sees(i, j): the causal
 * rule, no mask at all, or an edited one. Unlike ReferenceLlama it goes layer by layer over the
 * whole sequence, because without the causal rule a token's next layer depends on later tokens.
 * Positions are 0, 1, 2, ... Returns logits [seq][vocab] and probs [layer][head][query][key].
 */
export function referenceMaskedForward(
  config: LlamaConfig,
  weights: WeightMap,
  ids: number[],
  sees: (query: number, key: number) => boolean,
): { logits: Float64Array[]; probs: number[][][][] } {
  const c = config;
  const w = (name: string) => Float64Array.from(weights.get(name)!.data);
  const d = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  const group = c.num_attention_heads / c.num_key_value_heads;
  const n = ids.length;
  const embedding = w('model.embed_tokens.weight');
  let xs = ids.map((id) => embedding.slice(id * c.hidden_size, (id + 1) * c.hidden_size));
  const probs: number[][][][] = [];
  for (let layer = 0; layer < c.num_hidden_layers; layer++) {
    const p = `model.layers.${layer}.`;
    const heads = (flat: Float64Array, count: number) => Array.from({ length: count }, (_, h) => flat.slice(h * d, (h + 1) * d));
    const normed = xs.map((x) => rmsNorm(x, w(p + 'input_layernorm.weight'), c.rms_norm_eps));
    const qs = normed.map((x, pos) => heads(matVec(w(p + 'self_attn.q_proj.weight'), x, c.num_attention_heads * d), c.num_attention_heads).map((h) => rope(h, pos, c, n)));
    const ks = normed.map((x, pos) => heads(matVec(w(p + 'self_attn.k_proj.weight'), x, c.num_key_value_heads * d), c.num_key_value_heads).map((h) => rope(h, pos, c, n)));
    const vs = normed.map((x) => heads(matVec(w(p + 'self_attn.v_proj.weight'), x, c.num_key_value_heads * d), c.num_key_value_heads));
    const layerProbs: number[][][] = Array.from({ length: c.num_attention_heads }, () => []);
    xs = xs.map((x, query) => {
      const attended = new Float64Array(c.num_attention_heads * d);
      for (let h = 0; h < c.num_attention_heads; h++) {
        const kv = Math.floor(h / group);
        const scores = ks.map((k, key) => {
          if (!sees(query, key)) return -Infinity;
          let dot = 0;
          for (let i = 0; i < d; i++) dot += qs[query][h][i] * k[kv][i];
          return dot / Math.sqrt(d);
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => (s === -Infinity ? 0 : Math.exp(s - max)));
        const total = exps.reduce((a, b) => a + b, 0);
        const row = exps.map((e) => e / total);
        layerProbs[h].push(row);
        row.forEach((prob, key) => {
          for (let i = 0; i < d; i++) attended[h * d + i] += prob * vs[key][kv][i];
        });
      }
      const attnOut = matVec(w(p + 'self_attn.o_proj.weight'), attended, c.hidden_size);
      return x.map((value, i) => value + attnOut[i]);
    });
    probs.push(layerProbs);
    xs = xs.map((x) => {
      const mlpIn = rmsNorm(x, w(p + 'post_attention_layernorm.weight'), c.rms_norm_eps);
      const gate = matVec(w(p + 'mlp.gate_proj.weight'), mlpIn, c.intermediate_size);
      const up = matVec(w(p + 'mlp.up_proj.weight'), mlpIn, c.intermediate_size);
      const act = gate.map((g, i) => activate(g, activationOf(c)) * up[i]);
      const mlpOut = matVec(w(p + 'mlp.down_proj.weight'), act, c.hidden_size);
      return x.map((value, i) => value + mlpOut[i]);
    });
  }
  const head = w(c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  const logits = xs.map((x) => matVec(head, rmsNorm(x, w('model.norm.weight'), c.rms_norm_eps), c.vocab_size));
  return { logits, probs };
}
