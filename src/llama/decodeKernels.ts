/**
 * Fused kernels for a decode step (one new token, batch 1) on the wasm and cpu backends.
 *
 * Why: a decode step of a tiny model does well under a megaflop of work, yet built from tfjs ops it
 * launches over a hundred kernels, and on these backends each launch (tensor bookkeeping, shape
 * checks, a call into wasm) costs far more than its arithmetic. The attention of one token (RoPE,
 * appending to the KV cache, scores, softmax, the weighted sum of values) took fifteen of them
 * per layer; here it is one. RMSNorm's division (five kernels, with the residual add before it
 * six) and silu(gate) * up (four) are one each too. Like some of tfjs-backend-wasm's own kernels, it is written in
 * TypeScript over the backend's memory (the wasm heap, or the cpu backend's arrays).
 *
 * No gradient: model.ts uses it only for a frozen model's forward of one token with a KV cache
 * and nothing asked of it but the logits. On other backends (WebGPU, WebGL) the forward keeps its
 * ops. Checked against the general forward and the float64 reference by the parity tests.
 */
import * as tf from '@tensorflow/tfjs';

export const DECODE_ATTENTION = 'GlassLlamaDecodeAttention';
export const RMS_NORMALIZE = 'GlassLlamaRmsNormalize';
export const ADD_RMS_NORMALIZE = 'GlassLlamaAddRmsNormalize';
export const SILU_GATE = 'GlassLlamaSiluGate';

/** Backends where the fused decode kernels are registered (on first use). */
const FUSED_BACKENDS = ['wasm', 'cpu'] as const;

export interface DecodeAttentionAttrs {
  heads: number;
  kvHeads: number;
  headDim: number;
}

/** Read and write access to a backend's float32 data, as a kernel needs it. */
interface KernelMemory {
  read(info: tf.TensorInfo): Float32Array;
  /** Outputs are made first: on wasm, making one may grow the heap and detach earlier views. */
  make(shape: number[]): tf.TensorInfo;
  write(info: tf.TensorInfo): Float32Array;
}

type WasmBackend = { makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo; typedArrayFromHeap(info: tf.TensorInfo): Float32Array };
type CpuBackend = { makeTensorInfo(shape: number[], dtype: 'float32', values?: Float32Array): tf.TensorInfo; data: { get(dataId: object): { values: Float32Array } } };

function kernelMemory(backendName: string, backend: unknown): KernelMemory {
  if (backendName === 'wasm') {
    const wasm = backend as WasmBackend;
    return { read: (info) => wasm.typedArrayFromHeap(info), make: (shape) => wasm.makeOutput(shape, 'float32'), write: (info) => wasm.typedArrayFromHeap(info) };
  }
  const cpu = backend as CpuBackend;
  return {
    read: (info) => cpu.data.get(info.dataId).values,
    make: (shape) => cpu.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1))),
    write: (info) => cpu.data.get(info.dataId).values,
  };
}

/**
 * One token's grouped-query attention against the cache, in one kernel. Inputs:
 *   qkv         [1, (2 heads + 3 kvHeads) d]: the fused projection's row, columns
 *               q / sqrt(d) | k | v | partner(q) / sqrt(d) | partner(k), heads side by side
 *   cos, sin    [1, (heads + kvHeads) d]: RoPE at this position, so rope(x) = x cos + partner(x) sin
 *   pastKeys    [1, kvHeads, T, d] rotated; pastValues [1, kvHeads, T, d]
 * Outputs: the attended values [1, heads d] (heads side by side, ready for o_proj), and the keys
 * and values with this token appended, [1, kvHeads, T + 1, d] each. Query head h reads KV head
 * floor(h / (heads / kvHeads)). Softmax subtracts the row maximum and sums in float64.
 */
