/**
 * A whole decode step (one new token, batch 1) as one kernel on the wasm and cpu backends.
 *
 * Why: a decode step of a tiny model does well under a megaflop of work, yet built from tfjs ops it
 * launches over a hundred kernels (stories260K: 186; with per-layer fused kernels still 45), and on
 * these backends each launch (tensor bookkeeping, shape checks, tidy, a call into wasm) costs more
 * than its arithmetic. Here the step is one kernel, GlassLlamaDecodeStep: the embedding row, for
 * every layer RMSNorm, the q/k/v projection, RoPE, the new key and value written in place into the
 * KV cache's preallocated buffers, attention, o_proj, the residual add, RMSNorm, gate|up, the
 * activation times up, down_proj and the residual add, then the final norm and lm_head. On wasm
 * every matrix product is the backend's own (XNNPACK) matMul, called directly on the backend's
 * buffers, so the products give the numbers tf.matMul gives; on cpu they are plain loops. The
 * element-wise work is TypeScript over the backend's memory, as in some of tfjs-backend-wasm's own
 * kernels. Scratch vectors live as long as the backend, one set per model shape: a step allocates
 * nothing but its output, the logits.
 *
 * No gradient: model.ts uses it only for a frozen model's forward of one token with a KV cache and
 * nothing asked of it but the logits. On other backends (WebGPU, WebGL) the forward keeps its ops.
 * Checked against the general forward and the float64 reference by tests/unit/decode-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';

export const DECODE_STEP = 'GlassLlamaDecodeStep';

/** Backends where the decode-step kernel is registered (on first use). */
const STEP_BACKENDS = ['wasm', 'cpu'] as const;

/** The MLP nonlinearities the kernel computes (model.ts ActivationSpec, flattened). */
export type StepActivation = 'silu' | 'relu' | 'gelu' | 'gelu_tanh' | 'swish';

export interface DecodeStepAttrs {
  layers: number;
  hidden: number;
  intermediate: number;
  vocab: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  eps: number;
  activation: StepActivation;
  /** swish's beta (1 for the others) */
  beta: number;
  /** the new token's position: the number of positions cached before this step */
  position: number;
  /** RoPE: the angle per position of each of the (heads + kvHeads) d columns of q and k side by side */
  frequencies: Float32Array;
  /** RoPE's position scale (linear scaling divides positions by its factor) */
  positionScale: number;
}

/**
 * The tensors of a step. ids [1, 1] int32; embed [vocab, hidden]; per layer the projections as
 * model.ts folds them ([in, out]: qkv = q / sqrt(d) | k | v | partner(q) / sqrt(d) | partner(k),
 * gateUp = gate | up, each times its RMSNorm weight; o; down) and the cache buffers
 * [1, kvHeads, capacity, d], rows 0..position-1 filled; lmHead [hidden, vocab] (times the final
 * norm weight). The step writes row `position` of every cache buffer and returns logits [1, 1, vocab].
 */
export interface DecodeStepInputs {
  ids: tf.Tensor;
  embed: tf.Tensor;
  qkv: tf.Tensor[];
  o: tf.Tensor[];
  gateUp: tf.Tensor[];
  down: tf.Tensor[];
  lmHead: tf.Tensor;
  keys: tf.Tensor[];
  values: tf.Tensor[];
}

/**
 * Where a kernel's numbers live and how it multiplies them. A Buffer names a float32 vector in
 * the backend; view() gives an array over it that stays valid until the next matMul (on wasm a
 * matMul may grow the heap, which detaches every earlier view).
 */
interface StepMemory<Buffer> {
  input(info: tf.TensorInfo): Buffer;
  /** a vector of `size` floats kept for the life of the backend, under `name` */
  scratch(name: string, size: number): Buffer;
  view(buffer: Buffer): Float32Array;
  /** out [1, n] = a [1, k] x w [k, n] */
  matMul(a: Buffer, w: Buffer, out: Buffer, k: number, n: number): void;
  readId(info: tf.TensorInfo): number;
}

// ------------------------------------------------------------------------------ wasm memory

