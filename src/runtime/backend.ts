/**
 * Which tfjs backend runs the model: WebGPU; else whichever of WebGL and WebAssembly runs this
 * model faster on this device (a measured probe: on a machine without a real GPU, WebGL took 4-8 s
 * for what WebAssembly did in 1.4 s); else plain JavaScript.
 *
 * A backend is chosen by trying it, not by feature sniffing: a browser can expose navigator.gpu
 * and still have no adapter (requestAdapter() resolves to null: blocklisted GPU, headless, no
 * driver), and tf.setBackend() resolves to false when a backend fails to start (no WebGL context
 * in this worker, say). Each try ends with one tiny computation read back from the backend, so a
 * backend that starts but cannot compute also falls through. The heavy backends are imported only
 * when tried (dynamic import), so a page that ends up on wasm never downloads the WebGPU or WebGL
 * kernels.
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
  /** The details, for a tooltip or a bug report: why this backend, and what failed before it. */
  reason: string;
  /** Every backend tried, in order (after a probe, more than one may have started). */
  tried: BackendAttempt[];
  /** Names of the backends that were tried first and failed. */
  fallbacks: BackendName[];
  /** When the choice was measured: each candidate's probe time in ms (Infinity: gave up waiting). */
  probe?: BackendTiming[];
  /**
   * The sentence a page shows about the backend, or null when there is nothing to say (WebGPU):
   * "No WebGPU here: running on WebAssembly.", "Running on WebGL, as requested.", and, after a link
   * with an unknown name, 'The link asks for the backend "cuda", which does not exist; the page
   * chose for itself. No WebGPU here: running on WebAssembly.' Always set by chooseBackend.
   */
  note?: string | null;
}

export interface BackendTiming {
  name: BackendName;
  ms: number;
}

/** The backends' names in a reader's words. */
export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly',
  cpu: 'plain JavaScript on the CPU',
};

/**
 * Without WebGPU, these are timed against each other, wasm first: it starts quickly, and WebGL (whose
 * first run compiles shaders) is then given at most twice wasm's time. The CPU backend is only the
 * last resort.
 */
export const PROBED_BACKENDS: readonly BackendName[] = ['wasm', 'webgl'];

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

/**
 * `?backend=` read leniently, for pages: a name that is not a backend (a typo, `cuda`) is returned
 * as `unknown` so the page can choose as usual and say so, instead of failing.
 */
export function backendRequestFromQuery(search: string): { requested: BackendName | null; unknown: string | null } {
  const value = new URLSearchParams(search).get('backend');
  if (!value) return { requested: null, unknown: null };
  return (BACKEND_NAMES as readonly string[]).includes(value)
    ? { requested: value as BackendName, unknown: null }
    : { requested: null, unknown: value };
}

export interface BackendRequest {
  /** Tried first (a page's ?backend=, the CLI's --backend). Default: none. */
  requested?: BackendName | null;
  /** Try the others when the requested one fails. Default true; the CLI uses false. */
  fallback?: boolean;
  /** A requested name that is not a backend: ignored, and named in the note. */
  unknown?: string | null;
  /**
   * Times the model on the backend tfjs is set to now (ms, lower is better). With it, and no
   * WebGPU, the `candidates` that start are timed and the fastest is used. Without it: fixed order.
   */
  probe?: (name: BackendName) => Promise<number>;
  /** Timed against each other, in this order. Default PROBED_BACKENDS (wasm, webgl). */
  candidates?: readonly BackendName[];
  /** The winner of an earlier probe in this session: tried first, and nothing is timed. */
  remembered?: BackendName | null;
}

/**
 * Chooses the backend and leaves tfjs on it. A requested backend is tried first, then the others
 * in the order webgpu > webgl > wasm > cpu. Without a request: WebGPU if it starts; else the
 * remembered winner of an earlier probe; else, given a `probe`, every candidate that starts is
 * timed and the fastest wins (each candidate after the first gets twice the best time so far, so a
 * slow one costs little); else the fixed order. Throws, listing every error, when none starts.
 */
