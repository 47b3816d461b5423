/**
 * The messages between the page (client.ts) and the model worker (worker.ts).
 *
 * Every request carries a requestId chosen by the client; every reply carries the id of the
 * request it answers. A request gets exactly one final reply (its result or an `error`);
 * `generate` also streams `token` replies before its final `generated`. `cancel` has no reply of
 * its own: the generation it names ends with stopReason 'cancelled'.
 * Everything here is structured-clone data (no tensors, no functions).
 */
import type { LlamaConfig, RopeScaling } from '../llama/config';
import type { StopReason } from '../llama/generate';
import type { PlainTensor, RunOptions } from '../llama/model';
import type { SamplingOptions } from '../llama/sampling';
import type { TokenizerJSON } from '../llama/tokenizer';
import type { BackendInfo, BackendName } from './backend';

/** Token ids, or text for the model's tokenizer (bos: prepend <s>, default true). */
export type PromptInput = { ids: number[] } | { text: string; bos?: boolean };

/** A batch of token id rows, or one text. */
export type BatchInput = { ids: number[][] } | { text: string; bos?: boolean };

/**
 * forward options that survive postMessage (tensors become nested arrays). `training` with
 * `dropoutRate` (and `seed` for repeatable masks) runs the forward as in training: inverted dropout.
 */
export type ForwardOptions = Omit<RunOptions, 'attentionDropoutRate'> & {
  /**
   * Context extension for this forward only, in place of config.json's rope_scaling: null for
   * none, { rope_type: 'linear', factor } (position interpolation) or 'dynamic' (NTK-aware).
   * Absent: the model's own setting.
   */
  ropeScaling?: RopeScaling | null;
};

/** One prompt per row: token ids, or texts for the tokenizer (each gets <s> unless bos is false). */
export type RowsInput = { ids: number[][] } | { texts: string[]; bos?: boolean };

/** How generateBatch pads and masks (src/llama/generate.ts BatchOptions). */
export interface GenerateBatchOptions {
  paddingSide: 'left' | 'right';
  useAttentionMask: boolean;
  usePositionIdsFromMask: boolean;
  maxNewTokens: number;
}

/** Dropout settings for a loss computation; `training: false` (eval mode) ignores the rate. */
export interface LossOptions {
  training: boolean;
  dropoutRate?: number;
  /** Seeds the dropout masks of the whole batch: a repeated request gets the same ones. */
  seed?: number;
  /** Cut each row to the model's context instead of refusing a longer one. */
  truncate?: boolean;
}

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Keep going past the end-of-text token (benchmarks, tests). Default false: stop there. */
  ignoreEos?: boolean;
  /** > 1: beam search (src/llama/generate.ts; no tokens stream, only the final result). */
  numBeams?: number;
}

// ----------------------------------------------------------------------------- page -> worker

export interface LoadRequest {
  type: 'load';
  requestId: number;
  /** Absolute URL of a directory holding config.json, model.safetensors, tokenizer.json. */
  modelUrl: string;
  /** Backend to try first (the page's ?backend=), or null to choose (WebGPU, else the faster of WebGL and wasm). */
  backend: BackendName | null;
  /** A ?backend= value that names no backend ("cuda"): ignored, and named in BackendInfo.note. */
  unknownBackend?: string | null;
  /** The winner of this session's earlier probe for this model (sessionStorage), used without timing. */
  rememberedBackend?: BackendName | null;
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

/** Greedy decoding of a padded batch, the Hugging Face way (generateBatch in src/llama/generate.ts). */
export interface GenerateBatchRequest {
  type: 'generateBatch';
  requestId: number;
  input: RowsInput;
  options: GenerateBatchOptions;
}

/** Per-token next-token loss of each row; rows may differ in length (padded right and masked). */
export interface LossRequest {
  type: 'loss';
  requestId: number;
  input: RowsInput;
  options: LossOptions;
}

/** The tokenizer's piece for each id ("▁the", "<0x0A>"), to label tokens in a figure. */
export interface PiecesRequest {
  type: 'pieces';
  requestId: number;
  ids: number[];
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

/** The loaded model's tokenizer.json, so a page can show token pieces and count tokens. */
export interface TokenizerRequest {
  type: 'tokenizer';
  requestId: number;
}

export type RuntimeRequest =
  | TokenizerRequest
  | LoadRequest
  | ForwardRequest
  | GenerateRequest
  | CancelRequest
  | DisposeRequest
  | MemoryRequest
  | GenerateBatchRequest
  | LossRequest
  | PiecesRequest;

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
  /** The tokenizer's piece for each input id ("▁the", "<0x0A>"), [batch, seq]; absent without a tokenizer. */
  pieces?: string[][];
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
  /**
   * When the generation was cancelled: how many tokens it had sent when the worker read the
   * cancel. No token follows: newIds.length equals it (a token computed meanwhile is dropped).
   */
  cancelReadAfter?: number;
}

export interface BatchGeneratedResponse {
  type: 'batchGenerated';
  requestId: number;
  /** Each row's prompt ids, unpadded. */
  prompts: number[][];
  /** The padded prompts as fed to the model: [batch, longest prompt]. */
  input: number[][];
  /** The id used for padding. */
  padTokenId: number;
  /** 1 = token, 0 = padding, over the padded prompt columns only. */
  attentionMask: number[][];
  /** The position ids of the prompt columns as the model saw them. */
  positionIds: number[][];
  /** Greedy new ids of each row. */
  newIds: number[][];
  /** Each row's new ids as text, a leading space kept ('' without a tokenizer). */
  newTexts: string[];
  /** The tokenizer's piece for each id of `input` ("▁the", "<0x0A>"; the id as text without a tokenizer). */
  inputPieces: string[][];
}

export interface LossResponse {
  type: 'lossComputed';
  requestId: number;
  /** Each row's ids as the model saw them. */
  inputIds: number[][];
  /** losses[r][t] = -ln p(ids[r][t + 1] | ids[r][0..t]), nats; length ids[r].length - 1. */
  losses: number[][];
}

export interface PiecesResponse {
  type: 'pieces';
  requestId: number;
  /** One piece per requested id; the id as text when the model has no tokenizer. */
  pieces: string[];
  /** Each id decoded on its own as text ('' for an unfinished multi-byte character). */
  texts: string[];
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
  /**
   * The backend crashed (a WebAssembly trap, an abort): the worker cannot answer anything more, so
   * the client replaces it, reloads the model and sends it the requests still waiting.
   */
  fatal?: boolean;
}

export interface TokenizerResponse {
  type: 'tokenizer';
  requestId: number;
  /** null when the model directory has no tokenizer.json. */
  tokenizer: TokenizerJSON | null;
}

export type RuntimeResponse =
  | TokenizerResponse
  | LoadedResponse
  | ForwardResponse
  | TokenResponse
  | GeneratedResponse
  | DisposedResponse
  | MemoryResponse
  | BatchGeneratedResponse
  | LossResponse
  | PiecesResponse
  | ErrorResponse;