type WasmBackend = {
  wasm: { HEAPF32: Float32Array; HEAP32: Int32Array; cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
};
type WasmBuffer = { id: number; offset: number; size: number };
type WasmState = { matMul: (...args: unknown[]) => void; scratch: Map<string, WasmBuffer>; shapes: Map<string, Uint8Array> };

/** Per wasm backend instance: the matMul entry point, the scratch vectors and shape bytes. */
const wasmStates = new WeakMap<object, WasmState>();

function wasmMemory(backend: WasmBackend): StepMemory<WasmBuffer> {
  let state = wasmStates.get(backend);
  if (!state) {
    // tfjs-backend-wasm's BatchMatMul(a_id, a_shape, a_rank, b_id, b_shape, b_rank, transpose_a, transpose_b, out_id)
    const matMul = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    state = { matMul, scratch: new Map(), shapes: new Map() };
    wasmStates.set(backend, state);
  }
  const { scratch, shapes, matMul } = state;
  const buffer = (info: tf.TensorInfo): WasmBuffer => {
    const data = backend.dataIdMap.get(info.dataId);
    return { id: data.id, offset: data.memoryOffset / 4, size: info.shape.reduce((a, b) => a * b, 1) };
  };
  const shapeBytes = (shape: number[]) => {
    const key = shape.join(',');
    let bytes = shapes.get(key);
    if (!bytes) shapes.set(key, (bytes = new Uint8Array(new Int32Array(shape).buffer)));
    return bytes;
  };
  return {
    input: buffer,
    scratch: (name, size) => {
      const key = `${name}:${size}`;
      let found = scratch.get(key);
      if (!found) scratch.set(key, (found = buffer(backend.makeOutput([size], 'float32'))));
      return found;
    },
    view: ({ offset, size }) => backend.wasm.HEAPF32.subarray(offset, offset + size),
    matMul: (a, w, out, k, n) => matMul(a.id, shapeBytes([1, 1, k]), 3, w.id, shapeBytes([1, k, n]), 3, false, false, out.id),
    readId: (info) => backend.wasm.HEAP32[backend.dataIdMap.get(info.dataId).memoryOffset / 4],
  };
}

// ------------------------------------------------------------------------------ cpu memory

type CpuBackend = { data: { get(dataId: object): { values: Float32Array | Int32Array } } };
const cpuScratch = new WeakMap<object, Map<string, Float32Array>>();
/** float64 sums of the cpu matMul */
let accumulator = new Float64Array(0);

function cpuMemory(backend: CpuBackend): StepMemory<Float32Array> {
  let scratch = cpuScratch.get(backend);
  if (!scratch) cpuScratch.set(backend, (scratch = new Map()));
  return {
    input: (info) => backend.data.get(info.dataId).values as Float32Array,
    scratch: (name, size) => {
      const key = `${name}:${size}`;
      let found = scratch.get(key);
      if (!found) scratch.set(key, (found = new Float32Array(size)));
      return found;
    },
    view: (buffer) => buffer,
    matMul: (a, w, out, k, n) => {
      if (accumulator.length < n) accumulator = new Float64Array(n);
      accumulator.fill(0, 0, n);
      for (let i = 0; i < k; i++) {
        const ai = a[i];
        for (let j = 0, row = i * n; j < n; j++) accumulator[j] += ai * w[row + j];
      }
      for (let j = 0; j < n; j++) out[j] = accumulator[j];
    },
    readId: (info) => backend.data.get(info.dataId).values[0],
  };
}

// ------------------------------------------------------------------------------ the step

/** erf, Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, under float32's resolution here). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign * (1 - poly * Math.exp(-a * a));
}

/** act(g), as model.ts activate() defines each. */
function activate(g: number, activation: StepActivation, beta: number): number {
  switch (activation) {
    case 'silu':
      return g / (1 + Math.exp(-g));
    case 'swish':
      return g / (1 + Math.exp(-beta * g));
    case 'relu':
      return g > 0 ? g : 0;
    case 'gelu':
      return 0.5 * g * (1 + erf(g * Math.SQRT1_2));
    case 'gelu_tanh':
      return 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)));
  }
}

/**
 * out = x / sqrt(mean(x^2) + eps) (RMSNorm without its weight, which the next projection holds),
 * the mean in float64 and the scale rounded to float32 as the general forward's ops round it.
 */
function rmsNormalize(x: Float32Array, out: Float32Array, eps: number): void {
  let sumSquares = 0;
  for (let i = 0; i < x.length; i++) sumSquares += x[i] * x[i];
  const scale = Math.fround(1 / Math.sqrt(Math.fround(sumSquares / x.length) + eps));
  for (let i = 0; i < x.length; i++) out[i] = x[i] * scale;
}

/** one query head's scores, then e^(score - max), in float64 */
let scores = new Float64Array(0);

/**
 * Attention of one token for every query head: query head h reads KV head floor(h / group) of
 * the cache rows 0..length-1 ([kvHeads, capacity, d]), out = sum_t e^(s_t - max) v_t / sum_t e^(s_t - max)
 * with s_t = q . k_t (rounded to float32 as a float32 product would be), sums in float64. The loops
 * take four coordinates at a time, so the inner loop over positions keeps its sums in registers.
 */
