/**
 * The Llama forward in float64 plain loops: the "read the maths" version of model.ts, written to
 * be read, not to be fast (after karpathy/llama2.c's run.c). Tests check the tfjs engine against
 * it, and chapters may show it. It shares no code with the tfjs engine and uses no tensor library:
 * it imports only plain modules (the config and weight-map types, the LoRA names, math.ts's softmax).
 *
 * Shapes use: hidden = hidden_size, H = attention heads, KV = key/value heads, d = head_dim,
 * F = intermediate_size, V = vocab_size, T = tokens seen so far. Matrices are row-major
 * [out, in], as torch.nn.Linear stores them, so a projection is y = W x.
 *
 *   x = embed[token]                                                    (hidden)
 *   for each layer:
 *     n = rmsnorm(x) * input_norm
 *     q, k, v = Wq n, Wk n, Wv n; rotate q and k by the token's position (RoPE)
 *     for each head: p = softmax(q . k_t / sqrt(d) over visible t); o = sum_t p_t v_t
 *     x = x + Wo o
 *     n = rmsnorm(x) * post_attention_norm
 *     x = x + Wdown (act(Wgate n) * Wup n)
 *   logits = Wlm (rmsnorm(x) * final_norm)                               (V)
 */
import type { LlamaConfig } from './config';
import { loraPairs, loraScale, type LoraConfig, type LoraTargetModule } from './loraConfig';
import { softmax } from './math';
import type { WeightMap } from './weights';

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
  /** A LoRA adapter (weights under PEFT names): each targeted projection adds (alpha / r) B A x. */
  lora?: { config: LoraConfig; weights: WeightMap };
}

// ----------------------------------------------------------------------------------------------
// The weights, one typed field per tensor (run.c's TransformerWeights)

export interface ReferenceLayerWeights {
  inputNorm: Float64Array; // (hidden)
  wq: Float64Array; // (H * d, hidden)
  wk: Float64Array; // (KV * d, hidden)
  wv: Float64Array; // (KV * d, hidden)
  wo: Float64Array; // (hidden, H * d)
  postAttentionNorm: Float64Array; // (hidden)
  wGate: Float64Array; // (F, hidden)
  wUp: Float64Array; // (F, hidden)
  wDown: Float64Array; // (hidden, F)
  /** The LoRA pairs of the projections an adapter targets, by module name. */
  lora: Partial<Record<LoraTargetModule, ReferenceLoraPair>>;
}

export interface ReferenceLoraPair {
  a: Float64Array; // (r, in)
  b: Float64Array; // (out, r)
  r: number;
  /** alpha / r */
  scale: number;
}

export interface ReferenceWeights {
  embed: Float64Array; // (V, hidden)
  layers: ReferenceLayerWeights[];
  finalNorm: Float64Array; // (hidden)
  lmHead: Float64Array; // (V, hidden): the embedding again when tied
}

/** Copies the Hugging Face-named float32 weights (and a LoRA adapter's, if given) into float64 fields. */
export function referenceWeights(config: LlamaConfig, weights: WeightMap, lora?: ReferenceOptions['lora']): ReferenceWeights {
  const get = (name: string, from = weights): Float64Array => {
    const tensor = from.get(name);
    if (!tensor) throw new Error(`reference: missing weight ${name}`);
    return Float64Array.from(tensor.data);
  };
  const layers = Array.from({ length: config.num_hidden_layers }, (_, i) => {
    const p = `model.layers.${i}.`;
    return {
      inputNorm: get(p + 'input_layernorm.weight'),
      wq: get(p + 'self_attn.q_proj.weight'),
      wk: get(p + 'self_attn.k_proj.weight'),
      wv: get(p + 'self_attn.v_proj.weight'),
      wo: get(p + 'self_attn.o_proj.weight'),
      postAttentionNorm: get(p + 'post_attention_layernorm.weight'),
      wGate: get(p + 'mlp.gate_proj.weight'),
      wUp: get(p + 'mlp.up_proj.weight'),
      wDown: get(p + 'mlp.down_proj.weight'),
      lora: {} as ReferenceLayerWeights['lora'],
    };
  });
  if (lora) {
    for (const pair of loraPairs(config, lora.config)) {
      layers[pair.layer].lora[pair.module] = {
        a: get(pair.a.name, lora.weights),
        b: get(pair.b.name, lora.weights),
        r: lora.config.r,
        scale: loraScale(lora.config),
      };
    }
  }
  const embed = get('model.embed_tokens.weight');
  return { embed, layers, finalNorm: get('model.norm.weight'), lmHead: config.tie_word_embeddings ? embed : get('lm_head.weight') };
}

