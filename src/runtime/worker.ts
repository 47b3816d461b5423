/// <reference lib="webworker" />
/**
 * The model worker: one per page (see client.ts), so the forward pass never blocks the page.
 *
 * It loads config.json, model.safetensors and tokenizer.json from a same-origin model URL,
 * chooses a tfjs backend once (backend.ts), and answers the requests of messages.ts one at a
 * time, in order. `cancel` is the exception: it is read as soon as it arrives, and a running
 * generation checks it before sending each token (the worker yields to its message queue between
 * tokens): a cancel read after n tokens were sent ends the generation with exactly those n.
 */
import * as tf from '@tensorflow/tfjs';
import { parseConfig, type RopeScaling } from '../llama/config';
import { generate, generateBatch } from '../llama/generate';
import { checkTokenIds, LlamaModel, positionIdsFromMask } from '../llama/model';
import { loadModelFiles, type ModelFiles } from '../llama/load';
import { StreamDecoder, Tokenizer, type TokenizerJSON } from '../llama/tokenizer';
import { chooseBackend, type BackendInfo } from './backend';
import { checkInputLength, lengthLimit } from './limits';
import type {
  BatchInput,
  ForwardRequest,
  GenerateBatchRequest,
  GenerateRequest,
  LoadRequest,
  LossRequest,
  ModelSummary,
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
  /** tokenizer.json as loaded, for the `tokenizer` request. */
  tokenizerJson: TokenizerJSON | null;
  summary: ModelSummary;
}

/** The backend is chosen once per worker: tfjs cannot move a loaded model between backends. */
let backend: Promise<BackendInfo> | null = null;
let loaded: LoadedModel | null = null;
/**
 * Generations asked to stop (cleared when each one ends): requestId -> how many tokens that
 * generation had sent when the cancel was read, reported back as cancelReadAfter.
 */
const cancelled = new Map<number, number>();
/** Tokens sent so far by each running generation. */
const tokensSent = new Map<number, number>();
/** Requests run one after another in arrival order. */
let queue: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<RuntimeRequest>) => {
  const request = event.data;
  if (request.type === 'cancel') {
    if (!cancelled.has(request.target)) cancelled.set(request.target, tokensSent.get(request.target) ?? 0);
    return;
  }
  queue = queue.then(async () => {
    try {
      await handle(request);
    } catch (error) {
      const fatal = isBackendCrash(error);
      const message = error instanceof Error ? error.message : String(error);
      reply({
        type: 'error',
        requestId: request.requestId,
        message: fatal ? `The model's backend crashed (${message}); it restarts for the next request.` : message,
        ...(fatal ? { fatal } : {}),
      });
    }
  });
};

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

async function handle(request: Exclude<RuntimeRequest, { type: 'cancel' }>): Promise<void> {
  switch (request.type) {
    case 'load':
      return reply({ type: 'loaded', requestId: request.requestId, model: await load(request) });
    case 'forward':
      return forward(request);
    case 'generate':
      return generateStream(request);
    case 'generateBatch':
      return generateBatchOf(request);
    case 'loss':
      return lossOf(request);
    case 'pieces': {
      const current = requireModel();
      checkTokenIds([request.ids], current.summary.config.vocab_size);
      const { tokenizer } = current;
      const pieces = request.ids.map((id) => tokenizer?.idToPiece(id) ?? String(id));
      // bytesOf keeps the leading space of "▁the" (decode would drop it as the dummy prefix)
      const texts = request.ids.map((id) => (!tokenizer || tokenizer.isByteToken(id) ? '' : new TextDecoder().decode(tokenizer.bytesOf([id]))));
      return reply({ type: 'pieces', requestId: request.requestId, pieces, texts });
    }
    case 'dispose':
      loaded?.model.dispose();
      loaded = null;
      return reply({ type: 'disposed', requestId: request.requestId });
    case 'tokenizer':
      return reply({ type: 'tokenizer', requestId: request.requestId, tokenizer: requireModel().tokenizerJson });
    case 'memory': {
      const { numTensors, numBytes } = tf.memory();
      return reply({ type: 'memory', requestId: request.requestId, numTensors, numBytes });
    }
  }
}