function decodeAttention(memory: KernelMemory, inputs: Record<string, tf.TensorInfo>, { heads, kvHeads, headDim: d }: DecodeAttentionAttrs): tf.TensorInfo[] {
  const past = inputs.pastKeys.shape[2];
  const length = past + 1;
  const outInfo = memory.make([1, heads * d]);
  const keysInfo = memory.make([1, kvHeads, length, d]);
  const valuesInfo = memory.make([1, kvHeads, length, d]);
  const [qkv, cos, sin, pastKeys, pastValues] = [inputs.qkv, inputs.cos, inputs.sin, inputs.pastKeys, inputs.pastValues].map((info) => memory.read(info));
  const [out, keys, values] = [outInfo, keysInfo, valuesInfo].map((info) => memory.write(info));

  const rotatedWidth = (heads + kvHeads) * d; // q and k side by side
  const vStart = rotatedWidth;
  const partnerStart = rotatedWidth + kvHeads * d;
  const q = new Float32Array(heads * d);
  for (let c = 0; c < heads * d; c++) q[c] = qkv[c] * cos[c] + qkv[partnerStart + c] * sin[c];
  for (let j = 0; j < kvHeads; j++) {
    // cache rows of KV head j: the past ones, then this token's
    keys.set(pastKeys.subarray(j * past * d, (j + 1) * past * d), j * length * d);
    values.set(pastValues.subarray(j * past * d, (j + 1) * past * d), j * length * d);
    const row = (j * length + past) * d;
    for (let i = 0; i < d; i++) {
      const c = heads * d + j * d + i;
      keys[row + i] = qkv[c] * cos[c] + qkv[partnerStart + c] * sin[c];
      values[row + i] = qkv[vStart + j * d + i];
    }
  }

  const group = heads / kvHeads;
  const scores = new Float64Array(length);
  const weighted = new Float64Array(d);
  for (let h = 0; h < heads; h++) {
    const kvBase = Math.floor(h / group) * length * d;
    const qBase = h * d;
    let max = -Infinity;
    for (let t = 0, k = kvBase; t < length; t++, k += d) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[qBase + i] * keys[k + i];
      scores[t] = Math.fround(dot);
      if (scores[t] > max) max = scores[t];
    }
    // softmax and the weighted sum of values in one pass: out = sum_t e^(s_t - max) v_t / sum_t e^(s_t - max)
    let sum = 0;
    weighted.fill(0);
    for (let t = 0, v = kvBase; t < length; t++, v += d) {
      const p = Math.exp(scores[t] - max);
      sum += p;
      for (let i = 0; i < d; i++) weighted[i] += p * values[v + i];
    }
    for (let i = 0; i < d; i++) out[qBase + i] = weighted[i] / sum;
  }
  return [outInfo, keysInfo, valuesInfo];
}

/** x [rows, n] -> x / sqrt(mean(x^2) + eps) per row (RMSNorm without its weight), mean in float64. */
function rmsNormalize(memory: KernelMemory, { x: xInfo }: Record<string, tf.TensorInfo>, { eps }: { eps: number }): tf.TensorInfo {
  const [rows, n] = xInfo.shape;
  const outInfo = memory.make([rows, n]);
  const x = memory.read(xInfo);
  const out = memory.write(outInfo);
  for (let r = 0; r < rows; r++) {
    let sumSquares = 0;
    for (let i = 0; i < n; i++) sumSquares += x[r * n + i] * x[r * n + i];
    const scale = Math.fround(1 / Math.sqrt(Math.fround(sumSquares / n) + eps));
    for (let i = 0; i < n; i++) out[r * n + i] = x[r * n + i] * scale;
  }
  return outInfo;
}

/**
 * The residual add and the RMSNorm that always follows it: x + branch [rows, n], and that sum
 * divided by sqrt(mean(sum^2) + eps) per row (the division as rmsNormalize does it).
 */
function addRmsNormalize(memory: KernelMemory, { x: xInfo, branch: branchInfo }: Record<string, tf.TensorInfo>, { eps }: { eps: number }): tf.TensorInfo[] {
  const [rows, n] = xInfo.shape;
  const sumInfo = memory.make([rows, n]);
  const outInfo = memory.make([rows, n]);
  const x = memory.read(xInfo);
  const branch = memory.read(branchInfo);
  const sum = memory.write(sumInfo);
  const out = memory.write(outInfo);
  for (let r = 0; r < rows; r++) {
    let sumSquares = 0;
    for (let i = r * n; i < (r + 1) * n; i++) {
      sum[i] = x[i] + branch[i];
      sumSquares += sum[i] * sum[i];
    }
    const scale = Math.fround(1 / Math.sqrt(Math.fround(sumSquares / n) + eps));
    for (let i = r * n; i < (r + 1) * n; i++) out[i] = sum[i] * scale;
  }
  return [sumInfo, outInfo];
}

