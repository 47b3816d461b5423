/**
 * The Llama forward pass on tfjs, differentiable and batched.
 *
 *   h = embed(ids)
 *   for each layer:  h = h + o_proj(attention(rope(q_proj n), rope(k_proj n), v_proj n)),  n = rmsnorm(h)
 *                    h = h + down_proj(act(gate_proj n) * up_proj n),                       n = rmsnorm(h)
 *   logits = lm_head(rmsnorm(h))
 *
 * Hidden states travel as [batch * seq, hidden] so each projection is one matMul. Three things are
 * folded into the projection matrices (see buildProjections) so the forward has no op for them:
 * each RMSNorm weight (a per-input scale of the next projection), the coordinates RoPE mixes in
 * (extra rows of the q/k projection), and attention's 1/sqrt(d) (into the query rows).
 */
import * as tf from '@tensorflow/tfjs';
import { headDim, type HiddenAct, type LlamaConfig } from './config';
import { attention, buildAttentionMask, type AttentionPattern } from './attention';
import { fusedDecodeStep, hasDecodeStep, type StepActivation } from './decodeKernels';
import type { KVCache } from './kvcache';
import type { LoraAdapter } from './lora';
import { createRandom, randomNormal } from './rng';
import { columnFrequencies, positionScale, ropePartner, ropeTables } from './rope';
import { checkTapNames, layerTap, type TapName } from './taps';
import {
  checkWeights,
  EMBED_TOKENS,
  expectedWeightShapes,
  FINAL_NORM,
  layerWeightNames,
  LM_HEAD,
  type WeightMap,
} from './weights';

/**
 * The MLP nonlinearity. 'gelu' is the exact erf form x/2 (1 + erf(x/sqrt 2)); 'gelu_tanh' is the
 * tanh approximation x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); swish is x sigmoid(beta x),
 * and silu is swish with beta = 1.
 */
export type ActivationSpec = 'silu' | 'relu' | 'gelu' | 'gelu_tanh' | { name: 'swish'; beta: number };

export function activationFromConfig(hiddenAct: HiddenAct): ActivationSpec {
  if (hiddenAct === 'relu' || hiddenAct === 'gelu') return hiddenAct;
  if (hiddenAct === 'gelu_new' || hiddenAct === 'gelu_pytorch_tanh') return 'gelu_tanh';
  return 'silu'; // Hugging Face's 'swish' is silu
}

export function activate(x: tf.Tensor, spec: ActivationSpec): tf.Tensor {
  if (spec === 'silu') return tf.mul(x, tf.sigmoid(x));
  if (spec === 'relu') return tf.relu(x);
  if (spec === 'gelu') return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  if (spec === 'gelu_tanh') {
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  }
  return tf.mul(x, tf.sigmoid(tf.mul(x, spec.beta)));
}

export interface ForwardOptions {
  /** [batch, pastLength + seq], 1 = real token, 0 = padding. Default: all ones. */
  attentionMask?: tf.Tensor2D;
  /** [batch, seq] int32. Default: pastLength + 0..seq-1 for every row (use positionIdsFromMask for left padding). */
  positionIds?: tf.Tensor2D;
  /** Dropout is applied only when true. */
  training?: boolean;
  /** Inverted dropout rate on the residual branches and (unless attentionDropoutRate is set) on attention probs. */
  dropoutRate?: number;
  /** Dropout on attention probs. Default: dropoutRate, else config.attention_dropout. */
  attentionDropoutRate?: number;
  /** Seeds the dropout masks; the same seed gives the same masks. Default: unseeded. */
  seed?: number;
  /** 'gather' (default) or 'onehot' (a one-hot matMul, whose gradient the wasm backend has). */
  embeddingLookup?: 'gather' | 'onehot';
  /** Default: from config.hidden_act. */
  activation?: ActivationSpec;
  attentionPattern?: AttentionPattern;
  /**
   * Replaces the causal rule: queryKeyMask[i][j] = 1 lets query i see key j, [seq][pastLength + seq].
   * All ones switches the mask off (every token sees the future). Padding still applies.
   */
  queryKeyMask?: number[][];
  taps?: TapName[];
  /** When given, attention also reads the cached keys/values, and this call's are appended. */
  cache?: KVCache;
}

