/**
 * The messages between the page (client.ts) and the model worker (worker.ts).
 *
 * Every request carries a requestId chosen by the client; every reply carries the id of the
 * request it answers. A request gets exactly one final reply (its result or an `error`);
 * `generate` also streams `token` replies before its final `generated`. `cancel` has no reply of
 * its own: the generation it names ends with stopReason 'cancelled'.
 * Everything here is structured-clone data (no tensors, no functions).
 */
import type { LlamaConfig } from '../llama/config';
import type { StopReason } from '../llama/generate';
import type { PlainTensor, RunOptions } from '../llama/model';
import type { SamplingOptions } from '../llama/sampling';
import type { BackendInfo, BackendName } from './backend';

/** Token ids, or text for the model's tokenizer (bos: prepend <s>, default true). */
export type PromptInput = { ids: number[] } | { text: string; bos?: boolean };

/** A batch of token id rows, or one text. */
export type BatchInput = { ids: number[][] } | { text: string; bos?: boolean };

/** forward options that survive postMessage (tensors become nested arrays). */
export type ForwardOptions = Omit<RunOptions, 'training' | 'dropoutRate' | 'attentionDropoutRate' | 'seed'>;

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Keep going past the end-of-text token (benchmarks, tests). Default false: stop there. */
  ignoreEos?: boolean;
}

// ----------------------------------------------------------------------------- page -> worker

export interface LoadRequest {
  type: 'load';
  requestId: number;
  /** Absolute URL of a directory holding config.json, model.safetensors, tokenizer.json. */
  modelUrl: string;
  /** Backend to try first (the page's ?backend=), or null for webgpu > webgl > wasm > cpu. */
  backend: BackendName | null;
  /** Absolute URL of the directory with the tfjs .wasm files, ending in "/". */
  wasmPath: string;
}

export interface ForwardRequest {
  type: 'forward';
  requestId: number;
  input: BatchInput;
  options: ForwardOptions;
}

export interface GenerateRequest {
  type: 'generate';
  requestId: number;
  input: PromptInput;
  options: GenerateOptions;
}

export interface CancelRequest {
  type: 'cancel';
  /** The requestId of the generation to stop. */
  target: number;
}

/** Frees the model's tensors; a later `load` starts again. */
export interface DisposeRequest {
  type: 'dispose';
  requestId: number;
}

/** tf.memory() inside the worker: lets tests check that nothing leaks. */
export interface MemoryRequest {
  type: 'memory';
  requestId: number;
}

export type RuntimeRequest =
  | LoadRequest
  | ForwardRequest
  | GenerateRequest
  | CancelRequest
  | DisposeRequest
  | MemoryRequest;

// ----------------------------------------------------------------------------- worker -> page

/** What the page learns about the loaded model. */
export interface ModelSummary {
  modelUrl: string;
  config: LlamaConfig;
  backend: BackendInfo;
  /** Whether tokenizer.json was found beside the model (text input and text output need it). */
  hasTokenizer: boolean;
  /** Milliseconds from the load request to a model ready on the backend. */
  loadMs: number;
}

export interface LoadedResponse {
  type: 'loaded';
  requestId: number;
  model: ModelSummary;
}

export interface ForwardResponse {
  type: 'forwarded';
  requestId: number;
  /** The ids the model saw ([batch, seq]); for text input, the tokenizer's output. */
  inputIds: number[][];
  /** [batch, seq, vocab] */
  logits: PlainTensor;
  /** Each requested tap; shapes are listed in src/llama/taps.ts. */
  taps: Record<string, PlainTensor>;
}

export interface TokenResponse {
  type: 'token';
  requestId: number;
  /** 0 for the first generated token. */
  index: number;
  tokenId: number;
  /** Text this token completes ('' while a multi-byte character is unfinished, or no tokenizer). */
  text: string;
}

/** 'length': maxNewTokens reached; 'context': the model's context is full. */
export type { StopReason };

export interface GeneratedResponse {
  type: 'generated';
  requestId: number;
  /** The prompt ids as the model saw them. */
  promptIds: number[];
  /** Only the generated ids. */
  newIds: number[];
  /**
   * The generated text ('' without a tokenizer): the tokens' texts joined, plus any unfinished
   * character held back at the end. A leading space is kept (" upon a time").
   */
  text: string;
  stopReason: StopReason;
}

export interface DisposedResponse {
  type: 'disposed';
  requestId: number;
}

export interface MemoryResponse {
  type: 'memory';
  requestId: number;
  numTensors: number;
  numBytes: number;
}

export interface ErrorResponse {
  type: 'error';
  requestId: number;
  message: string;
}

export type RuntimeResponse =
  | LoadedResponse
  | ForwardResponse
  | TokenResponse
  | GeneratedResponse
  | DisposedResponse
  | MemoryResponse
  | ErrorResponse;
