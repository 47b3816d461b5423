/// <reference lib="webworker" />
/**
 * The model worker: one per page (see client.ts), so the forward pass never blocks the page.
 *
 * It answers the calls of the ops table (messages.ts) with the functions in `ops` below: each
 * takes the call's args and a context (progress, cancel, step) and resolves to the op's result.
 * Calls run in arrival order, one at a time, with one exception that keeps the page responsive:
 * a long op (a generation) yields between its steps, and the quick ops waiting then (a forward
 * for another widget) run before its next step, so they wait at most one step.
 *
 * `cancel` is read as soon as it arrives. A call not yet started fails as cancelled; a running
 * generation checks it before sending each token: a cancel read after n tokens were sent ends the
 * generation with exactly those n (cancelReadAfter = n).
 */
import * as tf from '@tensorflow/tfjs';
import { parseConfig, type RopeScaling } from '../llama/config';
import { generate, generateBatch } from '../llama/generate';
import { checkTokenIds, LlamaModel, positionIdsFromMask } from '../llama/model';
import { loadModelFiles, type ModelFiles } from '../llama/load';
import { parameterCount, READER_MODEL_LIMITS } from '../llama/modelLimits';
import { StreamDecoder, Tokenizer, type TokenizerJSON } from '../llama/tokenizer';
import { tokenLosses } from '../llama/tensorMath';
import { evaluateLoss, PackedCorpus } from '../llama/train';
import { chooseBackend, type BackendInfo } from './backend';
import { knockOutSession, logitLensOf } from './anatomyOps';
import { loraUpdateOf } from './loraOps';
import { kvCacheOf, profileDecodeStepOf, timeMatmulOf } from './inspectOps';
import { beamSearchOf, decodeTimelineOf } from './kvcacheOps';
import { timeMatmulChainOf } from './flopsOps';
import { embeddingTableOf, extendVocabularyOf } from './tokensOps';
import { nbceDistributionsOf, nbceGenerateOf } from './nbceOps';
import { checkInputLength, lengthLimit } from './limits';
import { Sessions } from './sessions';
import type {
  AnyCallRequest,
  BatchGenerationResult,
  BatchInput,
  ForwardResult,
  GenerationResult,
  LoadArgs,
  LossResult,
  ModelSummary,
  OpArgs,
  OpName,
  OpProgress,
  OpResult,
  Ops,
  PromptInput,
  RowsInput,
  RuntimeRequest,
  RuntimeResponse,
  StopReason,
} from './messages';

declare const self: DedicatedWorkerGlobalScope;

interface LoadedModel {
  model: LlamaModel;
  /** null when the model directory has no tokenizer.json. */
  tokenizer: Tokenizer | null;
  /** tokenizer.json as loaded, for the `tokenizer` op. */
  tokenizerJson: TokenizerJSON | null;
  summary: ModelSummary;
}

/** What an op gets besides its args. */
interface OpContext<Name extends OpName> {
  /** Sends one progress reply (a generated token, a training step). */
  progress(value: OpProgress<Name>): void;
  /** Whether a cancel for this call has been read. */
  cancelled(): boolean;
  /**
   * Between two steps of a long op: lets messages in and runs the quick ops waiting, then says
   * whether to go on (false once cancelled).
   */
  step(): Promise<boolean>;
  /** How many progress replies were sent when the cancel was read (undefined: not cancelled). */
  cancelReadAfter(): number | undefined;
}

type OpHandlers = { [Name in OpName]: (args: OpArgs<Name>, context: OpContext<Name>) => Promise<OpResult<Name>> };

/** The backend is chosen once per worker: tfjs cannot move a loaded model between backends. */
let backend: Promise<BackendInfo> | null = null;
let loaded: LoadedModel | null = null;

/** The model states by name: 'default' is `loaded.model`, the others are made by `fork` (sessions.ts). */
const sessions = new Sessions(() => requireModel().model);

/** Ops that may run between the steps of a long one (they only read the model and the sessions). */
const QUICK_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'forward', 'loss', 'pieces', 'tokenizer', 'memory', 'generateBatch', 'evaluate',
  'saveAdapter', 'kvCache', 'timeMatmul', 'profileDecodeStep',
  'timeMatmulChain',
  'logitLens',
  'embeddingTable',
  'loraUpdate',
  'nbceDistributions',
]);
/** Ops that end with a result (not an error) when cancelled: they say how far they got. */
const RESULT_WHEN_CANCELLED: ReadonlySet<OpName> = new Set<OpName>(['generate', 'trainSteps']);