export interface ForwardResult {
  /** [batch, seq, vocab] */
  logits: tf.Tensor3D;
  taps: Map<TapName, tf.Tensor>;
}

export interface PlainTensor {
  shape: number[];
  data: Float32Array;
}

export interface RunOptions extends Omit<ForwardOptions, 'attentionMask' | 'positionIds' | 'cache'> {
  attentionMask?: number[][];
  positionIds?: number[][];
}

/** Hugging Face's rule for padded batches: position = (number of real tokens so far) - 1, padding gets 1. */
export function positionIdsFromMask(mask: number[][]): number[][] {
  return mask.map((row) => {
    let seen = 0;
    return row.map((real) => {
      seen += real;
      return real ? seen - 1 : 1;
    });
  });
}

/**
 * The projection matrices as the forward multiplies them: transposed to [in, out] (the wasm
 * backend's matMul is much faster without transposeB), stacked so each block is one matMul, with
 * the preceding RMSNorm weight folded in.
 */
type Projections = {
  /** per layer [hidden, (2 heads + 3 kvHeads) * d]: q / sqrt(d), k, v, partner(q) / sqrt(d), partner(k) */
  qkv: tf.Tensor2D[];
  /** per layer [heads * d, hidden] */
  o: tf.Tensor2D[];
  /** per layer [hidden, 2 * intermediate]: gate, then up */
  gateUp: tf.Tensor2D[];
  /** per layer [intermediate, hidden] */
  down: tf.Tensor2D[];
  /** [hidden, vocab] (the transposed embedding when tied), times the final norm weight */
  lmHead: tf.Tensor2D;
};

let modelsCreated = 0;

export class LlamaModel {
  readonly config: LlamaConfig;
  /** Parameters under Hugging Face names; tf.Variables when trainable. */
  readonly params: Map<string, tf.Variable | tf.Tensor>;
  readonly trainable: boolean;
  /**
   * A frozen model (and frozen adapter) builds its Projections once; a trainable one rebuilds
   * them in each forward.
   */
  private frozenProjections: Projections | null = null;
  private loraAdapter: LoraAdapter | null = null;
  private cachedFrequencies: Float32Array | null = null;

  private constructor(config: LlamaConfig, params: Map<string, tf.Variable | tf.Tensor>, trainable: boolean) {
    this.config = config;
    this.params = params;
    this.trainable = trainable;
    this.rebuildFrozenProjections();
  }

  private rebuildFrozenProjections(): void {
    if (this.frozenProjections) tf.dispose(this.frozenProjections);
    this.frozenProjections = null;
    if (this.trainable || this.loraAdapter?.trainable) return;
    const projections = tf.tidy(() => this.buildProjections());
    // kept, so a model built inside someone's tf.tidy outlives it
    for (const tensor of [...projections.qkv, ...projections.o, ...projections.gateUp, ...projections.down, projections.lmHead]) tf.keep(tensor);
    this.frozenProjections = projections;
  }

  /** The LoRA adapter the forward applies, or null. */
  get adapter(): LoraAdapter | null {
    return this.loraAdapter;
  }

  /**
   * Applies a LoRA adapter from now on (null removes it): every projection it targets becomes
   * W x + (alpha / r) B A x. The adapter stays the caller's to dispose; the base weights are not
   * touched. With an adapter attached, training updates only the adapter (see trainableParams).
   */
  attachAdapter(adapter: LoraAdapter | null): void {
    if (adapter) {
      const fields = ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim'] as const;
      const differs = fields.find((field) => headDimOr(adapter.modelConfig, field) !== headDimOr(this.config, field));
      if (differs) {
        throw new Error(`attachAdapter: the adapter was made for ${differs} = ${headDimOr(adapter.modelConfig, differs)}, this model has ${headDimOr(this.config, differs)}`);
      }
    }
    this.loraAdapter = adapter;
    this.rebuildFrozenProjections();
  }

