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
 * Every method is a thin wrapper over `call(op, args, { signal, onProgress })`, which reaches any
 * op of the ops table (messages.ts). Errors from the worker reject with an Error carrying the
 * worker's message; a call stopped through its AbortSignal rejects with an AbortError.
 */
import { checkFileSizes, READER_MODEL_LIMITS } from '../llama/modelLimits';
import { validateSamplingOptions } from '../llama/sampling';
import type { TokenizerJSON } from '../llama/tokenizer';
import { backendRequestFromQuery, BACKEND_NAMES, type BackendInfo, type BackendName } from './backend';
import type { DataParallelGroup, DataParallelOptions } from './dataParallel';
import type {
  AnyCallRequest,
  BatchGenerationResult,
  BatchInput,
  ForwardOptions,
  ForwardResult,
  GenerateBatchOptions,
  GeneratedToken,
  GenerateOptions,
  GenerationResult,
  KnockOutArgs,
  KnockOutResult,
  LoadArgs,
  LogitLensOpResult,
  LossOptions,
  LossResult,
  MemoryResult,
  ModelSummary,
  OpArgs,
  OpName,
  OpProgress,
  OpResult,
  PiecesResult,
  PromptInput,
  RowsInput,
  RuntimeRequest,
  RuntimeResponse,
  SessionName,
  EvaluateArgs,
  TrainArgs,
  TrainProgress,
  TrainResult,
} from './messages';

export type { BackendInfo, BatchGenerationResult, ForwardResult, GeneratedToken, GenerationResult, LossResult, ModelSummary, TrainProgress, TrainResult };

/**
 * The reader's own model: the files they picked or dropped (a Hugging Face folder's config.json,
 * .safetensors and tokenizer.json, or a llama2.c .bin and its tokenizer .bin). Loading the same
 * object again returns the same summary; a new pick is a new object.
 */
export interface ModelUpload {
  files: readonly { name: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }[];
}

/** A running generation: iterate it for tokens as they come, or await `result`. */
export interface GenerationStream extends AsyncIterable<GeneratedToken> {
  readonly result: Promise<GenerationResult>;
  /**
   * Stops the generation: no token is sent after the worker reads the cancel (`result` has
   * stopReason 'cancelled' and cancelReadAfter = the tokens sent by then).
   */
  cancel(): void;
}

export interface CallOptions<Progress> {
  /** Aborting it cancels the call (a call not started never runs; a running one stops at its next step). */
  signal?: AbortSignal;
  /** Each progress reply of the op, in order. */
  onProgress?: (progress: Progress) => void;
}

/** What the worker's replies settle: one entry per call in flight. */
interface Pending {
  /** The call as posted, to send again to a new worker if this one dies before starting it. */
  message: AnyCallRequest;
  /** The worker has begun running it (a crash then fails it; one not started is sent again). */
  started: boolean;
  resolve(result: OpResult<OpName>): void;
  reject(error: Error): void;
  onProgress?(progress: OpProgress<OpName>): void;
  /** The client's own reload of the model into a replacement worker. */
  reload?: true;
}

export class RuntimeClient {
  private readonly createWorker: () => Worker;
  /** null after a crash, until the next call starts a new one. */
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly generations = new Set<GenerationStream>();
  private nextRequestId = 1;
  private loading: { modelUrl: string; upload?: ModelUpload; summary: Promise<ModelSummary> } | null = null;
  /** Numbers the reader's uploads, for their keys ("reader-files:1"). */
  private uploads = 0;
  /** The load that gave `model`: a replacement worker gets it first. */
  private loadedWith: LoadArgs | null = null;
  /** The loaded model, once `load` has resolved. */
  model: ModelSummary | null = null;
  /** How many times the worker has been replaced after a crash. */
  restarts = 0;

  /**
   * `createWorker` makes the model worker; it is called at the first call, and again after a
   * crash (an uncaught error in the worker, or a backend that aborted).
   */
  constructor(createWorker: () => Worker) {
    this.createWorker = createWorker;
  }