// ----------------------------------------------------------------------------------------------
// The building blocks, one small function per equation

/** y = W x, W (out, in) row-major, x (in) -> y (out). */
export function matVec(w: Float64Array, x: Float64Array, out: number): Float64Array {
  const inputs = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let sum = 0;
    for (let i = 0; i < inputs; i++) sum += w[o * inputs + i] * x[i];
    y[o] = sum;
  }
  return y;
}

/**
 * y = W x + (alpha / r) B (A x): a projection, plus its LoRA update when it has one (Hu et al.
 * 2021). W (out, in), A (r, in), B (out, r), x (in) -> y (out). A x is only r numbers.
 */
export function project(w: Float64Array, x: Float64Array, out: number, lora?: ReferenceLoraPair): Float64Array {
  const y = matVec(w, x, out);
  if (!lora) return y;
  const down = matVec(lora.a, x, lora.r); // (r)
  const up = matVec(lora.b, down, out); // (out)
  return y.map((value, i) => value + lora.scale * up[i]);
}

/** rmsnorm(x)_i = x_i / sqrt(mean_j x_j^2 + eps) * weight_i   (Zhang & Sennrich 2019). */
export function rmsNorm(x: Float64Array, weight: Float64Array, eps: number): Float64Array {
  let meanSquare = 0;
  for (const value of x) meanSquare += (value * value) / x.length;
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

/** The MLP nonlinearity on one number (silu = swish with beta 1; gelu exact; gelu_tanh approximate). */
export function activate(x: number, spec: ReferenceActivation): number {
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  if (spec === 'silu') return x * sigmoid(x);
  if (spec === 'relu') return Math.max(0, x);
  if (spec === 'gelu') return 0.5 * x * (1 + erf(x / Math.SQRT2));
  if (spec === 'gelu_tanh') return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  return x * sigmoid(spec.beta * x);
}

function activationOf(config: LlamaConfig): ReferenceActivation {
  if (config.hidden_act === 'relu' || config.hidden_act === 'gelu') return config.hidden_act;
  if (config.hidden_act === 'gelu_new' || config.hidden_act === 'gelu_pytorch_tanh') return 'gelu_tanh';
  return 'silu';
}

/**
 * RoPE on one head (d): pair i, (x[a], x[b]), turns by angle position * base^(-2i/d).
 * 'rotate_half' pairs (i, i + d/2) (Hugging Face), 'interleaved' pairs (2i, 2i + 1) (Meta,
 * llama2.c). Linear scaling divides the position by the factor; dynamic NTK raises the base once
 * the sequence (seqLen) is longer than the original context.
 */
export function rope(head: Float64Array, position: number, config: LlamaConfig, seqLen: number): Float64Array {
  const d = head.length;
  let base = config.rope_theta;
  let scaledPosition = position;
  const scaling = config.rope_scaling;
  if (scaling?.rope_type === 'linear') scaledPosition = position / scaling.factor;
  if (scaling?.rope_type === 'dynamic') {
    const original = scaling.original_max_position_embeddings ?? config.max_position_embeddings;
    if (seqLen > original) base *= ((scaling.factor * seqLen) / original - (scaling.factor - 1)) ** (d / (d - 2));
  }
  const out = new Float64Array(d);
  for (let i = 0; i < d / 2; i++) {
    const angle = scaledPosition * base ** ((-2 * i) / d);
    const [a, b] = config.rope_layout === 'interleaved' ? [2 * i, 2 * i + 1] : [i, i + d / 2];
    out[a] = head[a] * Math.cos(angle) - head[b] * Math.sin(angle);
    out[b] = head[a] * Math.sin(angle) + head[b] * Math.cos(angle);
  }
  return out;
}

/**
 * One head's attention for one query: scores_t = q . k_t / sqrt(d) for the keys it may see
 * (-Infinity elsewhere), p = softmax(scores), out = sum_t p_t v_t.
 * q (d); keys, values (T)(d); sees(t) says whether key t is visible. Returns scores, probs (T), out (d).
 */
export function attendHead(
  q: Float64Array,
  keys: Float64Array[],
  values: Float64Array[],
  sees: (key: number) => boolean,
): { scores: number[]; probs: number[]; out: Float64Array } {
  const d = q.length;
  const scores = keys.map((k, t) => {
    if (!sees(t)) return -Infinity;
    let dot = 0;
    for (let i = 0; i < d; i++) dot += q[i] * k[i];
    return dot / Math.sqrt(d);
  });
  const probs = Array.from(softmax(scores)); // softmax of math.ts; nothing visible (left padding) gives zeros, as in the engine
  const out = new Float64Array(d);
  probs.forEach((p, t) => {
    if (p === 0) return;
    for (let i = 0; i < d; i++) out[i] += p * values[t][i];
  });
  return { scores, probs, out };
}

/** The MLP block on one normed vector: Wdown (act(Wgate n) * Wup n). */
function mlp(layer: ReferenceLayerWeights, normed: Float64Array, config: LlamaConfig, activation: ReferenceActivation) {
  const gate = project(layer.wGate, normed, config.intermediate_size, layer.lora.gate_proj); // (F)
  const up = project(layer.wUp, normed, config.intermediate_size, layer.lora.up_proj); // (F)
  const act = gate.map((g) => activate(g, activation)); // (F)
  const out = project(layer.wDown, act.map((a, i) => a * up[i]), config.hidden_size, layer.lora.down_proj); // (hidden)
  return { gate, up, act, out };
}

/** Splits a flat (n * d) vector into n heads of d. */
function splitHeads(flat: Float64Array, n: number, d: number): Float64Array[] {
  return Array.from({ length: n }, (_, h) => flat.slice(h * d, (h + 1) * d));
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

// ----------------------------------------------------------------------------------------------
// The forward, one token at a time (run.c's forward(), with its RunState in the fields)

/** One sequence, token by token, against a growing list of rotated keys and values. */
export class ReferenceLlama {
  private readonly w: ReferenceWeights;
  private readonly keys: Float64Array[][][]; // [layer][position][kvHead] -> (d), after RoPE
  private readonly values: Float64Array[][][]; // [layer][position][kvHead] -> (d)
  private readonly keyIsReal: boolean[] = []; // [position]: false for a padding token
  /** Attention probabilities of the last step: [layer][head][key]. */
  lastProbs: number[][][] = [];
  /**
   * The last step's intermediate vectors under their tap names (heads concatenated, so
   * attn.q is (H * d); attn.scores is (H * T) with -Infinity where masked).
   */
  lastTaps = new Map<string, Float64Array>();

  constructor(
    private readonly config: LlamaConfig,
    weights: WeightMap,
    private readonly opts: ReferenceOptions = {},
  ) {
    this.w = referenceWeights(config, weights, opts.lora);
    this.keys = Array.from({ length: config.num_hidden_layers }, () => []);
    this.values = Array.from({ length: config.num_hidden_layers }, () => []);
  }

  /** Feeds one token at the given position; isReal = false marks a padding token. Returns logits (V). */
  step(token: number, position: number, isReal = true): Float64Array {
    const c = this.config;
    const d = c.head_dim ?? c.hidden_size / c.num_attention_heads;
    const group = c.num_attention_heads / c.num_key_value_heads; // query heads per KV head
    const seqLen = this.opts.ropeSeqLen ?? position + 1;
    const activation = this.opts.activation ?? activationOf(c);
    const query = this.keyIsReal.length; // this token's index in the sequence
    this.keyIsReal.push(isReal);
    const taps = this.lastTaps;
    taps.clear();
    this.lastProbs = [];

    let x = this.w.embed.slice(token * c.hidden_size, (token + 1) * c.hidden_size); // (hidden)
    taps.set('embed', x);

    for (let l = 0; l < c.num_hidden_layers; l++) {
      const layer = this.w.layers[l];
      const t = `layers.${l}.`;

      // Attention block
      const normed = rmsNorm(x, layer.inputNorm, c.rms_norm_eps); // (hidden)
      const q = project(layer.wq, normed, c.num_attention_heads * d, layer.lora.q_proj); // (H * d)
      const k = project(layer.wk, normed, c.num_key_value_heads * d, layer.lora.k_proj); // (KV * d)
      const v = project(layer.wv, normed, c.num_key_value_heads * d, layer.lora.v_proj); // (KV * d)
      const rotatedQueries = splitHeads(q, c.num_attention_heads, d).map((head) => rope(head, position, c, seqLen)); // (H)(d)
      const rotatedKeys = splitHeads(k, c.num_key_value_heads, d).map((head) => rope(head, position, c, seqLen)); // (KV)(d)
      this.keys[l].push(rotatedKeys);
      this.values[l].push(splitHeads(v, c.num_key_value_heads, d));
      taps.set(t + 'input_norm', normed).set(t + 'attn.q', q).set(t + 'attn.k', k).set(t + 'attn.v', v);
      taps.set(t + 'attn.q_rotated', concat(rotatedQueries)).set(t + 'attn.k_rotated', concat(rotatedKeys));

      const sees = (key: number) => this.keyIsReal[key] && patternAllows(this.opts.attentionPattern, query, key);
      const heads = rotatedQueries.map((qHead, h) => {
        const kv = Math.floor(h / group); // grouped-query attention: HF repeat_kv
        return attendHead(qHead, this.keys[l].map((keys) => keys[kv]), this.values[l].map((values) => values[kv]), sees);
      });
      this.lastProbs.push(heads.map((head) => head.probs));
      taps.set(t + 'attn.scores', Float64Array.from(heads.flatMap((head) => head.scores)));
      taps.set(t + 'attn.probs', Float64Array.from(heads.flatMap((head) => head.probs)));
      const attnOut = project(layer.wo, concat(heads.map((head) => head.out)), c.hidden_size, layer.lora.o_proj); // (hidden)
      x = x.map((value, i) => value + attnOut[i]);
      taps.set(t + 'attn.out', attnOut).set(t + 'attn_residual', x);

      // MLP block
      const mlpIn = rmsNorm(x, layer.postAttentionNorm, c.rms_norm_eps); // (hidden)
      const { gate, up, act, out: mlpOut } = mlp(layer, mlpIn, c, activation);
      x = x.map((value, i) => value + mlpOut[i]);
      taps.set(t + 'post_attention_norm', mlpIn).set(t + 'mlp.gate', gate).set(t + 'mlp.up', up).set(t + 'mlp.act', act);
      taps.set(t + 'mlp.out', mlpOut).set(t + 'out', x);
    }
    const finalNorm = rmsNorm(x, this.w.finalNorm, c.rms_norm_eps); // (hidden)
    const logits = matVec(this.w.lmHead, finalNorm, c.vocab_size); // (V)
    taps.set('final_norm', finalNorm).set('logits', logits);
    return logits;
  }
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
  const w = referenceWeights(config, weights);
  const d = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  const group = c.num_attention_heads / c.num_key_value_heads;
  const n = ids.length;
  let xs = ids.map((id) => w.embed.slice(id * c.hidden_size, (id + 1) * c.hidden_size)); // (seq)(hidden)
  const probs: number[][][][] = [];
  for (const layer of w.layers) {
    const normed = xs.map((x) => rmsNorm(x, layer.inputNorm, c.rms_norm_eps));
    const qs = normed.map((x, pos) => splitHeads(project(layer.wq, x, c.num_attention_heads * d, layer.lora.q_proj), c.num_attention_heads, d).map((h) => rope(h, pos, c, n)));
    const ks = normed.map((x, pos) => splitHeads(project(layer.wk, x, c.num_key_value_heads * d, layer.lora.k_proj), c.num_key_value_heads, d).map((h) => rope(h, pos, c, n)));
    const vs = normed.map((x) => splitHeads(project(layer.wv, x, c.num_key_value_heads * d, layer.lora.v_proj), c.num_key_value_heads, d));
    const layerProbs: number[][][] = Array.from({ length: c.num_attention_heads }, () => []);
    xs = xs.map((x, query) => {
      const heads = qs[query].map((qHead, h) => {
        const kv = Math.floor(h / group);
        const head = attendHead(qHead, ks.map((k) => k[kv]), vs.map((v) => v[kv]), (key) => sees(query, key));
        layerProbs[h].push(head.probs);
        return head.out;
      });
      const attnOut = project(layer.wo, concat(heads), c.hidden_size, layer.lora.o_proj);
      return x.map((value, i) => value + attnOut[i]);
    });
    probs.push(layerProbs);
    xs = xs.map((x) => {
      const mlpOut = mlp(layer, rmsNorm(x, layer.postAttentionNorm, c.rms_norm_eps), c, activationOf(c)).out;
      return x.map((value, i) => value + mlpOut[i]);
    });
  }
  const logits = xs.map((x) => matVec(w.lmHead, rmsNorm(x, w.finalNorm, c.rms_norm_eps), c.vocab_size));
  return { logits, probs };
}