  /**
   * What training updates, by name: the adapter's A and B when one is attached, else every
   * parameter of a trainable model. Throws when there is nothing to train.
   */
  trainableParams(): Map<string, tf.Variable> {
    if (this.loraAdapter) {
      if (!this.loraAdapter.trainable) throw new Error('trainableParams: the attached LoRA adapter is frozen (make it with trainable: true)');
      return this.loraAdapter.params as Map<string, tf.Variable>;
    }
    if (!this.trainable) throw new Error('trainableParams: the model is frozen and has no adapter (use trainable: true or attach a LoRA adapter)');
    return this.params as Map<string, tf.Variable>;
  }

  /** Uploads checked weights. A tied model ignores any lm_head.weight it is given. */
  static fromWeights(config: LlamaConfig, weights: WeightMap, opts: { trainable?: boolean } = {}): LlamaModel {
    checkWeights(config, weights);
    const trainable = opts.trainable ?? false;
    const modelId = modelsCreated++;
    const params = new Map<string, tf.Variable | tf.Tensor>();
    for (const name of expectedWeightShapes(config).keys()) {
      const { shape, data } = weights.get(name)!;
      const tensor = tf.tensor(data, shape, 'float32');
      params.set(name, trainable ? tf.variable(tensor, true, `llama${modelId}/${name}`) : tf.keep(tensor));
      if (trainable) tensor.dispose();
    }
    return new LlamaModel(config, params, trainable);
  }