async function load(request: LoadRequest): Promise<ModelSummary> {
  const started = performance.now();
  const directory = new URL(request.modelUrl);
  if (directory.origin !== self.location.origin) {
    throw new Error(
      `The model must be served by this site (${self.location.origin}). Received ${request.modelUrl}.`,
    );
  }
  if (loaded?.summary.modelUrl === directory.href) return loaded.summary;

  const files = await loadModelFiles({ url: directory.href });
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
  const tokenizer = tokenizerJson ? Tokenizer.fromJSON(tokenizerJson) : null;
  if (tokenizer && tokenizer.vocabSize !== config.vocab_size) {
    throw new Error(
      `tokenizer.json does not fit config.json: it has ${tokenizer.vocabSize} tokens, the config says vocab_size ${config.vocab_size}.`,
    );
  }
  const model = LlamaModel.fromWeights(config, weights);
  loaded?.model.dispose();
  const summary: ModelSummary = {
    modelUrl: directory.href,
    config,
    backend: backendInfo,
    hasTokenizer: tokenizer !== null,
    loadMs: performance.now() - started,
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
    throw new Error(`${current.summary.modelUrl} has no tokenizer.json: pass token ids, not text.`);
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

async function generateBatchOf(request: GenerateBatchRequest): Promise<void> {
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
  reply({
    type: 'batchGenerated',
    requestId: request.requestId,
    prompts,
    input: result.input,
    padTokenId,
    attentionMask,
    positionIds,
    newIds: result.newIds,
    // bytesOf keeps a leading space (" there"), which decode would drop as the dummy prefix
    newTexts: result.newIds.map((ids) => (tokenizer ? new TextDecoder().decode(tokenizer.bytesOf(ids)) : '')),
    inputPieces: result.input.map((row) => row.map((id) => tokenizer?.idToPiece(id) ?? String(id))),
  });
}

/**
 * Next-token cross-entropy of every position of every row, in one forward: the rows are padded on
 * the right and masked (the real tokens come first, so they never see a pad), and the losses of
 * the pad positions are dropped. One shape per request, so a GPU backend compiles its kernels once.
 */
async function lossOf(request: LossRequest): Promise<void> {
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
    const { logits } = current.model.forward(tf.tensor2d(padded, undefined, 'int32'), {
      attentionMask: tf.tensor2d(mask, undefined, 'int32'),
      training,
      dropoutRate,
      seed,
    });
    const rows = inputIds.length;
    const predicting = logits.slice([0, 0, 0], [rows, width - 1, vocabSize]); // [rows, width - 1, vocab]
    const logProbs = tf.logSoftmax(predicting);
    const targets = tf.oneHot(tf.tensor2d(padded.map((ids) => ids.slice(1)), undefined, 'int32'), vocabSize);
    return tf.neg(tf.sum(tf.mul(logProbs, targets), 2)); // [rows, width - 1]
  });
  const values = await perToken.data();
  perToken.dispose();
  const losses = inputIds.map((ids, row) => Array.from(values.subarray(row * (width - 1), row * (width - 1) + ids.length - 1)));
  reply({ type: 'lossComputed', requestId: request.requestId, inputIds, losses });
}

async function forward(request: ForwardRequest): Promise<void> {
  const current = requireModel();
  const inputIds = batchIds(current, request.input);
  const { ropeScaling, ...options } = request.options;
  checkInputLength(inputIds, lengthLimit(current.summary.config, { extendedContext: ropeScaling !== undefined }));
  const model = ropeScaling === undefined ? current.model : withRopeScaling(current.model, ropeScaling);
  const { logits, taps } = await model.run(inputIds, options);
  const pieces = current.tokenizer ? inputIds.map((row) => row.map((id) => current.tokenizer!.idToPiece(id))) : undefined;
  reply({ type: 'forwarded', requestId: request.requestId, inputIds, logits, pieces, taps });
}

/**
 * The same model (same weight tensors, nothing copied) seen through a config whose rope_scaling
 * is replaced: RoPE reads the scaling from model.config in every forward, and nothing else does.
 */
function withRopeScaling(model: LlamaModel, ropeScaling: RopeScaling | null): LlamaModel {
  const config = parseConfig({ ...model.config, rope_scaling: ropeScaling });
  return Object.create(model, { config: { value: config } }) as LlamaModel;
}

async function generateStream(request: GenerateRequest): Promise<void> {
  const { requestId } = request;
  const current = requireModel();
  const prompt = promptIds(current, request.input);
  checkInputLength([prompt], lengthLimit(current.summary.config));
  const { ignoreEos, ...options } = request.options;
  const decoder = current.tokenizer ? new StreamDecoder(current.tokenizer) : null;
  const eosTokenId = ignoreEos ? undefined : (current.tokenizer?.eosId ?? current.summary.config.eos_token_id);
  const newIds: number[] = [];
  let text = '';
  let stopReason: StopReason = 'cancelled';
  try {
    if (!cancelled.has(requestId)) {
      const result = await generate(current.model, prompt, {
        ...options,
        eosTokenId,
        onToken: async (tokenId: number) => {
          // A cancel read while this token was computed drops it: the reply holds exactly the
          // tokens sent before the cancel was read (cancelReadAfter), whatever the speed.
          if (cancelled.has(requestId)) return false;
          const tokenText = decoder?.push(tokenId) ?? '';
          text += tokenText;
          reply({ type: 'token', requestId, index: newIds.length, tokenId, text: tokenText });
          newIds.push(tokenId);
          tokensSent.set(requestId, newIds.length);
          // Let a waiting `cancel` message in before the next token is computed.
          await nextMacrotask();
          return !cancelled.has(requestId);
        },
      });
      stopReason = result.stopReason;
      // Beam search streams nothing (the best beam is known only at the end): send its tokens now.
      for (const tokenId of stopReason === 'cancelled' ? [] : result.newIds.slice(newIds.length)) {
        const tokenText = decoder?.push(tokenId) ?? '';
        text += tokenText;
        reply({ type: 'token', requestId, index: newIds.length, tokenId, text: tokenText });
        newIds.push(tokenId);
      }
    }
  } finally {
    tokensSent.delete(requestId);
  }
  const cancelReadAfter = cancelled.get(requestId);
  cancelled.delete(requestId);
  text += decoder?.flush() ?? '';
  reply({ type: 'generated', requestId, promptIds: prompt, newIds, text, stopReason, ...(cancelReadAfter === undefined ? {} : { cancelReadAfter }) });
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