  /** Which backend runs the model and why (null until a model is loaded). */
  get backendInfo(): BackendInfo | null {
    return this.model?.backend ?? null;
  }

  /**
   * Runs one op of the ops table in the worker. Resolves to its result; `onProgress` gets what it
   * streams; aborting `signal` cancels it (the promise settles once the worker has stopped it).
   */
  call<Name extends OpName>(op: Name, args: OpArgs<Name>, { signal, onProgress }: CallOptions<OpProgress<Name>> = {}): Promise<OpResult<Name>> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const requestId = this.nextRequestId++;
    const message = { type: 'call', requestId, op, args } as AnyCallRequest;
    return new Promise<OpResult<Name>>((resolve, reject) => {
      const cancel = () => this.worker?.postMessage({ type: 'cancel', target: requestId } satisfies RuntimeRequest);
      signal?.addEventListener('abort', cancel, { once: true });
      const settle = <T>(then: (value: T) => void) => (value: T) => {
        signal?.removeEventListener('abort', cancel);
        then(value);
      };
      this.pending.set(requestId, {
        message,
        started: false,
        resolve: settle(resolve as (result: OpResult<OpName>) => void),
        reject: settle(reject),
        onProgress: onProgress as ((progress: OpProgress<OpName>) => void) | undefined,
      });
      this.liveWorker().postMessage(message);
    });
  }

  /**
   * Loads the model directory at modelUrl (relative to the page, same origin). Loading the same
   * URL again returns the same summary; widgets may all call this.
   */
  load(source: string | ModelUpload): Promise<ModelSummary> {
    if (typeof source !== 'string') return this.loadUpload(source);
    const modelUrl = source;
    const directory = new URL(modelUrl.endsWith('/') ? modelUrl : `${modelUrl}/`, location.href).href;
    if (this.loading?.modelUrl === directory) return this.loading.summary;
    const { requested, unknown } = backendRequestFromQuery(location.search);
    const args: LoadArgs = {
      modelUrl: directory,
      backend: requested,
      unknownBackend: unknown,
      rememberedBackend: rememberedBackend(directory),
      wasmPath: new URL(`${import.meta.env.BASE_URL}tfjs/`, location.href).href,
    };
    const summary = this.call('load', args).then((model) => {
      if (model.backend.probe) rememberBackend(directory, model.backend.name);
      this.model = model;
      // a replacement worker (after a crash) goes straight to the backend this one uses
      this.loadedWith = { ...args, rememberedBackend: requested ? null : model.backend.name };
      return model;
    });
    this.loading = { modelUrl: directory, summary };
    summary.catch(() => {
      if (this.loading?.summary === summary) this.loading = null;
    });
    return summary;
  }

  /**
   * Loads the reader's files in place of the current model (the worker's sessions go with it).
   * Files larger together than the reader limit are refused before they are read; every other
   * problem is the loader's message. A failed load leaves the current model in place.
   */
  private loadUpload(upload: ModelUpload): Promise<ModelSummary> {
    if (this.loading?.upload === upload) return this.loading.summary;
    const modelUrl = `reader-files:${++this.uploads}`;
    const summary = attempt(async () => {
      checkFileSizes(upload.files, READER_MODEL_LIMITS);
      const files = await Promise.all(upload.files.map(async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })));
      const { requested, unknown } = backendRequestFromQuery(location.search);
      const args: LoadArgs = {
        modelUrl,
        backend: requested,
        unknownBackend: unknown,
        rememberedBackend: null,
        wasmPath: new URL(`${import.meta.env.BASE_URL}tfjs/`, location.href).href,
        files,
      };
      const model = await this.call('load', args);
      this.model = model;
      this.loadedWith = { ...args, rememberedBackend: requested ? null : model.backend.name };
      return model;
    });
    this.loading = { modelUrl, upload, summary };
    summary.catch(() => {
      if (this.loading?.summary === summary) this.loading = null;
    });
    return summary;
  }

  /**
   * Starts a data-parallel group: `ranks` more Web Workers, each training its own copy of the model
   * at `modelUrl`, with this page as the all-reduce (dataParallel.ts, loaded on first use). The
   * caller disposes the group.
   */
  async startDataParallel(options: Omit<DataParallelOptions, 'wasmPath'>): Promise<DataParallelGroup> {
    const { DataParallelGroup } = await import('./dataParallel');
    return DataParallelGroup.start({ ...options, wasmPath: new URL(`${import.meta.env.BASE_URL}tfjs/`, location.href).href });
  }

  /** One forward pass: logits [batch, seq, vocab] and the requested taps. */
  forward(request: BatchInput & ForwardOptions & { session?: SessionName }, { signal }: { signal?: AbortSignal } = {}): Promise<ForwardResult> {
    return attempt(() => this.call('forward', splitInput<BatchInput, ForwardOptions>(request), { signal }));
  }

  /** Starts a generation; tokens stream as the worker produces them. */
  generate(request: PromptInput & GenerateOptions & { session?: SessionName }): GenerationStream {
    const tokens = new TokenQueue();
    const controller = new AbortController();
    let settled = false;
    const result: Promise<GenerationResult> = attempt(() => {
      const args = splitInput<PromptInput, GenerateOptions>(request);
      const problem = describeBadGenerateOptions(args.options);
      if (problem) throw new Error(problem);
      return this.call('generate', args, { signal: controller.signal, onProgress: (token) => tokens.push(token) });
    }).finally(() => {
      // first, so that whoever awaits `result` sees the generation already finished
      settled = true;
      this.generations.delete(stream);
    });
    const stream: GenerationStream = {
      result,
      cancel: () => {
        if (!settled) controller.abort();
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
  generateBatch(request: RowsInput & GenerateBatchOptions): Promise<BatchGenerationResult> {
    return attempt(() => {
      const { input, options } = splitRows<GenerateBatchOptions>(request);
      return this.call('generateBatch', { input, options });
    });
  }

  /** Per-token next-token loss of each row, in eval mode or (training: true) with dropout. */
  loss(request: RowsInput & LossOptions & { session?: SessionName }): Promise<LossResult> {
    return attempt(() => this.call('loss', splitRows<LossOptions>(request)));
  }

  /** The tokenizer's piece and text for each id, to label tokens in a figure. */
  pieces(ids: number[]): Promise<PiecesResult> {
    return this.call('pieces', { ids });
  }

  /** A trainable copy of a session's weights (default: the shipped model) under a new name. */
  fork(name: SessionName, from?: SessionName): Promise<{ name: SessionName; parameters: number }> {
    return this.call('fork', { name, ...(from !== undefined ? { from } : {}) });
  }

  /** Frees a forked session. */
  async dropSession(name: SessionName): Promise<void> {
    await this.call('dropSession', { name });
  }

  /** AdamW steps on a forked session; `onProgress` gets each step's loss and tokens/s. */
  trainSteps(args: TrainArgs, options: CallOptions<TrainProgress> = {}): Promise<TrainResult> {
    return this.call('trainSteps', args, options);
  }

  /** Mean masked loss of a session on fixed batches of the examples. */
  evaluate(args: EvaluateArgs): Promise<{ loss: number; tokens: number }> {
    return this.call('evaluate', args);
  }

  /** The logit lens of a prompt at one position (default: the last): src/llama/anatomy.ts. */
  logitLens(input: PromptInput, options: { position?: number; session?: SessionName } = {}): Promise<LogitLensOpResult> {
    return this.call('logitLens', { input, ...options });
  }

  /** A forked copy of a session (default: the shipped model) with one piece zeroed, under `args.name` (replaced if it exists). */
  knockOut(args: KnockOutArgs): Promise<KnockOutResult> {
    return this.call('knockOut', args);
  }

  /** Cancels every generation in flight. */
  cancel(): void {
    for (const generation of this.generations) generation.cancel();
  }

  /** The loaded model's tokenizer.json (null without one), to build a Tokenizer in the page. */
  tokenizer(): Promise<TokenizerJSON | null> {
    return this.call('tokenizer', {});
  }

  /** tf.memory() inside the worker. */
  memory(): Promise<MemoryResult> {
    return this.call('memory', {});
  }

  /** Frees the model's tensors in the worker; the worker itself stays for a later load. */
  async dispose(): Promise<void> {
    await this.call('dispose', {});
    this.model = null;
    this.loading = null;
    this.loadedWith = null;
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
   * Loads the model again in a replacement worker. Calls posted after this one wait for it (the
   * worker starts calls in order); if it fails, they fail with "No model is loaded".
   */
  private reload(worker: Worker, args: LoadArgs): void {
    const requestId = this.nextRequestId++;
    const message: AnyCallRequest = { type: 'call', requestId, op: 'load', args };
    const forget = () => {
      this.model = null;
      this.loading = null;
      this.loadedWith = null;
    };
    this.pending.set(requestId, {
      message,
      started: false,
      resolve: (model) => (this.model = model as ModelSummary),
      reject: forget,
      reload: true,
    });
    worker.postMessage(message);
  }

  /**
   * The worker is gone (an uncaught error) or its backend is broken (a fatal reply): the calls it
   * had started fail with `message` (with none started, the oldest waiting one does, so a worker
   * that cannot start is not retried forever), and the others go to a new worker, after the model
   * is loaded again.
   */
  private crashed(message: string, { blameOldest = true } = {}): void {
    this.worker?.terminate();
    this.worker = null;
    this.restarts++;
    const entries = [...this.pending.values()];
    this.pending.clear();
    const started = entries.filter((entry) => entry.started);
    const failed = started.length > 0 || !blameOldest ? started : entries.slice(0, 1);
    for (const entry of failed) entry.reject(new Error(`${message} It restarts for the next request.`));
    const resend = entries.filter((entry) => !failed.includes(entry) && !entry.reload); // liveWorker reloads
    if (resend.length === 0) return;
    const worker = this.liveWorker();
    for (const entry of resend) {
      this.pending.set(entry.message.requestId, entry);
      worker.postMessage(entry.message);
    }
  }

  private receive(response: RuntimeResponse): void {
    const pending = this.pending.get(response.requestId);
    if (!pending) return;
    if (response.type === 'started') {
      pending.started = true;
      return;
    }
    if (response.type === 'progress') {
      pending.onProgress?.(response.progress);
      return;
    }
    this.pending.delete(response.requestId);
    if (response.type === 'result') return pending.resolve(response.result);
    pending.reject(response.cancelled ? new DOMException(response.message, 'AbortError') : new Error(response.message));
    if (response.fatal) this.crashed('The model worker stopped: its backend crashed while another request ran.', { blameOldest: false });
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

/** The error a call rejects with when its signal was already aborted. */
function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('Cancelled.', 'AbortError');
}

/** Runs `start`, turning a synchronous throw (bad arguments) into a rejected promise. */
function attempt<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** { ids | text, bos, session, ...options } -> the input, the options and the session, as the protocol carries them. */
function splitInput<Input extends PromptInput | BatchInput, Options>(
  request: Input & Options & { session?: SessionName },
): { input: Input; options: Options; session?: SessionName } {
  const { ids, text, bos, session, ...options } = request as Record<string, unknown>;
  if ((ids === undefined) === (text === undefined)) {
    throw new Error('Pass exactly one of ids (token ids) or text.');
  }
  const input = (ids !== undefined ? { ids } : { text, ...(bos !== undefined ? { bos } : {}) }) as Input;
  return { input, options: options as Options, ...(session !== undefined ? { session: session as SessionName } : {}) };
}

/** { ids | texts, bos, session, ...options } -> the rows, the options and the session. */
function splitRows<Options>(request: RowsInput & Options & { session?: SessionName }): { input: RowsInput; options: Options; session?: SessionName } {
  const { ids, texts, bos, session, ...options } = request as Record<string, unknown>;
  if ((ids === undefined) === (texts === undefined)) throw new Error('Pass exactly one of ids (token id rows) or texts.');
  const input = (ids !== undefined ? { ids } : { texts, ...(bos !== undefined ? { bos } : {}) }) as RowsInput;
  return { input, options: options as Options, ...(session !== undefined ? { session: session as SessionName } : {}) };
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