export async function chooseBackend(
  env: BackendEnvironment,
  { requested = null, fallback = true, unknown = null, probe, candidates = PROBED_BACKENDS, remembered = null }: BackendRequest = {},
): Promise<BackendInfo> {
  const tf = await import('@tensorflow/tfjs');
  const tried: BackendAttempt[] = [];
  const attempt = async (name: BackendName): Promise<boolean> => {
    try {
      await startBackend(tf, name, env);
      tried.push({ name, ok: true });
      return true;
    } catch (error) {
      tried.push({ name, ok: false, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  };
  const finish = (name: BackendName, reason: string, timings?: BackendTiming[]): BackendInfo => {
    const fallbacks = tried.filter((entry) => !entry.ok).map((entry) => entry.name);
    const failures = tried.filter((entry) => !entry.ok);
    const fullReason = failures.length === 0 ? `${reason}.` : `${reason}; ${describeFailures(failures)}.`;
    const info: BackendInfo = { name, reason: fullReason, tried, fallbacks, note: '' };
    if (timings) info.probe = timings;
    info.note = backendNote(info, requested, unknown);
    return info;
  };

  if (requested || !probe) {
    const order = fallback || !requested ? backendOrder(requested) : [requested];
    for (const name of order) {
      if (await attempt(name)) {
        const reason = name === requested ? `${name} was requested` : `${name} is the first backend that works in the order ${backendOrder(requested).join(' > ')}`;
        return finish(name, reason);
      }
    }
    throw new Error(`No tfjs backend could start: ${describeFailures(tried)}.`);
  }

  if (await attempt('webgpu')) return finish('webgpu', 'webgpu works here');
  if (remembered && candidates.includes(remembered) && (await attempt(remembered))) {
    return finish(remembered, `${remembered} was the fastest for this model on this device earlier in this session`);
  }
  const timings: BackendTiming[] = [];
  for (const name of candidates) {
    if (tried.some((entry) => entry.name === name) || !(await attempt(name))) continue;
    const best = Math.min(...timings.map((timing) => timing.ms));
    try {
      timings.push({ name, ms: await withinTime(probe(name), timings.length === 0 ? Infinity : 2 * best) });
    } catch (error) {
      tried[tried.length - 1] = { name, ok: false, error: `the probe failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  if (timings.length > 0) {
    const fastest = fastestBackend(timings);
    if (tf.getBackend() !== fastest && !(await tf.setBackend(fastest))) throw new Error(`tf.setBackend('${fastest}') returned false after its probe`);
    const measured = timings.map(({ name, ms }) => `${name} ${Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'gave up'}`).join(', ');
    return finish(fastest, `${fastest} ran this model fastest on this device (${measured})`, timings);
  }
  for (const name of BACKEND_NAMES) {
    if (!tried.some((entry) => entry.name === name) && (await attempt(name))) return finish(name, `${name} is the only backend that works here`);
  }
  throw new Error(`No tfjs backend could start: ${describeFailures(tried)}.`);
}

/** The candidate with the lowest time; on a tie, the one timed first. */
export function fastestBackend(timings: readonly BackendTiming[]): BackendName {
  if (timings.length === 0) throw new Error('fastestBackend: no timings');
  return timings.reduce((best, timing) => (timing.ms < best.ms ? timing : best)).name;
}

/** The page's sentence about the backend in use (see BackendInfo.note). */
export function backendNote(info: Pick<BackendInfo, 'name' | 'fallbacks'>, requested: BackendName | null, unknown: string | null): string | null {
  const running = BACKEND_LABELS[info.name];
  let sentence: string | null;
  if (info.name === requested) sentence = `Running on ${running}, as requested.`;
  else if (requested) sentence = `${BACKEND_LABELS[requested]} could not start here: running on ${running}.`;
  else if (info.name === 'webgpu') sentence = null;
  else sentence = `No WebGPU here: running on ${running}.`;
  if (unknown === null) return sentence;
  const ignored = `The link asks for the backend "${unknown}", which does not exist (${BACKEND_NAMES.join(', ')}); the page chose for itself.`;
  return sentence ? `${ignored} ${sentence}` : `${ignored} Running on ${running}.`;
}

/** The promise's value, or Infinity when it has not settled within `ms` (it runs on regardless). */
async function withinTime(promise: Promise<number>, ms: number): Promise<number> {
  if (!Number.isFinite(ms)) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(Infinity), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
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
  // In the site's bundles "@tensorflow/tfjs" is tfjs-core without backends (src/runtime/tfjsBrowser.ts):
  // each backend is imported when first tried. (In Node it is the whole package, which has
  // registered cpu and webgl already; importing them again does nothing.)
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
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

function describeFailures(attempts: readonly BackendAttempt[]): string {
  return attempts.map((attempt) => `${attempt.name} failed: ${attempt.error}`).join('; ');
}
