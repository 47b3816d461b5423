/**
 * The page's side of the model worker. Every widget on a page shares one worker (and so one
 * copy of the weights), created the first time a widget asks for it:
 *
 *   const runtime = await getRuntime();
 *   await runtime.load('/models/glass-llama/');
 *   const { logits, taps } = await runtime.forward({ text: 'Once upon', taps: ['layers.0.attn.probs'] });
 *   for await (const token of runtime.generate({ text: 'Once upon', maxNewTokens: 20, temperature: 0.8 })) {
 *     output.textContent += token.text;
 *   }
 *
 * Errors from the worker reject with an Error carrying the worker's message.
 */
import { validateSamplingOptions } from '../llama/sampling';
import type { TokenizerJSON } from '../llama/tokenizer';
import { backendRequestFromQuery, BACKEND_NAMES, type BackendInfo, type BackendName } from './backend';
import type {
  BatchGeneratedResponse,
  BatchInput,
  ForwardOptions,
  GenerateBatchOptions,
  LossOptions,
  LossResponse,
  RowsInput,
  ForwardResponse,
  GenerateOptions,
  GeneratedResponse,
  LoadRequest,
  ModelSummary,
  PromptInput,
  RuntimeRequest,
  RuntimeResponse,
  TokenResponse,
} from './messages';

export type ForwardResult = Omit<ForwardResponse, 'type' | 'requestId'>;
export type GeneratedToken = Omit<TokenResponse, 'type' | 'requestId'>;
export type GenerationResult = Omit<GeneratedResponse, 'type' | 'requestId'>;
export type BatchGenerationResult = Omit<BatchGeneratedResponse, 'type' | 'requestId'>;
export type LossResult = Omit<LossResponse, 'type' | 'requestId'>;
export type { BackendInfo, ModelSummary };

/** A running generation: iterate it for tokens as they come, or await `result`. */
export interface GenerationStream extends AsyncIterable<GeneratedToken> {
  readonly result: Promise<GenerationResult>;
  /**
   * Stops the generation: no token is sent after the worker reads the cancel (`result` has
   * stopReason 'cancelled' and cancelReadAfter = the tokens sent by then).
   */
  cancel(): void;
}

/** A request as the client builds it; `request()` adds the requestId. */
type OutgoingRequest = WithoutRequestId<Exclude<RuntimeRequest, { type: 'cancel' }>>;
/** Omit applied to each member of a union separately, so the union stays discriminated. */
type WithoutRequestId<Request> = Request extends unknown ? Omit<Request, 'requestId'> : never;

/** What the worker's replies settle: one entry per request in flight. */
interface Pending {
  /** The request as posted, to send again to a new worker if this one dies before answering. */
  message: Exclude<RuntimeRequest, { type: 'cancel' }>;
  resolve(response: RuntimeResponse): void;
  reject(error: Error): void;
  onToken?(token: GeneratedToken): void;
  /** The client's own reload of the model into a replacement worker. */
  reload?: true;
}

export class RuntimeClient {
  private readonly createWorker: () => Worker;
  /** null after a crash, until the next request starts a new one. */
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly generations = new Set<GenerationStream>();
  private nextRequestId = 1;
  private loading: { modelUrl: string; summary: Promise<ModelSummary> } | null = null;
  /** The load that gave `model`: a replacement worker gets it first. */
  private loadedWith: LoadRequest | null = null;
  /** The loaded model, once `load` has resolved. */
  model: ModelSummary | null = null;
  /** How many times the worker has been replaced after a crash. */
  restarts = 0;

  /**
   * `createWorker` makes the model worker; it is called once at first, and again after a crash
   * (an uncaught error in the worker, or a backend that aborted).
   */
  constructor(createWorker: () => Worker) {
    this.createWorker = createWorker;
  }

  /** Which backend runs the model and why (null until a model is loaded). */
  get backendInfo(): BackendInfo | null {
    return this.model?.backend ?? null;
  }