function attend(
  q: Float32Array,
  keys: Float32Array,
  values: Float32Array,
  out: Float32Array,
  { heads, kvHeads, d, capacity, length }: { heads: number; kvHeads: number; d: number; capacity: number; length: number },
): void {
  if (scores.length < length) scores = new Float64Array(Math.max(length, 2 * scores.length));
  const group = heads / kvHeads;
  for (let h = 0; h < heads; h++) {
    const kvBase = Math.floor(h / group) * capacity * d;
    const qBase = h * d;
    scores.fill(0, 0, length);
    let i = 0;
    for (; i + 4 <= d; i += 4) {
      const q0 = q[qBase + i], q1 = q[qBase + i + 1], q2 = q[qBase + i + 2], q3 = q[qBase + i + 3];
      for (let t = 0, k = kvBase + i; t < length; t++, k += d) scores[t] += q0 * keys[k] + q1 * keys[k + 1] + q2 * keys[k + 2] + q3 * keys[k + 3];
    }
    for (; i < d; i++) {
      const qi = q[qBase + i];
      for (let t = 0, k = kvBase + i; t < length; t++, k += d) scores[t] += qi * keys[k];
    }
    let max = -Infinity;
    for (let t = 0; t < length; t++) {
      const score = Math.fround(scores[t]);
      scores[t] = score;
      if (score > max) max = score;
    }
    let sum = 0;
    for (let t = 0; t < length; t++) {
      const p = Math.exp(scores[t] - max);
      scores[t] = p;
      sum += p;
    }
    i = 0;
    for (; i + 4 <= d; i += 4) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let t = 0, v = kvBase + i; t < length; t++, v += d) {
        const p = scores[t];
        a0 += p * values[v];
        a1 += p * values[v + 1];
        a2 += p * values[v + 2];
        a3 += p * values[v + 3];
      }
      out[qBase + i] = a0 / sum;
      out[qBase + i + 1] = a1 / sum;
      out[qBase + i + 2] = a2 / sum;
      out[qBase + i + 3] = a3 / sum;
    }
    for (; i < d; i++) {
      let a = 0;
      for (let t = 0, v = kvBase + i; t < length; t++, v += d) a += scores[t] * values[v];
      out[qBase + i] = a / sum;
    }
  }
}