/** gateUp [rows, 2 F] (gate | up) -> silu(gate) * up [rows, F], silu(g) = g / (1 + e^-g). */
function siluGate(memory: KernelMemory, { gateUp: gateUpInfo }: Record<string, tf.TensorInfo>): tf.TensorInfo {
  const [rows, width] = gateUpInfo.shape;
  const f = width / 2;
  const outInfo = memory.make([rows, f]);
  const gateUp = memory.read(gateUpInfo);
  const out = memory.write(outInfo);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < f; i++) {
      const gate = gateUp[r * width + i];
      out[r * f + i] = (gate / (1 + Math.exp(-gate))) * gateUp[r * width + f + i];
    }
  }
  return outInfo;
}

const KERNELS: Record<string, (memory: KernelMemory, inputs: Record<string, tf.TensorInfo>, attrs: never) => tf.TensorInfo | tf.TensorInfo[]> = {
  [DECODE_ATTENTION]: decodeAttention,
  [RMS_NORMALIZE]: rmsNormalize,
  [ADD_RMS_NORMALIZE]: addRmsNormalize,
  [SILU_GATE]: siluGate,
};

/** Registers the fused decode kernels for the current backend; false where there are none. */
export function hasDecodeKernels(): boolean {
  const backendName = tf.getBackend();
  if (!(FUSED_BACKENDS as readonly string[]).includes(backendName)) return false;
  for (const [kernelName, kernel] of Object.entries(KERNELS)) {
    if (tf.getKernel(kernelName, backendName)) continue;
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => kernel(kernelMemory(backendName, backend), inputs as unknown as Record<string, tf.TensorInfo>, attrs as never),
    });
  }
  return true;
}

/** RMSNorm's division, x / sqrt(mean(x^2) + eps) per row, as one kernel (no gradient). */
export function fusedRmsNormalize(x: tf.Tensor2D, eps: number): tf.Tensor2D {
  return tf.engine().runKernel(RMS_NORMALIZE, { x } as unknown as tf.NamedTensorMap, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** [x + branch, rmsnorm(x + branch) without its weight] as one kernel (no gradient). */
export function fusedAddRmsNormalize(x: tf.Tensor2D, branch: tf.Tensor2D, eps: number): [tf.Tensor2D, tf.Tensor2D] {
  return tf.engine().runKernel(ADD_RMS_NORMALIZE, { x, branch } as unknown as tf.NamedTensorMap, { eps } as unknown as tf.NamedAttrMap) as [tf.Tensor2D, tf.Tensor2D];
}

/** silu(gate) * up from the fused gate|up projection [rows, 2 F], as one kernel (no gradient). */
export function fusedSiluGate(gateUp: tf.Tensor2D): tf.Tensor2D {
  return tf.engine().runKernel(SILU_GATE, { gateUp } as unknown as tf.NamedTensorMap, {}) as tf.Tensor2D;
}

/** Runs the fused attention kernel (see decodeAttention); the caller checked hasDecodeKernels(). */
export function fusedDecodeAttention(
  qkv: tf.Tensor2D,
  cos: tf.Tensor2D,
  sin: tf.Tensor2D,
  pastKeys: tf.Tensor4D,
  pastValues: tf.Tensor4D,
  attrs: DecodeAttentionAttrs,
): { out: tf.Tensor2D; keys: tf.Tensor4D; values: tf.Tensor4D } {
  const [out, keys, values] = tf.engine().runKernel(
    DECODE_ATTENTION,
    { qkv, cos, sin, pastKeys, pastValues } as unknown as tf.NamedTensorMap,
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  return { out: out as tf.Tensor2D, keys: keys as tf.Tensor4D, values: values as tf.Tensor4D };
}