  /**
   * Loads the model directory at modelUrl (relative to the page, same origin). Loading the same
   * URL again returns the same summary; widgets may all call this.
   */
  load(modelUrl: string): Promise<ModelSummary> {
    const directory = new URL(modelUrl.endsWith('/') ? modelUrl : `${modelUrl}/`, location.href).href;
    if (this.loading?.modelUrl === directory) return this.loading.summary;
    const { requested, unknown } = backendRequestFromQuery(location.search);
    const message: Omit<LoadRequest, 'requestId'> = {
      type: 'load',
      modelUrl: directory,
      backend: requested,
      unknownBackend: unknown,
      rememberedBackend: rememberedBackend(directory),
      wasmPath: new URL(`${import.meta.env.BASE_URL}tfjs/`, location.href).href,
    };
    const summary = this.request(message).then((response) => {
      const model = expect(response, 'loaded').model;
      if (model.backend.probe) rememberBackend(directory, model.backend.name);
      this.model = model;
      // a replacement worker (after a crash) goes straight to the backend this one uses
      this.loadedWith = { ...message, requestId: 0, rememberedBackend: requested ? null : model.backend.name };
      return model;
    });
    this.loading = { modelUrl: directory, summary };
    summary.catch(() => {
      if (this.loading?.summary === summary) this.loading = null;
    });
    return summary;
  }

  /** One forward pass: logits [batch, seq, vocab] and the requested taps. */
  async forward(request: BatchInput & ForwardOptions): Promise<ForwardResult> {
    const { input, options } = splitInput<BatchInput, ForwardOptions>(request);
    const { type: _type, requestId: _id, ...result } = expect(
      await this.request({ type: 'forward', input, options }),
      'forwarded',
    );
    return result;
  }

  /** Starts a generation; tokens stream as the worker produces them. */
  generate(request: PromptInput & GenerateOptions): GenerationStream {
    const { input, options } = splitInput<PromptInput, GenerateOptions>(request);
    const tokens = new TokenQueue();
    let requestId = 0;
    let settled = false;
    const problem = describeBadGenerateOptions(options);
    const reply = problem
      ? Promise.reject(new Error(problem))
      : this.request({ type: 'generate', input, options }, (id) => (requestId = id), (token) => tokens.push(token));
    // `finally` first, so that whoever awaits `result` sees the generation already finished.
    const result: Promise<GenerationResult> = reply
      .finally(() => {
        settled = true;
        this.generations.delete(stream);
      })
      .then((response) => {
        const { type: _type, requestId: _id, ...generated } = expect(response, 'generated');
        return generated;
      });
    const stream: GenerationStream = {
      result,
      cancel: () => {
        if (requestId && !settled) this.worker?.postMessage({ type: 'cancel', target: requestId } satisfies RuntimeRequest);
      },
      [Symbol.asyncIterator]: () => tokens.iterate(stream.cancel),
    };
    this.generations.add(stream);
    result.then(
      () => tokens.end(),
      (error: Error) => tokens.fail(error),
    );
    return stream;
  }

  /** Greedy decoding of a padded batch (one prompt per row), with the padding the reader chose. */
  async generateBatch(request: RowsInput & GenerateBatchOptions): Promise<BatchGenerationResult> {
    const { input, options } = splitRows<GenerateBatchOptions>(request);
    const { type: _type, requestId: _id, ...result } = expect(
      await this.request({ type: 'generateBatch', input, options }),
      'batchGenerated',
    );
    return result;
  }

  /** Per-token next-token loss of each row, in eval mode or (training: true) with dropout. */
  async loss(request: RowsInput & LossOptions): Promise<LossResult> {
    const { input, options } = splitRows<LossOptions>(request);
    const { type: _type, requestId: _id, ...result } = expect(await this.request({ type: 'loss', input, options }), 'lossComputed');
    return result;
  }