  /** Fresh weights: every matrix ~ N(0, 0.02^2), every norm weight 1, reproducible from the seed. */
  static init(config: LlamaConfig, seed: number, opts: { trainable?: boolean } = {}): LlamaModel {
    const random = createRandom(seed);
    const weights: WeightMap = new Map();
    for (const [name, shape] of expectedWeightShapes(config)) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (shape.length === 1) data.fill(1);
      else for (let i = 0; i < data.length; i++) data[i] = 0.02 * randomNormal(random);
      weights.set(name, { shape, data });
    }
    return LlamaModel.fromWeights(config, weights, { trainable: opts.trainable ?? true });
  }

  toWeightMap(): WeightMap {
    return readWeightMap(this.params);
  }

  dispose(): void {
    for (const tensor of this.params.values()) tensor.dispose();
    this.params.clear();
    if (this.frozenProjections) tf.dispose(this.frozenProjections);
    this.frozenProjections = null;
  }

  private param(name: string): tf.Tensor {
    const tensor = this.params.get(name);
    if (!tensor) throw new Error(`LlamaModel: no parameter ${name} (was the model disposed?)`);
    return tensor;
  }

  /** A projection weight as the forward uses it: W, or W + (alpha / r) B A when the adapter targets it. */
  private adaptedParam(name: string): tf.Tensor {
    const delta = this.loraAdapter?.delta(name);
    return delta ? tf.add(this.param(name), delta) : this.param(name);
  }

  /** x: [N, in] times a projection [in, out] -> [N, out] */
  private linear(x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(x, weight);
  }

  /**
   * rmsnorm(x) = x / sqrt(mean(x^2) + eps) * weight over the last axis of x: [N, hidden]. The
   * forward only computes the division; the weight is folded into the next projection.
   */
  private normalize(x: tf.Tensor2D): tf.Tensor2D {
    const meanSquare = tf.mean(tf.square(x), -1, true); // [N, 1]
    return tf.mul(x, tf.rsqrt(tf.add(meanSquare, this.config.rms_norm_eps)));
  }

  /**
   * Every projection as [in, out], built from the HF parameters (differentiably, so a trainable
   * model rebuilds them inside each forward):
   *   qkv:    rows [q / sqrt(d); k; v; ropePartner(q) / sqrt(d); ropePartner(k)], so one matMul
   *           gives the queries already scaled for attention, the keys, the values, and the
   *           partners RoPE mixes in: rope(q) = q cos + partner(q) sin.
   *   gateUp: rows [gate; up].
   * Each is multiplied column-wise by the RMSNorm weight before it: (x * w) W^T = x (W diag w)^T.
   */
  private buildProjections(): Projections {
    const config = this.config;
    const d = headDim(config);
    const scale = 1 / Math.sqrt(d);
    // rows [out, in] stacked, times the norm weight [in], transposed to [in, out]
    const project = (rows: tf.Tensor[], norm?: tf.Tensor) => {
      const stacked = rows.length === 1 ? rows[0] : tf.concat(rows as tf.Tensor2D[], 0);
      return tf.transpose(norm ? tf.mul(stacked, norm) : stacked) as tf.Tensor2D;
    };
    const head = this.param(config.tie_word_embeddings ? EMBED_TOKENS : LM_HEAD);
    const projections: Projections = { qkv: [], o: [], gateUp: [], down: [], lmHead: project([head], this.param(FINAL_NORM)) };
    for (let layer = 0; layer < config.num_hidden_layers; layer++) {
      const names = layerWeightNames(layer);
      const w = (name: string) => this.adaptedParam(name);
      const q = tf.mul(w(names.q), scale) as tf.Tensor2D;
      const k = w(names.k) as tf.Tensor2D;
      const partners = [ropePartner(q, d, config.rope_layout, 0), ropePartner(k, d, config.rope_layout, 0)];
      projections.qkv.push(project([q, k, w(names.v), ...partners], this.param(names.inputNorm)));
      projections.o.push(project([w(names.o)]));
      projections.gateUp.push(project([w(names.gate), w(names.up)], this.param(names.postAttentionNorm)));
      projections.down.push(project([w(names.down)]));
    }
    return projections;
  }

  /** ids: [batch, seq] -> [batch * seq, hidden] */
  private embed(ids: tf.Tensor2D, lookup: 'gather' | 'onehot'): tf.Tensor2D {
    const table = this.param(EMBED_TOKENS) as tf.Tensor2D; // [vocab, hidden]
    const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
    const indices = flat.dtype === 'int32' ? flat : tf.cast(flat, 'int32');
    if (lookup === 'gather') return tf.gather(table, indices);
    const oneHot = tf.cast(tf.oneHot(indices, this.config.vocab_size), 'float32') as tf.Tensor2D; // [N, vocab]
    return tf.matMul(oneHot, table);
  }

  /**
   * The differentiable forward. inputIds: [batch, seq] int32. Returns logits [batch, seq, vocab]
   * and the taps asked for; the caller disposes both. Safe inside tf.variableGrads.
   */
  forward(inputIds: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const config = this.config;
    const [batch, seq] = inputIds.shape;
    const cache = opts.cache;
    const pastLength = cache?.length ?? 0;
    const totalLength = pastLength + seq;
    const wanted = new Set<TapName>(opts.taps ?? []);
    if (wanted.size > 0) checkTapNames([...wanted], config.num_hidden_layers);
    if (opts.attentionMask && (opts.attentionMask.shape[0] !== batch || opts.attentionMask.shape[1] !== totalLength)) {
      throw new Error(`forward: attentionMask has shape [${opts.attentionMask.shape}], expected [${batch}, ${totalLength}] (cached + new tokens)`);
    }
    if (opts.positionIds && (opts.positionIds.shape[0] !== batch || opts.positionIds.shape[1] !== seq)) {
      throw new Error(`forward: positionIds has shape [${opts.positionIds.shape}], expected [${batch}, ${seq}]`);
    }
    if (cache && cache.numLayers !== config.num_hidden_layers) {
      throw new Error(`forward: the cache has ${cache.numLayers} layers, the model ${config.num_hidden_layers}`);
    }
    const training = opts.training ?? false;
    const residualDropout = training ? opts.dropoutRate ?? 0 : 0;
    const probsDropout = training ? opts.attentionDropoutRate ?? opts.dropoutRate ?? config.attention_dropout : 0;
    const activation = opts.activation ?? activationFromConfig(config.hidden_act);
    const heads = config.num_attention_heads;
    const kvHeads = config.num_key_value_heads;
    const d = headDim(config);

    // A decode step of a frozen model (generate's loop) on wasm or cpu is one kernel
    if (
      cache !== undefined &&
      batch * seq === 1 &&
      this.frozenProjections !== null &&
      wanted.size === 0 &&
      !opts.attentionMask &&
      !opts.positionIds &&
      !opts.attentionPattern &&
      !opts.queryKeyMask &&
      !training &&
      hasDecodeStep()
    ) {
      const logits = this.decodeStep(inputIds, cache, activation);
      if (logits) return { logits, taps: new Map() };
    }

    const dropout = <T extends tf.Tensor>(x: T, rate: number, site: string): T =>
      rate > 0 ? (tf.dropout(x, rate, undefined, opts.seed === undefined ? undefined : `${opts.seed}/${site}`) as T) : x;

    const result = tf.tidy(() => {
      const taps: Partial<Record<TapName, tf.Tensor>> = {};
      const newKeys: tf.Tensor4D[] = [];
      const newValues: tf.Tensor4D[] = [];
      // A tap is its own tensor (a reshape or clone shares the data), so disposing it never frees
      // the logits or a cache entry. [batch * seq, width] becomes [batch, seq, width].
      const tap = (name: TapName, x: tf.Tensor | (() => tf.Tensor)) => {
        if (!wanted.has(name)) return;
        const tensor = typeof x === 'function' ? x() : x;
        taps[name] = tensor.rank === 2 ? tf.reshape(tensor, [batch, seq, tensor.shape[1]!]) : tf.clone(tensor);
      };
      // [batch * seq, n * d] -> [batch, n, seq, d]; with one token the transpose only renames axes
      const splitHeads = (x: tf.Tensor2D, n: number) =>
        (seq === 1 ? tf.reshape(x, [batch, n, 1, d]) : tf.transpose(tf.reshape(x, [batch, seq, n, d]), [0, 2, 1, 3])) as tf.Tensor4D;
      // [batch, n, seq, d] -> [batch * seq, n * d]
      const mergeHeads = (x: tf.Tensor4D) =>
        (seq === 1 ? tf.reshape(x, [batch, x.shape[1] * d]) : tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch * seq, x.shape[1] * d])) as tf.Tensor2D;
      // queries come out of the projection divided by sqrt(d); their taps undo that
      const unscaled = (x: tf.Tensor) => tf.mul(x, Math.sqrt(d));

      const qWidth = heads * d;
      const kvWidth = kvHeads * d;
      // cos, sin: [batch * seq, (heads + kvHeads) * d], the columns of q and k side by side
      const { cos, sin } = ropeTables(
        config,
        heads + kvHeads,
        batch,
        seq,
        opts.positionIds ? { positionIds: opts.positionIds, seqLen: ropeSeqLen(config, opts.positionIds, totalLength) } : { pastLength },
      );
      const mask = buildAttentionMask(seq, pastLength, heads / kvHeads, opts.attentionMask, opts.attentionPattern, opts.queryKeyMask);

      const projections = this.frozenProjections ?? this.buildProjections();
      let hidden = this.embed(inputIds, opts.embeddingLookup ?? 'gather'); // [batch * seq, hidden]
      const addResidual = (branch: tf.Tensor2D, site: string) => {
        hidden = tf.add(hidden, dropout(branch, residualDropout, site));
      };
      tap('embed', hidden);

      for (let layer = 0; layer < config.num_hidden_layers; layer++) {
        const names = layerWeightNames(layer);
        const t = (name: Parameters<typeof layerTap>[1]) => layerTap(layer, name);

        // Attention block
        const normed = this.normalize(hidden); // the norm weight is inside projections.qkv
        tap(t('input_norm'), () => tf.mul(normed, this.param(names.inputNorm)));
        const qkv = this.linear(normed, projections.qkv[layer]);
        const [qk, v2d, partners] = tf.split(qkv, [qWidth + kvWidth, kvWidth, qWidth + kvWidth], 1);
        const qkRotated = tf.add(tf.mul(qk, cos), tf.mul(partners, sin)) as tf.Tensor2D; // RoPE, [batch * seq, (heads + kvHeads) * d]
        const [q, k] = tf.split(splitHeads(qkRotated, heads + kvHeads), [heads, kvHeads], 1) as tf.Tensor4D[]; // [batch, heads | kvHeads, seq, d]
        const v = splitHeads(v2d as tf.Tensor2D, kvHeads); // [batch, kvHeads, seq, d]
        if (wanted.has(t('attn.q')) || wanted.has(t('attn.k'))) {
          const [qRaw, kRaw] = tf.split(qk, [qWidth, kvWidth], 1) as tf.Tensor2D[];
          tap(t('attn.q'), () => unscaled(splitHeads(qRaw, heads)));
          tap(t('attn.k'), () => splitHeads(kRaw, kvHeads));
        }
        tap(t('attn.v'), v);
        tap(t('attn.q_rotated'), () => unscaled(q));
        tap(t('attn.k_rotated'), k);
        const pastKeys = cache?.keys[layer];
        const pastValues = cache?.values[layer];
        const allKeys = pastKeys ? (tf.concat([pastKeys, k], 2) as tf.Tensor4D) : k; // [batch, kvHeads, T, d]
        const allValues = pastValues ? (tf.concat([pastValues, v], 2) as tf.Tensor4D) : v;
        if (cache) {
          newKeys.push(allKeys);
          newValues.push(allValues);
        }
        const attended = attention(q, allKeys, allValues, mask, {
          wantScores: wanted.has(t('attn.scores')),
          wantProbs: wanted.has(t('attn.probs')),
          dropout: probsDropout > 0 ? (p) => dropout(p, probsDropout, `${layer}/probs`) : undefined,
        });
        if (attended.scores) tap(t('attn.scores'), attended.scores);
        if (attended.probs) tap(t('attn.probs'), attended.probs);
        const attnOut = this.linear(mergeHeads(attended.out), projections.o[layer]); // [batch * seq, hidden]
        tap(t('attn.out'), attnOut);
        addResidual(attnOut, `${layer}/attn`);
        tap(t('attn_residual'), hidden);

        // MLP block: down(act(gate x) * up x)
        const mlpInput = this.normalize(hidden); // the norm weight is inside projections.gateUp
        tap(t('post_attention_norm'), () => tf.mul(mlpInput, this.param(names.postAttentionNorm)));
        const gateUp = this.linear(mlpInput, projections.gateUp[layer]);
        const [gate, up] = tf.split(gateUp, 2, 1) as tf.Tensor2D[]; // [batch * seq, intermediate] each
        const act = activate(gate, activation) as tf.Tensor2D;
        tap(t('mlp.gate'), gate);
        tap(t('mlp.up'), up);
        tap(t('mlp.act'), act);
        const gated = tf.mul(act, up) as tf.Tensor2D; // act(gate) * up, [batch * seq, intermediate]
        const mlpOut = this.linear(gated, projections.down[layer]); // [batch * seq, hidden]
        tap(t('mlp.out'), mlpOut);
        addResidual(mlpOut, `${layer}/mlp`);
        tap(t('out'), hidden);
      }

      const finalNorm = this.normalize(hidden); // the norm weight is inside projections.lmHead
      tap('final_norm', () => tf.mul(finalNorm, this.param(FINAL_NORM)));
      const logits = tf.reshape(this.linear(finalNorm, projections.lmHead), [batch, seq, config.vocab_size]) as tf.Tensor3D;
      tap('logits', logits);
      return { logits, taps, newKeys, newValues };
    });

    if (cache) {
      for (let layer = 0; layer < config.num_hidden_layers; layer++) cache.set(layer, result.newKeys[layer], result.newValues[layer]);
    }
    const taps = new Map<TapName, tf.Tensor>();
    for (const name of wanted) taps.set(name, result.taps[name]!);
    return { logits: result.logits, taps };
  }

  /**
   * One token, batch 1, frozen, nothing tapped: the whole forward as one kernel (decodeKernels.ts)
   * that writes this token's keys and values in place into the cache's buffers. Null when the
   * cache holds a batch of several rows (the general forward then reports the mismatch).
   */
  private decodeStep(inputIds: tf.Tensor2D, cache: KVCache, activation: ActivationSpec): tf.Tensor3D | null {
    const config = this.config;
    const heads = config.num_attention_heads;
    const kvHeads = config.num_key_value_heads;
    const d = headDim(config);
    if (cache.length === 0) cache.startBuffers(kvHeads, d);
    const buffers = cache.decodeBuffers(1);
    if (!buffers) return null;
    const projections = this.frozenProjections!;
    const position = buffers.length;
    const logits = fusedDecodeStep(
      { ids: inputIds, embed: this.param(EMBED_TOKENS), ...projections, keys: buffers.keys, values: buffers.values },
      {
        layers: config.num_hidden_layers,
        hidden: config.hidden_size,
        intermediate: config.intermediate_size,
        vocab: config.vocab_size,
        heads,
        kvHeads,
        headDim: d,
        eps: config.rms_norm_eps,
        activation: (typeof activation === 'string' ? activation : 'swish') as StepActivation,
        beta: typeof activation === 'string' ? 1 : activation.beta,
        position,
        // dynamic NTK scaling sees the longest position + 1, as ropeTables does
        frequencies: this.stepFrequencies(position + 1),
        positionScale: positionScale(config),
      },
    );
    cache.advance(1);
    return logits;
  }

  /** RoPE's column frequencies of q and k side by side for a forward of seqLen positions (cached unless dynamic). */
  private stepFrequencies(seqLen: number): Float32Array {
    const config = this.config;
    const columns = config.num_attention_heads + config.num_key_value_heads;
    if (config.rope_scaling?.rope_type === 'dynamic') return columnFrequencies(config, seqLen, columns);
    this.cachedFrequencies ??= columnFrequencies(config, seqLen, columns);
    return this.cachedFrequencies;
  }

  /** forward() on plain arrays: checks ids, reads back logits and taps, disposes every tensor. */
  async run(ids: number[][], opts: RunOptions = {}): Promise<{ logits: PlainTensor; taps: Record<string, PlainTensor> }> {
    checkTokenIds(ids, this.config.vocab_size);
    const inputIds = tf.tensor2d(ids, undefined, 'int32');
    const attentionMask = opts.attentionMask ? tf.tensor2d(opts.attentionMask, undefined, 'int32') : undefined;
    const positionIds = opts.positionIds ? tf.tensor2d(opts.positionIds, undefined, 'int32') : undefined;
    try {
      const { logits, taps } = this.forward(inputIds, { ...opts, attentionMask, positionIds });
      const plain = async (tensor: tf.Tensor): Promise<PlainTensor> => {
        const data = (await tensor.data()) as Float32Array;
        tensor.dispose();
        return { shape: [...tensor.shape], data };
      };
      const plainTaps: Record<string, PlainTensor> = {};
      for (const [name, tensor] of taps) plainTaps[name] = await plain(tensor);
      return { logits: await plain(logits), taps: plainTaps };
    } finally {
      inputIds.dispose();
      attentionMask?.dispose();
      positionIds?.dispose();
    }
  }
}