/** Calls received and not started, in arrival order. */
const waiting: AnyCallRequest[] = [];
/** Cancels read: requestId -> progress replies sent by then. */
const cancelled = new Map<number, number>();
/** Progress replies sent so far by each running call. */
const progressSent = new Map<number, number>();
let draining = false;

self.onmessage = (event: MessageEvent<RuntimeRequest>) => {
  const request = event.data;
  if (request.type === 'cancel') {
    if (!cancelled.has(request.target)) cancelled.set(request.target, progressSent.get(request.target) ?? 0);
    return;
  }
  waiting.push(request);
  void drain();
};

async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  while (waiting.length > 0) await run(waiting.shift()!);
  draining = false;
}

/** Runs the quick ops waiting now (long ones and load/dispose keep their place in the line). */
async function runWaitingQuickOps(): Promise<void> {
  await nextMacrotask(); // lets waiting messages (calls, cancels) in
  for (let i = 0; i < waiting.length; ) {
    if (QUICK_OPS.has(waiting[i].op)) await run(waiting.splice(i, 1)[0]);
    else i++;
  }
}

class Cancelled extends Error {
  constructor() {
    super('Cancelled.');
  }
}

async function run(request: AnyCallRequest): Promise<void> {
  const { requestId, op } = request;
  try {
    if (cancelled.has(requestId) && !RESULT_WHEN_CANCELLED.has(op)) throw new Cancelled();
    reply({ type: 'started', requestId });
    progressSent.set(requestId, 0);
    const context: OpContext<OpName> = {
      progress: (value) => {
        reply({ type: 'progress', requestId, progress: value });
        progressSent.set(requestId, (progressSent.get(requestId) ?? 0) + 1);
      },
      cancelled: () => cancelled.has(requestId),
      step: async () => {
        await runWaitingQuickOps();
        return !cancelled.has(requestId);
      },
      cancelReadAfter: () => cancelled.get(requestId),
    };
    const handler = ops[op] as (args: unknown, context: OpContext<OpName>) => Promise<OpResult<OpName>>;
    reply({ type: 'result', requestId, result: await handler(request.args, context) });
  } catch (error) {
    const fatal = isBackendCrash(error);
    const message = error instanceof Error ? error.message : String(error);
    reply({
      type: 'error',
      requestId,
      message: fatal ? `The model's backend crashed (${message}); it restarts for the next request.` : message,
      ...(error instanceof Cancelled ? { cancelled: true } : {}),
      ...(fatal ? { fatal } : {}),
    });
  } finally {
    cancelled.delete(requestId);
    progressSent.delete(requestId);
  }
}

/**
 * A WebAssembly trap ("table index is out of bounds", "Aborted()" after running out of memory)
 * leaves the wasm backend's heap in an unknown state: every later request on it fails. The client
 * answers `fatal` by replacing this worker.
 */