  /** The tokenizer's piece and text for each id, to label tokens in a figure. */
  async pieces(ids: number[]): Promise<{ pieces: string[]; texts: string[] }> {
    const { pieces, texts } = expect(await this.request({ type: 'pieces', ids }), 'pieces');
    return { pieces, texts };
  }

  /** Cancels every generation in flight. */
  cancel(): void {
    for (const generation of this.generations) generation.cancel();
  }

  /** The loaded model's tokenizer.json (null without one), to build a Tokenizer in the page. */
  async tokenizer(): Promise<TokenizerJSON | null> {
    return expect(await this.request({ type: 'tokenizer' }), 'tokenizer').tokenizer;
  }

  /** tf.memory() inside the worker. */
  async memory(): Promise<{ numTensors: number; numBytes: number }> {
    const { numTensors, numBytes } = expect(await this.request({ type: 'memory' }), 'memory');
    return { numTensors, numBytes };
  }

  /** Frees the model's tensors in the worker; the worker itself stays for a later load. */
  async dispose(): Promise<void> {
    expect(await this.request({ type: 'dispose' }), 'disposed');
    this.model = null;
    this.loading = null;
    this.loadedWith = null;
  }

  private request(
    message: OutgoingRequest,
    onId?: (requestId: number) => void,
    onToken?: (token: GeneratedToken) => void,
  ): Promise<RuntimeResponse> {
    const requestId = this.nextRequestId++;
    onId?.(requestId);
    const request = { ...message, requestId } as Exclude<RuntimeRequest, { type: 'cancel' }>;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { message: request, resolve, reject, onToken });
      this.liveWorker().postMessage(request);
    });
  }

  /** The worker, started (and given the loaded model again) if there is none. */
  private liveWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.onmessage = (event: MessageEvent<RuntimeResponse>) => {
      if (worker === this.worker) this.receive(event.data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      if (worker === this.worker) this.crashed(`The model worker failed: ${event.message || 'it could not start'}.`);
    };
    worker.onmessageerror = () => {
      if (worker === this.worker) this.crashed('The model worker sent a message that could not be read.');
    };
    this.worker = worker;
    if (this.loadedWith) this.reload(worker, this.loadedWith);
    return worker;
  }

  /**
   * Loads the model again in a replacement worker. Requests posted after this one wait for it
   * (the worker answers in order); if it fails, they fail with "No model is loaded".
   */
  private reload(worker: Worker, load: LoadRequest): void {
    const requestId = this.nextRequestId++;
    const message: LoadRequest = { ...load, requestId };
    const forget = () => {
      this.model = null;
      this.loading = null;
      this.loadedWith = null;
    };
    this.pending.set(requestId, {
      message,
      resolve: (response) => {
        if (response.type === 'loaded') this.model = response.model;
        else forget();
      },
      reject: forget,
      reload: true,
    });
    worker.postMessage(message);
  }

  /**
   * The worker is gone (an uncaught error) or its backend is broken (a fatal reply): the request
   * it was running fails with `message` (requests run one at a time, in order, so that is the
   * oldest one waiting), and the others go to a new worker, after the model is loaded again.
   */
  private crashed(message: string | null): void {
    this.worker?.terminate();
    this.worker = null;
    this.restarts++;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    if (message !== null) waiting.shift()?.reject(new Error(`${message} It restarts for the next request.`));
    if (waiting.length === 0) return;
    const worker = this.liveWorker();
    for (const entry of waiting) {
      if (entry.reload) continue; // liveWorker has started a new one
      this.pending.set(entry.message.requestId, entry);
      worker.postMessage(entry.message);
    }
  }

  private receive(response: RuntimeResponse): void {
    const pending = this.pending.get(response.requestId);
    if (!pending) return;
    if (response.type === 'token') {
      const { type: _type, requestId: _id, ...token } = response;
      pending.onToken?.(token);
      return;
    }
    this.pending.delete(response.requestId);
    if (response.type === 'error') pending.reject(new Error(response.message));
    else pending.resolve(response);
    if (response.type === 'error' && response.fatal) this.crashed(null);
  }
}

