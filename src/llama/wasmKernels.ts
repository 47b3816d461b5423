/**
 * Kernel patches for the tfjs wasm backend, so that training runs there at a usable speed.
 *
 * Why they exist: in Node, and in a browser without WebGPU or WebGL, wasm is the fastest backend
 * we have (@tensorflow/tfjs-node cannot be installed here), but stock tfjs-backend-wasm was built
 * for inference. Its BatchMatMul is fast only for one plain [m, k] x [k, n] product, and it has no
 * UnsortedSegmentSum, the kernel behind the gradient of gather (the embedding lookup). Training
 * needs both. useFastWasmMatMul replaces BatchMatMul with a kernel that gives the same numbers
 * faster; useFastWasmEmbeddingGradient adds UnsortedSegmentSum. Each installs once, only for the
 * wasm backend, and changes no other backend. Call them after tf.setBackend('wasm').
 * Checked against the cpu backend by tests/unit/wasm-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Makes tf.matMul fast for training on the wasm backend. Its BatchMatMul kernel is quick only
 * for one plain [m, k] x [k, n] product; with a transpose flag, or with a batch of matrices,
 * it falls back to a slow loop (measured on this machine: x W^T for [2048, 128] x [128, 352]
 * took 151 ms against 9 ms without the flag). Training is full of both: every Linear is
 * x W^T (HF weights are [out, in]), its gradients are g^T x and g W, and attention multiplies
 * batches of [seq, seq] matrices. This replaces the kernel with one that transposes explicitly,
 * folds a shared right-hand matrix into one big product, and otherwise multiplies the batch one
 * matrix at a time. The numbers are the same; only the speed changes.
 * Call once after tf.setBackend('wasm').
 */
export function useFastWasmMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original || fastMatMulInstalled) return;
  fastMatMulInstalled = true;
  type Info = tf.TensorInfo;
  const run = (kernel: string, inputs: Record<string, Info | Info[]>, attrs: object, backend: unknown): Info =>
    tf.getKernel(kernel, 'wasm')!.kernelFunc({ inputs: inputs as never, backend: backend as never, attrs: attrs as never }) as Info;
  const matMul2d = (a: Info, b: Info, backend: unknown): Info =>
    original.kernelFunc({ inputs: { a, b } as never, backend: backend as never, attrs: { transposeA: false, transposeB: false } as never }) as Info;
  const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const wasm = backend as { disposeData(dataId: object): void };
      const temporary: Info[] = [];
      const swapLastTwo = (x: Info): Info => {
        const perm = x.shape.map((_, i) => i);
        [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
        const transposed = run('Transpose', { x }, { perm }, backend);
        temporary.push(transposed);
        return transposed;
      };
      let a = (inputs as { a: Info }).a;
      let b = (inputs as { b: Info }).b;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (transposeA) a = swapLastTwo(a);
      if (transposeB) b = swapLastTwo(b);
      const [m, k] = a.shape.slice(-2);
      const n = b.shape[b.shape.length - 1];
      const batchA = size(a.shape.slice(0, -2));
      const batchB = size(b.shape.slice(0, -2));
      const batchShape = batchA >= batchB ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
      let out: Info;
      if (batchB === 1) {
        // [batch, m, k] x [k, n]: one [batch * m, k] x [k, n] product.
        const a2d = run('Reshape', { x: a }, { shape: [batchA * m, k] }, backend);
        const b2d = run('Reshape', { x: b }, { shape: [k, n] }, backend);
        temporary.push(a2d, b2d);
        out = matMul2d(a2d, b2d, backend);
      } else {
        // One [m, k] x [k, n] product per matrix in the batch. The slices and the output are
        // plain copies in the wasm heap (the Slice kernel is slow for this).
        const heap = backend as unknown as WasmHeapAccess;
        const heapFloats = () => heap.wasm.HEAPF32; // re-read each time: an allocation may grow the heap
        const offsetOf = (x: Info) => heap.dataIdMap.get(x.dataId).memoryOffset / 4;
        const matrix = (x: Info, index: number, rows: number, cols: number): Info => {
          const slice = heap.makeOutput([1, rows, cols], 'float32');
          const from = offsetOf(x) + index * rows * cols;
          heapFloats().copyWithin(offsetOf(slice), from, from + rows * cols);
          temporary.push(slice);
          return slice;
        };
        const batch = Math.max(batchA, batchB);
        out = heap.makeOutput([batch, m, n], 'float32');
        for (let i = 0; i < batch; i++) {
          const product = matMul2d(matrix(a, batchA === 1 ? 0 : i, m, k), matrix(b, batchB === 1 ? 0 : i, k, n), backend);
          const from = offsetOf(product);
          heapFloats().copyWithin(offsetOf(out) + i * m * n, from, from + m * n);
          wasm.disposeData(product.dataId);
        }
      }
      for (const info of temporary) wasm.disposeData(info.dataId);
      out.shape = [...batchShape, m, n];
      return out;
    },
  });
}
let fastMatMulInstalled = false;

/** The parts of the wasm backend that useFastWasmMatMul reads to copy matrices in its heap. */
interface WasmHeapAccess {
  wasm: { HEAPF32: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/**
 * The gradient of tf.gather (the embedding lookup) is an UnsortedSegmentSum, which the wasm
 * backend lacks. This adds it: out[segment[i], :] += x[i, :], summed in the wasm heap. With it,
 * training can use embeddingLookup 'gather' instead of a one-hot [tokens, vocab] x [vocab, hidden]
 * matMul, whose backward pass is another product of that size.
 */
export function useFastWasmEmbeddingGradient(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeapAccess & { wasm: { HEAP32: Int32Array } };
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as { numSegments: number };
      if (x.dtype !== 'float32' || segmentIds.dtype !== 'int32' || segmentIds.shape.length !== 1) {
        throw new Error(`UnsortedSegmentSum (wasm): expected float32 x and 1-D int32 segment ids. Received ${x.dtype} and ${segmentIds.dtype}[${segmentIds.shape}]`);
      }
      const rows = segmentIds.shape[0];
      const width = x.shape.slice(1).reduce((p, d) => p * d, 1);
      const out = heap.makeOutput([numSegments, ...x.shape.slice(1)], 'float32');
      const floats = heap.wasm.HEAPF32; // read after makeOutput, which may grow the heap
      const ints = heap.wasm.HEAP32;
      const outAt = heap.dataIdMap.get(out.dataId).memoryOffset / 4;
      const xAt = heap.dataIdMap.get(x.dataId).memoryOffset / 4;
      const idsAt = heap.dataIdMap.get(segmentIds.dataId).memoryOffset / 4;
      floats.fill(0, outAt, outAt + numSegments * width);
      for (let i = 0; i < rows; i++) {
        const segment = ints[idsAt + i];
        if (segment < 0 || segment >= numSegments) continue; // TensorFlow drops out-of-range ids
        const to = outAt + segment * width;
        const from = xAt + i * width;
        for (let j = 0; j < width; j++) floats[to + j] += floats[from + j];
      }
      return out;
    },
  });
}