/** Named tensors read back into a WeightMap (copies, so the tensors may be disposed). */
export function readWeightMap(tensors: Map<string, tf.Tensor>): WeightMap {
  const weights: WeightMap = new Map();
  for (const [name, tensor] of tensors) {
    weights.set(name, { shape: [...tensor.shape], data: Float32Array.from(tensor.dataSync() as Float32Array) });
  }
  return weights;
}

/** Throws, naming the id, when a row is ragged or an id is outside [0, vocabSize). */
export function checkTokenIds(ids: number[][], vocabSize: number): void {
  const width = ids[0]?.length ?? 0;
  if (ids.length === 0 || width === 0) throw new Error('Token ids: received an empty batch. Expected at least one token per row');
  for (const [row, rowIds] of ids.entries()) {
    if (rowIds.length !== width) throw new Error(`Token ids: row ${row} has ${rowIds.length} ids, row 0 has ${width}`);
    for (const id of rowIds) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new Error(`Token id ${id} (row ${row}) is outside the vocabulary [0, ${vocabSize})`);
      }
    }
  }
}

/** A config field, with head_dim resolved to its default. */
function headDimOr(config: LlamaConfig, field: 'hidden_size' | 'intermediate_size' | 'num_hidden_layers' | 'num_attention_heads' | 'num_key_value_heads' | 'head_dim'): number {
  return field === 'head_dim' ? headDim(config) : config[field];
}

/** The sequence length dynamic NTK scaling sees: the longest position + 1 (a readback, only for 'dynamic'). */
function ropeSeqLen(config: LlamaConfig, positionIds: tf.Tensor2D, totalLength: number): number {
  if (config.rope_scaling?.rope_type !== 'dynamic') return totalLength;
  return tf.tidy(() => tf.max(positionIds).dataSync()[0] as number) + 1;
}
