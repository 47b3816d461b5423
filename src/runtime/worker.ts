/// <reference lib="webworker" />
/**
 * The model worker: one per page (see client.ts), so the forward pass never blocks the page.
 *
 * It loads config.json, model.safetensors and tokenizer.json from a same-origin model URL,
 * chooses a tfjs backend once (backend.ts), and answers the requests of messages.ts one at a
 * time, in order. `cancel` is the exception: it is read as soon as it arrives, and a running
 * generation checks it after every token (the worker yields to its message queue between tokens,
 * so a cancel sent while token n is computed stops the generation before token n + 1).
 */
import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '../llama/config';
import { generate } from '../llama/generate';
import { LlamaModel } from '../llama/model';
import { readSafetensors } from '../llama/safetensors';
import { StreamDecoder, Tokenizer } from '../llama/tokenizer';
import { chooseBackend, type BackendInfo } from './backend';
import type {
  BatchInput,
  ForwardRequest,
  GenerateRequest,
  LoadRequest,
  ModelSummary,
  PromptInput,
  RuntimeRequest,
  RuntimeResponse,
  StopReason,
} from './messages';

declare const self: DedicatedWorkerGlobalScope;

interface LoadedModel {
  model: LlamaModel;
  /** null when the model directory has no tokenizer.json. */
  tokenizer: Tokenizer | null;
  summary: ModelSummary;
}

/** The backend is chosen once per worker: tfjs cannot move a loaded model between backends. */
let backend: Promise<BackendInfo> | null = null;
let loaded: LoadedModel | null = null;
/** requestIds of generations asked to stop (cleared when each one ends). */
const cancelled = new Set<number>();
/** Requests run one after another in arrival order. */
let queue: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<RuntimeRequest>) => {
  const request = event.data;
  if (request.type === 'cancel') {
    cancelled.add(request.target);
    return;
  }
  queue = queue.then(async () => {
    try {
      await handle(request);
    } catch (error) {
      reply({
        type: 'error',
        requestId: request.requestId,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  });
};

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
    case 'dispose':
      loaded?.model.dispose();
      loaded = null;
      return reply({ type: 'disposed', requestId: request.requestId });
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

  backend ??= chooseBackend(
    { gpu: self.navigator.gpu ?? undefined, wasmPath: request.wasmPath },
    { requested: request.backend },
  );
  const [backendInfo, configJson, weightBytes, tokenizerJson] = await Promise.all([
    backend,
    fetchFile(directory, 'config.json').then((response) => response.json()),
    fetchFile(directory, 'model.safetensors').then((response) => response.arrayBuffer()),
    fetchOptionalFile(directory, 'tokenizer.json').then((response) => response?.json()),
  ]);
  const config = parseConfig(configJson);
  const model = LlamaModel.fromWeights(config, readSafetensors(new Uint8Array(weightBytes)));
  const tokenizer = tokenizerJson ? Tokenizer.fromJSON(tokenizerJson) : null;
  if (tokenizer && tokenizer.vocabSize !== config.vocab_size) {
    model.dispose();
    throw new Error(
      `tokenizer.json has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${config.vocab_size}.`,
    );
  }
  loaded?.model.dispose();
  const summary: ModelSummary = {
    modelUrl: directory.href,
    config,
    backend: backendInfo,
    hasTokenizer: tokenizer !== null,
    loadMs: performance.now() - started,
  };
  loaded = { model, tokenizer, summary };
  return summary;
}

async function fetchFile(directory: URL, name: string): Promise<Response> {
  return checkResponse(await fetch(new URL(name, directory)));
}

/** Like fetchFile, but null when the file does not exist (HTTP 404). */
async function fetchOptionalFile(directory: URL, name: string): Promise<Response | null> {
  const response = await fetch(new URL(name, directory));
  return response.status === 404 ? null : checkResponse(response);
}

function checkResponse(response: Response): Response {
  if (!response.ok) {
    throw new Error(`Could not load ${response.url}: HTTP ${response.status} ${response.statusText}`);
  }
  return response;
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

async function forward(request: ForwardRequest): Promise<void> {
  const current = requireModel();
  const inputIds = batchIds(current, request.input);
  const { logits, taps } = await current.model.run(inputIds, request.options);
  reply({ type: 'forwarded', requestId: request.requestId, inputIds, logits, taps });
}

async function generateStream(request: GenerateRequest): Promise<void> {
  const { requestId } = request;
  const current = requireModel();
  const prompt = promptIds(current, request.input);
  const { ignoreEos, ...options } = request.options;
  const decoder = current.tokenizer ? new StreamDecoder(current.tokenizer) : null;
  const eosTokenId = ignoreEos ? undefined : (current.tokenizer?.eosId ?? current.summary.config.eos_token_id);
  const newIds: number[] = [];
  let text = '';
  let stopReason: StopReason = 'cancelled';
  try {
    if (!cancelled.has(requestId)) {
      ({ stopReason } = await generate(current.model, prompt, {
        ...options,
        eosTokenId,
        onToken: async (tokenId: number) => {
          const tokenText = decoder?.push(tokenId) ?? '';
          text += tokenText;
          reply({ type: 'token', requestId, index: newIds.length, tokenId, text: tokenText });
          newIds.push(tokenId);
          // Let a waiting `cancel` message in before the next token is computed.
          await nextMacrotask();
          return !cancelled.has(requestId);
        },
      }));
    }
  } finally {
    cancelled.delete(requestId);
  }
  text += decoder?.flush() ?? '';
  reply({ type: 'generated', requestId, promptIds: prompt, newIds, text, stopReason });
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
