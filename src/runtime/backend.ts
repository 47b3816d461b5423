/**
 * Which tfjs backend runs the model: WebGPU, else WebGL, else WebAssembly, else plain JavaScript.
 *
 * A backend is chosen by trying it, not by feature sniffing: a browser can expose navigator.gpu
 * and still have no adapter (requestAdapter() resolves to null: blocklisted GPU, headless, no
 * driver), and tf.setBackend() resolves to false when a backend fails to start (no WebGL context
 * in this worker, say). Each try ends with one tiny computation read back from the backend, so a
 * backend that starts but cannot compute also falls through. The heavy backends are imported only
 * when tried (dynamic import), so a page that ends up on wasm never downloads the WebGPU kernels.
 * tfjs itself is imported only by chooseBackend, so the page (client.ts reads the `?backend=`
 * helpers here) does not bundle it; only the worker does.
 */
import type * as TfModule from '@tensorflow/tfjs';

type Tf = typeof TfModule;

export const BACKEND_NAMES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** One try: did the backend start, and if not, why. */
export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  error?: string;
}

export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** One sentence for readers: why this backend, and what failed before it. */
  reason: string;
  /** Every backend tried, in order; the last one is the one in use. */
  tried: BackendAttempt[];
  /** Names of the backends that were tried first and failed. */
  fallbacks: BackendName[];
}

/** The part of navigator.gpu the probe needs (absent outside WebGPU browsers). */
export interface GpuLike {
  requestAdapter(): Promise<unknown | null>;
}

export interface BackendEnvironment {
  /** navigator.gpu, or undefined where WebGPU is not exposed. */
  gpu?: GpuLike;
  /**
   * Where tfjs-backend-wasm*.wasm are: a URL on our own origin in the browser ("/tfjs/"), a
   * directory path in Node. Must end with "/".
   */
  wasmPath: string;
  /** Registers the WebGPU backend; defaults to importing @tensorflow/tfjs-backend-webgpu. */
  loadWebgpu?: () => Promise<unknown>;
  /** Registers the wasm backend; defaults to importing @tensorflow/tfjs-backend-wasm. */
  loadWasm?: () => Promise<{ setWasmPaths(prefix: string): void }>;
}

/**
 * The order to try: the default order, or the requested backend first and then the others.
 * Throws on a name that is not a backend.
 */
export function backendOrder(requested?: string | null): BackendName[] {
  if (requested === undefined || requested === null || requested === '') return [...BACKEND_NAMES];
  const name = parseBackendName(requested);
  return [name, ...BACKEND_NAMES.filter((other) => other !== name)];
}

/** Validates a backend name (from a URL, a CLI flag, a message). */
export function parseBackendName(value: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(`Unknown backend '${value}'. Expected one of ${BACKEND_NAMES.join(', ')}.`);
}

/** The `?backend=` override of a page URL's query string, or null when there is none. */
export function backendFromQuery(search: string): BackendName | null {
  const requested = new URLSearchParams(search).get('backend');
  return requested ? parseBackendName(requested) : null;
}

export interface BackendRequest {
  /** Tried first (a page's ?backend=, the CLI's --backend). Default: none. */
  requested?: BackendName | null;
  /** Try the others when the requested one fails. Default true; the CLI uses false. */
  fallback?: boolean;
}

/**
 * Tries the requested backend (if any), then the others in the order webgpu > webgl > wasm > cpu,
 * and leaves tfjs on the first that works. Throws, listing every error, when none does.
 */
export async function chooseBackend(
  env: BackendEnvironment,
  { requested = null, fallback = true }: BackendRequest = {},
): Promise<BackendInfo> {
  const order = fallback || !requested ? backendOrder(requested) : [requested];
  const tf = await import('@tensorflow/tfjs');
  const tried: BackendAttempt[] = [];
  for (const name of order) {
    try {
      await startBackend(tf, name, env);
      tried.push({ name, ok: true });
      const fallbacks = tried.filter((attempt) => !attempt.ok).map((attempt) => attempt.name);
      return { name, reason: describeChoice(name, requested, tried), tried, fallbacks };
    } catch (error) {
      tried.push({ name, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new Error(`No tfjs backend could start: ${describeFailures(tried)}.`);
}

async function startBackend(tf: Tf, name: BackendName, env: BackendEnvironment): Promise<void> {
  if (name === 'webgpu') {
    if (!env.gpu) throw new Error('navigator.gpu is missing (this browser does not expose WebGPU)');
    // tfjs asks for an adapter too, but only logs when there is none; asking first gives a reason.
    const adapter = await env.gpu.requestAdapter();
    if (adapter === null || adapter === undefined) {
      throw new Error('navigator.gpu.requestAdapter() returned null (no usable GPU adapter)');
    }
    await (env.loadWebgpu ?? (() => import('@tensorflow/tfjs-backend-webgpu')))();
  }
  if (name === 'wasm') {
    const wasm = await (env.loadWasm ?? (() => import('@tensorflow/tfjs-backend-wasm')))();
    // Only effective before the wasm backend first starts; later calls keep the first path.
    wasm.setWasmPaths(env.wasmPath);
  }
  if (!tf.findBackendFactory(name)) throw new Error(`the ${name} backend is not registered`);
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
  await checkBackendComputes(tf, name);
}

/** 1 + 2 computed on the backend and read back: a backend that cannot do this is not usable. */
async function checkBackendComputes(tf: Tf, name: BackendName): Promise<void> {
  const sum = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
  try {
    const [value] = await sum.data();
    if (value !== 3) throw new Error(`the ${name} backend computed 1 + 2 = ${value}`);
  } finally {
    sum.dispose();
  }
}

function describeChoice(
  name: BackendName,
  requested: BackendName | null,
  tried: readonly BackendAttempt[],
): string {
  const start =
    name === requested
      ? `${name} was requested`
      : `${name} is the first backend that works in the order ${backendOrder(requested).join(' > ')}`;
  const failures = tried.filter((attempt) => !attempt.ok);
  return failures.length === 0 ? `${start}.` : `${start}; ${describeFailures(failures)}.`;
}

function describeFailures(attempts: readonly BackendAttempt[]): string {
  return attempts.map((attempt) => `${attempt.name} failed: ${attempt.error}`).join('; ');
}