/** sessionStorage key of the probe's winner for a model (one tab, until it closes). */
export function backendStorageKey(modelUrl: string): string {
  return `glass-llama:backend:${modelUrl}`;
}

/** The winner of this session's probe for the model, or null (none yet, or no storage: a sandboxed embed). */
function rememberedBackend(modelUrl: string): BackendName | null {
  try {
    const name = sessionStorage.getItem(backendStorageKey(modelUrl));
    return (BACKEND_NAMES as readonly (string | null)[]).includes(name) ? (name as BackendName) : null;
  } catch {
    return null;
  }
}

function rememberBackend(modelUrl: string, name: BackendName): void {
  try {
    sessionStorage.setItem(backendStorageKey(modelUrl), name);
  } catch {
    // no storage here (a sandboxed frame): the next page probes again
  }
}

let runtime: Promise<RuntimeClient> | null = null;

/** The page's one runtime; the worker starts on the first call. */
export function getRuntime(): Promise<RuntimeClient> {
  runtime ??= Promise.resolve().then(
    () =>
      new RuntimeClient(
        () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'glass-llama-model' }),
      ),
  );
  return runtime;
}

/** Narrows a reply to the type the request expects. */
function expect<T extends RuntimeResponse['type']>(
  response: RuntimeResponse,
  type: T,
): Extract<RuntimeResponse, { type: T }> {
  if (response.type !== type) throw new Error(`The model worker replied '${response.type}' where '${type}' was expected.`);
  return response as Extract<RuntimeResponse, { type: T }>;
}

/** { ids | text, bos, ...options } -> the input and the options, as the protocol carries them. */
function splitInput<Input extends PromptInput | BatchInput, Options>(
  request: Input & Options,
): { input: Input; options: Options } {
  const { ids, text, bos, ...options } = request as Record<string, unknown>;
  if ((ids === undefined) === (text === undefined)) {
    throw new Error('Pass exactly one of ids (token ids) or text.');
  }
  const input = (ids !== undefined ? { ids } : { text, ...(bos !== undefined ? { bos } : {}) }) as Input;
  return { input, options: options as Options };
}

/** { ids | texts, bos, ...options } -> the rows and the options, as the protocol carries them. */
function splitRows<Options>(request: RowsInput & Options): { input: RowsInput; options: Options } {
  const { ids, texts, bos, ...options } = request as Record<string, unknown>;
  if ((ids === undefined) === (texts === undefined)) throw new Error('Pass exactly one of ids (token id rows) or texts.');
  const input = (ids !== undefined ? { ids } : { texts, ...(bos !== undefined ? { bos } : {}) }) as RowsInput;
  return { input, options: options as Options };
}

function describeBadGenerateOptions(options: GenerateOptions): string | null {
  if (!(Number.isInteger(options.maxNewTokens) && options.maxNewTokens >= 1)) {
    return `maxNewTokens must be an integer >= 1. Received ${options.maxNewTokens}.`;
  }
  return validateSamplingOptions(options);
}

/** Tokens waiting to be read by a `for await` loop, which may be slower than the worker. */
class TokenQueue {
  private readonly waiting: GeneratedToken[] = [];
  private wake: (() => void) | null = null;
  private finished = false;
  private error: Error | null = null;

  push(token: GeneratedToken): void {
    this.waiting.push(token);
    this.wake?.();
  }

  end(): void {
    this.finished = true;
    this.wake?.();
  }

  fail(error: Error): void {
    this.error = error;
    this.end();
  }

  /** Leaving the loop early (break, throw) cancels the generation. */
  async *iterate(cancel: () => void): AsyncGenerator<GeneratedToken> {
    let completed = false;
    try {
      while (true) {
        const token = this.waiting.shift();
        if (token) {
          yield token;
          continue;
        }
        if (this.error) throw this.error;
        if (this.finished) break;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
      completed = true;
    } finally {
      if (!completed) cancel();
    }
  }
}