function decodeStep<Buffer>(memory: StepMemory<Buffer>, inputs: Record<string, tf.TensorInfo>, attrs: DecodeStepAttrs, logits: Buffer): void {
  const { layers, hidden, intermediate: f, vocab, heads, kvHeads, headDim: d, eps, activation, beta, position } = attrs;
  const length = position + 1;
  const capacity = inputs.keys0.shape[2];
  if (length > capacity) throw new Error(`${DECODE_STEP}: the cache buffers hold ${capacity} positions; position ${position} is past them`);
  const qWidth = heads * d;
  const rotatedWidth = (heads + kvHeads) * d; // q and k side by side
  const qkvWidth = 2 * rotatedWidth + kvHeads * d;
  // scratch first: making one may grow the wasm heap
  const normed = memory.scratch('normed', hidden);
  const qkvOut = memory.scratch('qkv', qkvWidth);
  const attended = memory.scratch('attended', qWidth);
  const branch = memory.scratch('branch', hidden);
  const gateUpOut = memory.scratch('gateUp', 2 * f);
  const gated = memory.scratch('gated', f);
  // views of the vectors the kernel keeps to itself; on wasm they are re-taken after every matMul
  const fresh = () => ({
    residual: memory.view(memory.scratch('residual', hidden)),
    cos: memory.view(memory.scratch('cos', rotatedWidth)),
    sin: memory.view(memory.scratch('sin', rotatedWidth)),
    q: memory.view(memory.scratch('q', qWidth)),
  });

  // RoPE at this position: rope(x) = x cos + partner(x) sin, the tables as rope.ts ropeTables makes them
  let s = fresh();
  const angle = position * attrs.positionScale;
  for (let c = 0; c < rotatedWidth; c++) {
    s.cos[c] = Math.cos(angle * attrs.frequencies[c]);
    s.sin[c] = Math.sin(angle * attrs.frequencies[c]);
  }
  const token = memory.readId(inputs.ids);
  if (!Number.isInteger(token) || token < 0 || token >= vocab) throw new Error(`Token id ${token} is outside the vocabulary [0, ${vocab})`);
  const embed = memory.view(memory.input(inputs.embed));
  s.residual.set(embed.subarray(token * hidden, (token + 1) * hidden));
  rmsNormalize(s.residual, memory.view(normed), eps);

  const addAndNormalize = () => {
    s = fresh();
    const add = memory.view(branch);
    for (let i = 0; i < hidden; i++) s.residual[i] += add[i];
    rmsNormalize(s.residual, memory.view(normed), eps);
  };

  for (let layer = 0; layer < layers; layer++) {
    // attention: q, k, v and the RoPE partners of q and k in one product
    memory.matMul(normed, memory.input(inputs[`qkv${layer}`]), qkvOut, hidden, qkvWidth);
    s = fresh();
    const qkv = memory.view(qkvOut);
    const keys = memory.view(memory.input(inputs[`keys${layer}`]));
    const values = memory.view(memory.input(inputs[`values${layer}`]));
    const out = memory.view(attended);
    const vStart = rotatedWidth;
    const partnerStart = rotatedWidth + kvHeads * d;
    for (let c = 0; c < qWidth; c++) s.q[c] = qkv[c] * s.cos[c] + qkv[partnerStart + c] * s.sin[c];
    for (let j = 0; j < kvHeads; j++) {
      // this token's key (rotated) and value, written into row `position` of KV head j
      const row = (j * capacity + position) * d;
      for (let i = 0; i < d; i++) {
        const c = qWidth + j * d + i;
        keys[row + i] = qkv[c] * s.cos[c] + qkv[partnerStart + c] * s.sin[c];
        values[row + i] = qkv[vStart + j * d + i];
      }
    }
    attend(s.q, keys, values, out, { heads, kvHeads, d, capacity, length });
    memory.matMul(attended, memory.input(inputs[`o${layer}`]), branch, qWidth, hidden);
    addAndNormalize();

    // MLP: down(act(gate) * up)
    memory.matMul(normed, memory.input(inputs[`gateUp${layer}`]), gateUpOut, hidden, 2 * f);
    const gateUp = memory.view(gateUpOut);
    const act = memory.view(gated);
    for (let i = 0; i < f; i++) act[i] = activate(gateUp[i], activation, beta) * gateUp[f + i];
    memory.matMul(gated, memory.input(inputs[`down${layer}`]), branch, f, hidden);
    addAndNormalize();
  }
  memory.matMul(normed, memory.input(inputs.lmHead), logits, hidden, vocab);
}

function stepKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }, backendName: string): tf.TensorInfo {
  const step = attrs as DecodeStepAttrs;
  const named = inputs as Record<string, tf.TensorInfo>;
  if (backendName === 'wasm') {
    const wasm = backend as WasmBackend;
    const logits = wasm.makeOutput([1, 1, step.vocab], 'float32');
    const memory = wasmMemory(wasm);
    decodeStep(memory, named, step, memory.input(logits));
    return logits;
  }
  const values = new Float32Array(step.vocab);
  decodeStep(cpuMemory(backend as CpuBackend), named, step, values);
  return (backend as { makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo }).makeTensorInfo([1, 1, step.vocab], 'float32', values);
}

/** Registers the decode-step kernel for the current backend; false where there is none. */
export function hasDecodeStep(): boolean {
  const backendName = tf.getBackend();
  if (!(STEP_BACKENDS as readonly string[]).includes(backendName)) return false;
  if (!tf.getKernel(DECODE_STEP, backendName)) {
    tf.registerKernel({ kernelName: DECODE_STEP, backendName, kernelFunc: (args) => stepKernel(args, backendName) });
  }
  return true;
}

/**
 * Runs one decode step (see decodeStep); the caller checked hasDecodeStep() and that the cache
 * buffers have a free row at attrs.position. Returns the logits [1, 1, vocab].
 */
export function fusedDecodeStep(tensors: DecodeStepInputs, attrs: DecodeStepAttrs): tf.Tensor3D {
  const inputs: Record<string, tf.Tensor> = { ids: tensors.ids, embed: tensors.embed, lmHead: tensors.lmHead };
  for (let layer = 0; layer < attrs.layers; layer++) {
    inputs[`qkv${layer}`] = tensors.qkv[layer];
    inputs[`o${layer}`] = tensors.o[layer];
    inputs[`gateUp${layer}`] = tensors.gateUp[layer];
    inputs[`down${layer}`] = tensors.down[layer];
    inputs[`keys${layer}`] = tensors.keys[layer];
    inputs[`values${layer}`] = tensors.values[layer];
  }
  return tf.engine().runKernel(DECODE_STEP, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}