function isBackendCrash(error: unknown): boolean {
  if (typeof WebAssembly !== 'undefined' && error instanceof WebAssembly.RuntimeError) return true;
  return error instanceof Error && /^Aborted\(/.test(error.message);
}

function reply(response: RuntimeResponse): void {
  self.postMessage(response);
}

/** The ops table's functions: one per key of Ops (messages.ts). */
const ops: OpHandlers = {
  load,
  forward,
  generate: generateStream,
  generateBatch: generateBatchOf,
  loss: lossOf,
  pieces: async ({ ids }) => {
    const current = requireModel();
    checkTokenIds([ids], current.summary.config.vocab_size);
    const { tokenizer } = current;
    const pieces = ids.map((id) => tokenizer?.idToPiece(id) ?? String(id));
    // bytesOf keeps the leading space of "▁the" (decode would drop it as the dummy prefix)
    const texts = ids.map((id) => (!tokenizer || tokenizer.isByteToken(id) ? '' : new TextDecoder().decode(tokenizer.bytesOf([id]))));
    return { pieces, texts };
  },
  tokenizer: async () => requireModel().tokenizerJson,
  memory: async () => {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  },
  dispose: async () => {
    sessions.dropAll();
    loaded?.model.dispose();
    loaded = null;
    return null;
  },
  fork: async ({ name, from }) => sessions.fork(name, from),
  embeddingTable: async ({ session, which }) => embeddingTableOf(sessions.model(session), which),
  extendVocabulary: async (args) => extendVocabularyOf(sessions, args),
  dropSession: async ({ name }) => {
    sessions.drop(name);
    return null;
  },
  trainSteps: (args, context) => sessions.trainSteps(args, context),
  evaluate: async ({ session, examples, batchSize, seqLength, rows }) => {
    const model = sessions.model(session);
    checkInputLength([new Array<number>(seqLength).fill(0)], lengthLimit(model.config));
    const corpus = new PackedCorpus(examples);
    const batches = corpus.evaluationBatches(batchSize, seqLength, rows);
    const tokens = batches.reduce((sum, batch) => sum + batch.lossMask.flat().reduce((a, b) => a + b, 0), 0);
    return { loss: evaluateLoss(model, batches), tokens };
  },
  attachLora: async (args) => sessions.attachLora(args),
  saveAdapter: async (args) => sessions.saveAdapter(args),
  loadAdapter: async (args) => sessions.loadAdapter(args),
  detachLora: async (args) => sessions.detachLora(args),
  loraUpdate: async ({ session, input, layer, module, position }) => loraUpdateOf(sessions.model(session), promptIds(requireModel(), input), layer, module, position),
  kvCache: async ({ session, input, layer, head }) => {
    const ids = promptIds(requireModel(), input);
    const model = sessions.model(session);
    checkInputLength([ids], lengthLimit(model.config));
    return kvCacheOf(model, ids, { layer, head });
  },
  timeMatmul: async (args) => {
    requireModel(); // the backend is chosen by the first load
    return timeMatmulOf(args);
  },
  timeMatmulChain: async (args) => {
    requireModel(); // the backend is chosen by the first load
    return timeMatmulChainOf(args);
  },
  profileDecodeStep: async ({ session, input, token }) => {
    const ids = promptIds(requireModel(), input);
    const model = sessions.model(session);
    checkInputLength([ids], lengthLimit(model.config));
    return profileDecodeStepOf(model, ids, token);
  },
  decodeTimeline: async ({ session, input, ...options }, context) => {
    const ids = promptIds(requireModel(), input);
    const model = sessions.model(session);
    checkInputLength([ids], lengthLimit(model.config));
    return decodeTimelineOf(model, ids, options, context.progress, context.step);
  },
  beamSearch: async ({ session, input, ...options }, context) => {
    const ids = promptIds(requireModel(), input);
    const model = sessions.model(session);
    checkInputLength([ids], lengthLimit(model.config));
    return beamSearchOf(model, ids, options, context.progress, context.step);
  },
  logitLens: async ({ session, input, position }) => logitLensOf(sessions.model(session), promptIds(requireModel(), input), position),
  knockOut: async (args) => knockOutSession(sessions, args),
  nbceGenerate: async (args, context) =>
    nbceGenerateOf(sessions.model(args.session), requireTokenizer(requireModel()), args, context.progress, context.step),
  nbceDistributions: async (args) => nbceDistributionsOf(sessions.model(args.session), requireTokenizer(requireModel()), args),
};

async function load(request: LoadArgs): Promise<ModelSummary> {
  const started = performance.now();
  let files: ModelFiles;
  let modelUrl: string;
  if (request.files) {
    // the reader's own files: no URL to check, and always read afresh (a new pick is a new model)
    modelUrl = request.modelUrl;
    files = await loadModelFiles({ files: new Map(request.files.map((file) => [file.name, file.bytes])) }, { limits: READER_MODEL_LIMITS });
  } else {
    const directory = new URL(request.modelUrl);
    if (directory.origin !== self.location.origin) {
      throw new Error(
        `The model must be served by this site (${self.location.origin}). Received ${request.modelUrl}.`,
      );
    }
    if (loaded?.summary.modelUrl === directory.href) return loaded.summary;
    modelUrl = directory.href;
    files = await loadModelFiles({ url: directory.href });
  }
  backend ??= chooseBackend(
    { gpu: self.navigator.gpu ?? undefined, wasmPath: request.wasmPath },
    {
      requested: request.backend,
      unknown: request.unknownBackend ?? null,
      remembered: request.rememberedBackend ?? null,
      probe: () => timeFirstForward(files),
    },
  ).catch((error: unknown) => {
    backend = null; // a later load tries again
    throw error;
  });
  const backendInfo = await backend;
  const { config, weights, tokenizer: tokenizerJson } = files;
  // the loader has checked that the tokenizer names exactly the model's vocabulary
  const tokenizer = tokenizerJson ? Tokenizer.fromJSON(tokenizerJson) : null;
  const model = LlamaModel.fromWeights(config, weights);
  // another model: the sessions forked from the old one go with it
  if (loaded) sessions.dropAll();
  loaded?.model.dispose();
  const summary: ModelSummary = {
    modelUrl,
    config,
    backend: backendInfo,
    hasTokenizer: tokenizer !== null,
    loadMs: performance.now() - started,
    name: files.modelName,
    parameters: parameterCount(config),
    ...(request.files ? { files: request.files.map((file) => file.name) } : {}),
  };
  loaded = { model, tokenizer, tokenizerJson: tokenizer ? (tokenizerJson as TokenizerJSON) : null, summary };
  return summary;
}

/**
 * The backend probe: milliseconds to upload the model and answer a 16-token forward on the
 * current backend, what a reader waits for before the first figure (shader compilation included).
 */
async function timeFirstForward({ config, weights }: ModelFiles): Promise<number> {
  const started = performance.now();
  const model = LlamaModel.fromWeights(config, weights);
  try {
    const length = Math.min(16, config.max_position_embeddings);
    await model.run([Array.from({ length }, (_, i) => (i * 7 + 1) % config.vocab_size)]);
    return performance.now() - started;
  } finally {
    model.dispose();
  }
}

function requireModel(): LoadedModel {
  if (!loaded) throw new Error('No model is loaded: call load(modelUrl) first.');
  return loaded;
}

function requireTokenizer(current: LoadedModel): Tokenizer {
  if (!current.tokenizer) {
    throw new Error(
      current.summary.files
        ? `Your model ${current.summary.name} came without a tokenizer, so it cannot read typed text: load it again with its tokenizer.json or tokenizer .bin.`
        : `${current.summary.modelUrl} has no tokenizer.json: pass token ids, not text.`,
    );
  }
  return current.tokenizer;
}

function batchIds(current: LoadedModel, input: BatchInput): number[][] {
  if ('ids' in input) return input.ids;
  return [requireTokenizer(current).encode(input.text, { bos: input.bos ?? true })];
}

function promptIds(current: LoadedModel, input: PromptInput): number[] {
  if ('ids' in input) return input.ids;
  return requireTokenizer(current).encode(input.text, { bos: input.bos ?? true });
}

function rowsIds(current: LoadedModel, input: RowsInput): number[][] {
  if ('ids' in input) return input.ids;
  const tokenizer = requireTokenizer(current);
  return input.texts.map((text) => tokenizer.encode(text, { bos: input.bos ?? true }));
}

async function generateBatchOf(request: OpArgs<'generateBatch'>): Promise<BatchGenerationResult> {
  const current = requireModel();
  const prompts = rowsIds(current, request.input);
  checkInputLength(prompts, lengthLimit(current.summary.config), request.options.maxNewTokens);
  const padTokenId = current.summary.config.pad_token_id ?? 0;
  const result = await generateBatch(current.model, prompts, { ...request.options, padTokenId });
  const width = result.input[0].length;
  const attentionMask = result.attentionMask.map((row) => row.slice(0, width));
  // Without the mask rule the forward numbers every row 0, 1, 2, ... (its default).
  const positionIds = request.options.usePositionIdsFromMask
    ? positionIdsFromMask(attentionMask)
    : attentionMask.map((row) => row.map((_, column) => column));
  const { tokenizer } = current;
  return {
    prompts,
    input: result.input,
    padTokenId,
    attentionMask,
    positionIds,
    newIds: result.newIds,
    // bytesOf keeps a leading space (" there"), which decode would drop as the dummy prefix
    newTexts: result.newIds.map((ids) => (tokenizer ? new TextDecoder().decode(tokenizer.bytesOf(ids)) : '')),
    inputPieces: result.input.map((row) => row.map((id) => tokenizer?.idToPiece(id) ?? String(id))),
  };
}

/**
 * Next-token cross-entropy of every position of every row, in one forward: the rows are padded on
 * the right and masked (the real tokens come first, so they never see a pad), and the losses of
 * the pad positions are dropped. One shape per request, so a GPU backend compiles its kernels once.
 */
async function lossOf(request: OpArgs<'loss'>): Promise<LossResult> {
  const current = requireModel();
  const { vocab_size: vocabSize, max_position_embeddings: context } = current.summary.config;
  const { training, dropoutRate = 0, seed, truncate = false } = request.options;
  const inputIds = rowsIds(current, request.input).map((ids) => (truncate ? ids.slice(0, context) : ids));
  checkInputLength(inputIds, lengthLimit(current.summary.config));
  for (const [row, ids] of inputIds.entries()) {
    checkTokenIds([ids], vocabSize); // rows may differ in length
    if (ids.length < 2) throw new Error(`Row ${row} has ${ids.length} token(s); a loss needs at least 2.`);
  }
  const width = Math.max(...inputIds.map((ids) => ids.length));
  const padded = inputIds.map((ids) => [...ids, ...new Array<number>(width - ids.length).fill(0)]);
  const mask = inputIds.map((ids) => [...new Array<number>(ids.length).fill(1), ...new Array<number>(width - ids.length).fill(0)]);
  const perToken = tf.tidy(() => {
    const { logits } = sessions.model(request.session).forward(tf.tensor2d(padded, undefined, 'int32'), {
      attentionMask: tf.tensor2d(mask, undefined, 'int32'),
      training,
      dropoutRate,
      seed,
      queryKeyMask: request.options.queryKeyMask,
    });
    const rows = inputIds.length;
    const predicting = logits.slice([0, 0, 0], [rows, width - 1, vocabSize]) as tf.Tensor3D; // [rows, width - 1, vocab]
    const targets = tf.tensor2d(padded.map((ids) => ids.slice(1)), undefined, 'int32'); // [rows, width - 1]
    return tokenLosses(predicting, targets); // [rows, width - 1]
  });
  const values = await perToken.data();
  perToken.dispose();
  const losses = inputIds.map((ids, row) => Array.from(values.subarray(row * (width - 1), row * (width - 1) + ids.length - 1)));
  return { inputIds, losses };
}

async function forward(request: OpArgs<'forward'>): Promise<ForwardResult> {
  const current = requireModel();
  const inputIds = batchIds(current, request.input);
  const { ropeScaling, ...options } = request.options;
  checkInputLength(inputIds, lengthLimit(current.summary.config, { extendedContext: ropeScaling !== undefined }));
  const base = sessions.model(request.session);
  const model = ropeScaling === undefined ? base : withRopeScaling(base, ropeScaling);
  const { logits, taps } = await model.run(inputIds, options);
  const pieces = current.tokenizer ? inputIds.map((row) => row.map((id) => current.tokenizer!.idToPiece(id))) : undefined;
  return { inputIds, logits, pieces, taps };
}

/**
 * The same model (same weight tensors, nothing copied) seen through a config whose rope_scaling
 * is replaced: RoPE reads the scaling from model.config in every forward, and nothing else does.
 */
function withRopeScaling(model: LlamaModel, ropeScaling: RopeScaling | null): LlamaModel {
  const config = parseConfig({ ...model.config, rope_scaling: ropeScaling });
  return Object.create(model, { config: { value: config } }) as LlamaModel;
}

async function generateStream(request: OpArgs<'generate'>, context: OpContext<'generate'>): Promise<GenerationResult> {
  const current = requireModel();
  const prompt = promptIds(current, request.input);
  checkInputLength([prompt], lengthLimit(current.summary.config));
  const { ignoreEos, ...options } = request.options;
  const decoder = current.tokenizer ? new StreamDecoder(current.tokenizer) : null;
  const eosTokenId = ignoreEos ? undefined : (current.tokenizer?.eosId ?? current.summary.config.eos_token_id);
  const newIds: number[] = [];
  let text = '';
  let stopReason: StopReason = 'cancelled';
  const send = (tokenId: number) => {
    const tokenText = decoder?.push(tokenId) ?? '';
    text += tokenText;
    context.progress({ index: newIds.length, tokenId, text: tokenText });
    newIds.push(tokenId);
  };
  if (!context.cancelled()) {
    const result = await generate(sessions.model(request.session), prompt, {
      ...options,
      eosTokenId,
      onToken: async (tokenId: number) => {
        // A cancel read while this token was computed drops it: the result holds exactly the
        // tokens sent before the cancel was read (cancelReadAfter), whatever the speed.
        if (context.cancelled()) return false;
        send(tokenId);
        return context.step();
      },
    });
    stopReason = result.stopReason;
    // Beam search streams nothing (the best beam is known only at the end): send its tokens now.
    if (stopReason !== 'cancelled') for (const tokenId of result.newIds.slice(newIds.length)) send(tokenId);
  }
  text += decoder?.flush() ?? '';
  const cancelReadAfter = context.cancelReadAfter();
  return { promptIds: prompt, newIds, text, stopReason, ...(cancelReadAfter === undefined ? {} : { cancelReadAfter }) };
}

/**
 * Resolves after the worker has had a chance to run other tasks (incoming messages). A resolved
 * promise would not do: it runs before any message, and on the cpu and wasm backends reading a
 * tensor never leaves the current task, so without this a cancel would wait for the whole
 * generation. A MessageChannel hop, unlike setTimeout(0), is not clamped to 4 ms.
 */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
