/**
 * The protocol between the page (client.ts) and the model worker (worker.ts): one ops table.
 *
 *   page -> worker   { type: 'call', requestId, op, args }     op is a key of Ops
 *                    { type: 'cancel', target }                 stop request `target` (any op)
 *   worker -> page   { type: 'started', requestId }             the op began running
 *                    { type: 'progress', requestId, progress }  any number, Ops[op]['progress']
 *                    { type: 'result', requestId, result }      exactly one of these two
 *                    { type: 'error', requestId, message, cancelled?, fatal? }
 *
 * Each entry of Ops names its args, its result and what it streams as progress (never: nothing).
 * Adding a capability = one entry here, one function in worker.ts's `ops`, one engine function
 * behind it, and a test. Everything here is structured-clone data (no tensors, no functions).
 */
import type { KnockOut, LogitLensResult } from '../llama/anatomy';
import type { LlamaConfig, RopeScaling } from '../llama/config';
import type { BeamStep, StopReason } from '../llama/generate';
import type { DecodeTimeline, DecodeTimelineStep } from '../llama/decodeTimeline';
import type { DecodeStepProfile, KVCacheLayerInfo, MatmulTiming } from '../llama/inspect';
import type { MatmulChainTiming } from '../llama/matmulChain';
import type { AdapterFiles } from '../llama/lora';
import type { LoraUpdateInspection } from '../llama/loraInspect';
import type { LoraConfig } from '../llama/loraConfig';
import type { LoraTargetModule } from '../llama/loraConfig';
import type { PlainTensor, RunOptions } from '../llama/model';
import type { SamplingOptions } from '../llama/sampling';
import type { TokenizerJSON } from '../llama/tokenizer';
import type { AdamWOptions, LearningRateSchedule, TokenizedExample } from '../llama/train';
import type { BackendInfo, BackendName } from './backend';
import type { EmbeddingTableArgs, EmbeddingTableResult, ExtendVocabularyArgs } from './tokensOps';
import type { NbceDistributionsArgs, NbceDistributionsResult, NbceGenerateArgs, NbceGenerateProgress, NbceGenerateResult } from './nbceOps';

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
  /**
   * Replaces the causal rule for every row (a sparse attention pattern): queryKeyMask[q][k] = 1
   * lets query q see key k, [width][width] with width the longest row (rows are padded on the
   * right, so each row reads the top-left corner of its own length).
   */
  queryKeyMask?: number[][];
}

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Keep going past the end-of-text token (benchmarks, tests). Default false: stop there. */
  ignoreEos?: boolean;
  /** > 1: beam search (src/llama/generate.ts; no tokens stream, only the final result). */
  numBeams?: number;
}

// ----------------------------------------------------------------------------- the ops table

/** What the page learns about the loaded model. */
export interface ModelSummary {
  modelUrl: string;
  config: LlamaConfig;
  backend: BackendInfo;
  /** Whether tokenizer.json was found beside the model (text input and text output need it). */
  hasTokenizer: boolean;
  /** Milliseconds from the load request to a model ready on the backend. */
  loadMs: number;
  /** What to call the model: its folder ("glass-llama"), or the reader's file name ("stories260K"). */
  name: string;
  /** Weights the config calls for (a tied output matrix counted once). */
  parameters: number;
  /** The file names, when the model is the reader's own (LoadArgs.files); absent for a model of the site. */
  files?: string[];
}

export interface LoadArgs {
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
  /**
   * The reader's own model (a file picker, a drop): read from these bytes by the one loader, with
   * the limits for a reader's model (src/llama/modelLimits.ts). modelUrl is then only a key
   * ("reader-files:1").
   */
  files?: { name: string; bytes: Uint8Array }[];
}

export interface ForwardResult {
  /** The ids the model saw ([batch, seq]); for text input, the tokenizer's output. */
  inputIds: number[][];
  /** [batch, seq, vocab] */
  logits: PlainTensor;
  /** The tokenizer's piece for each input id ("▁the", "<0x0A>"), [batch, seq]; absent without a tokenizer. */
  pieces?: string[][];
  /** Each requested tap; shapes are listed in src/llama/taps.ts. */
  taps: Record<string, PlainTensor>;
}

/** One generated token, streamed as `generate`'s progress. */
export interface GeneratedToken {
  /** 0 for the first generated token. */
  index: number;
  tokenId: number;
  /** Text this token completes ('' while a multi-byte character is unfinished, or no tokenizer). */
  text: string;
}

/** 'length': maxNewTokens reached; 'context': the model's context is full. */
export type { BeamStep, StopReason };

export interface GenerationResult {
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

export interface BatchGenerationResult {
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

export interface LossResult {
  /** Each row's ids as the model saw them. */
  inputIds: number[][];
  /** losses[r][t] = -ln p(ids[r][t + 1] | ids[r][0..t]), nats; length ids[r].length - 1. */
  losses: number[][];
}

export interface PiecesResult {
  /** One piece per requested id; the id as text when the model has no tokenizer. */
  pieces: string[];
  /** Each id decoded on its own as text ('' for an unfinished multi-byte character). */
  texts: string[];
}

export interface MemoryResult {
  numTensors: number;
  numBytes: number;
}

/**
 * A model state held by the worker, named by the page. 'default' is the shipped model as loaded
 * (frozen); `fork` makes a trainable copy under a new name. Ops that take `session` run on it.
 */
export type SessionName = string;
export const DEFAULT_SESSION: SessionName = 'default';

export interface ForkArgs {
  /** The new session's name (not 'default', not one in use). */
  name: SessionName;
  /** The session to copy. Default: 'default'. */
  from?: SessionName;
}

/** Examples, batches and optimizer settings for `trainSteps` (src/llama/train.ts). */
export interface TrainArgs {
  session: SessionName;
  /** Tokenized examples; lossMask (1 = counted) makes SFT: only the response tokens count. */
  examples: TokenizedExample[];
  batchSize: number;
  seqLength: number;
  /** Seeds the batches: batch(step) = PackedCorpus.randomBatch(batchSize, seqLength, seed, step). */
  seed: number;
  /** How many optimizer steps this call runs (the session's step count goes on from where it was). */
  steps: number;
  schedule: LearningRateSchedule;
  /** Global-norm clipping threshold. */
  maxGradNorm: number;
  /** AdamW settings, fixed by the session's first trainSteps. Default DEFAULT_ADAMW. */
  adamW?: Partial<AdamWOptions>;
}

/** Streamed after each training step. */
export interface TrainProgress {
  /** The session's step just done, from 0. */
  step: number;
  loss: number;
  learningRate: number;
  /** Gradient norm before clipping. */
  globalNorm: number;
  /** Tokens of this step's batch per second of its wall time. */
  tokensPerSecond: number;
}

export interface TrainResult {
  /** Steps this call ran (fewer than asked after a cancel). */
  stepsRun: number;
  /** The session's total steps so far. */
  stepsDone: number;
  /** The loss of each step this call ran. */
  losses: number[];
  stopReason: 'steps' | 'cancelled';
  /** When cancelled: the steps already reported when the cancel was read; no step ran after it. */
  cancelReadAfter?: number;
}

export interface EvaluateArgs {
  session?: SessionName;
  examples: TokenizedExample[];
  batchSize: number;
  seqLength: number;
  /** Rows from evenly spaced examples (PackedCorpus.evaluationBatches). */
  rows: number;
}

/** A fresh LoRA adapter for a forked session (src/llama/lora.ts LoraAdapter.init). */
export interface AttachLoraArgs {
  session: SessionName;
  /** rank r, lora_alpha (the update is scaled by lora_alpha / r) and the projections it adapts */
  config: LoraConfig;
  /** Seeds A (B starts at 0, so the logits start unchanged). */
  seed: number;
}

export interface LoadAdapterArgs {
  session: SessionName;
  /** The files saveAdapter returned (or PEFT wrote): adapter_model.safetensors bytes and adapter_config.json text. */
  files: AdapterFiles;
  /** Whether trainSteps may go on training it. Default true. */
  trainable?: boolean;
}

/** The adapter now attached to a session. */
export interface LoraSummary {
  config: LoraConfig;
  /** Values in all A and B matrices: what trainSteps now trains. */
  parameters: number;
  trainable: boolean;
}

export interface KVCacheArgs {
  session?: SessionName;
  input: PromptInput;
  /** With head: return that layer's and KV head's keys and values. */
  layer?: number;
  head?: number;
}

/** What the KV cache holds after a forward of the prompt (src/llama/inspect.ts kvCacheInfo). */
export interface KVCacheResult {
  inputIds: number[];
  /** positions cached (the prompt's tokens) */
  length: number;
  dtype: string;
  bytesPerValue: number;
  /** per layer: keys and values shapes [batch, kv_heads, length, head_dim] and their bytes */
  layers: KVCacheLayerInfo[];
  totalBytes: number;
  /** The chosen layer and KV head: rotated keys and values, [length][head_dim]. */
  contents?: { layer: number; head: number; keys: number[][]; values: number[][] };
}

export interface TimeMatmulArgs {
  m: number;
  k: number;
  n: number;
  /** timed products, after one warm-up (default 5); the median is reported */
  reps?: number;
}

export interface TimeMatmulChainArgs {
  m: number;
  k: number;
  n: number;
  /** timed runs of the chain (default 3); the median is reported */
  reps?: number;
  /** the chain doubles until one run lasts this long (default 20 ms) */
  minMs?: number;
}

export interface ProfileDecodeStepArgs {
  session?: SessionName;
  input: PromptInput;
  /** The token fed in the profiled step (default: the prompt's last). */
  token?: number;
}

/** decodeTimeline (src/llama/decodeTimeline.ts): greedy steps against the KV cache, timed. */
export interface DecodeTimelineArgs {
  session?: SessionName;
  input: PromptInput;
  /** decode steps after the prefill, 0 to 250 (and within the context) */
  steps: number;
  /** also recompute the whole prefix without a cache at every step, timed */
  recompute?: boolean;
  /** the layer and KV head whose cached keys and values come back */
  layer?: number;
  head?: number;
  /** one untimed prefill first (shader compilation is not timed) */
  warmup?: boolean;
}

/** beamSearch (src/llama/generate.ts beam search with onBeamStep): every live beam of every step. */
export interface BeamSearchArgs {
  session?: SessionName;
  input: PromptInput;
  /** 2 to 8 beams */
  numBeams: number;
  /** 1 to 64 new tokens (and within the context) */
  maxNewTokens: number;
  /** stop a hypothesis at this id (default: the model's eos_token_id) */
  eosTokenId?: number;
}

export interface BeamSearchResult {
  promptIds: number[];
  /** One entry per step, as BeamStep: the beams that live on (best first, each with its parent row) and the finished hypotheses. */
  steps: BeamStep[];
  /** The answer: the best hypothesis (tokens, score = sum of log p / length), as generate returns it. */
  newIds: number[];
  score: number;
  stopReason: StopReason;
}

/** profileDecodeStep's kernels by name, with the step's FLOPs (decodeStepFlops). */
export type DecodeProfileResult = DecodeStepProfile & { inputIds: number[] };

/** The logit lens (src/llama/anatomy.ts logitLens) of a prompt, with the ids the model saw. */
export type LogitLensOpResult = LogitLensResult & { inputIds: number[] };

export interface KnockOutArgs {
  /** The knocked-out copy's name (a session of that name is replaced). */
  name: SessionName;
  /** The session to copy. Default: 'default'. */
  from?: SessionName;
  target: KnockOut;
}

export interface KnockOutResult {
  name: SessionName;
  /** The weight tensor that was zeroed (HF name). */
  tensor: string;
  /** How many of its values are now 0. */
  zeroedValues: number;
}

/** An entry of the ops table: what a call sends, what it streams, what it resolves to. */
export interface Op<Args, Result, Progress = never> {
  args: Args;
  result: Result;
  progress: Progress;
}

type NoArgs = Record<string, never>;

export interface Ops {
  /** Loads a model directory on this site (same URL again: the same model). */
  load: Op<LoadArgs, ModelSummary>;
  /** One forward pass: logits and the requested taps. */
  forward: Op<{ input: BatchInput; options: ForwardOptions; session?: SessionName }, ForwardResult>;
  /** Sampling, greedy or beam search; each token streams as progress; a cancel ends it early. */
  generate: Op<{ input: PromptInput; options: GenerateOptions; session?: SessionName }, GenerationResult, GeneratedToken>;
  /** Greedy decoding of a padded batch, the Hugging Face way (generateBatch in src/llama/generate.ts). */
  generateBatch: Op<{ input: RowsInput; options: GenerateBatchOptions }, BatchGenerationResult>;
  /** Per-token next-token loss of each row; rows may differ in length (padded right and masked). */
  loss: Op<{ input: RowsInput; options: LossOptions; session?: SessionName }, LossResult>;
  /** A trainable copy of a session's weights under a new name. */
  fork: Op<ForkArgs, { name: SessionName; parameters: number }>;
  /** Frees a session made by fork. */
  dropSession: Op<{ name: SessionName }, null>;
  /** AdamW steps on a forked session: schedule, clipping, masked loss; progress per step; cancel between steps. */
  trainSteps: Op<TrainArgs, TrainResult, TrainProgress>;
  /** Mean masked loss of a session on fixed batches of the examples. */
  evaluate: Op<EvaluateArgs, { loss: number; tokens: number }>;
  /** A fresh LoRA adapter on a forked session: its trainSteps then train only the adapter. */
  attachLora: Op<AttachLoraArgs, LoraSummary>;
  /** The session's adapter as PEFT files: adapter_model.safetensors bytes and adapter_config.json. */
  saveAdapter: Op<{ session: SessionName }, AdapterFiles>;
  /** Saved adapter files attached to a forked session (checked against its model's shapes). */
  loadAdapter: Op<LoadAdapterArgs, LoraSummary>;
  /** Removes and frees a session's adapter. */
  detachLora: Op<{ session: SessionName }, null>;
  /** One projection of a session's adapter: ΔW = (alpha/r) B A, its singular values, and W x and ΔW x at one token (loraOps.ts). */
  loraUpdate: Op<{ session: SessionName; input: PromptInput; layer: number; module: LoraTargetModule; position?: number }, LoraUpdateInspection>;
  /** A forward of the prompt into a fresh KV cache: its shape per layer, bytes, dtype, one head's contents. */
  kvCache: Op<KVCacheArgs, KVCacheResult>;
  /** Times an [m, k] × [k, n] product on the worker's backend; 2mkn FLOPs. A measurement, never asserted. */
  timeMatmul: Op<TimeMatmulArgs, MatmulTiming>;
  /** The same product chained back to back until a run lasts minMs, read back once: ms per product. A measurement. */
  timeMatmulChain: Op<TimeMatmulChainArgs, MatmulChainTiming>;
  /** One decode step after the prompt under tf.profile: kernels by name, count and time, and its FLOPs. */
  profileDecodeStep: Op<ProfileDecodeStepArgs, DecodeProfileResult>;
  /** Greedy decoding step by step against the KV cache (and recomputed without it), timed; each step streams. */
  decodeTimeline: Op<DecodeTimelineArgs, DecodeTimeline, DecodeTimelineStep>;
  /** Beam search that reports every live beam (and its KV-cache parent row) after each step; a cancel stops it between steps. */
  beamSearch: Op<BeamSearchArgs, BeamSearchResult, BeamStep>;
  /** The residual stream after the embedding and each layer, through the final norm and lm_head, at one position. */
  logitLens: Op<{ session?: SessionName; input: PromptInput; position?: number }, LogitLensOpResult>;
  /** A forked copy of a session with one piece zeroed (a head, a layer's attention or MLP, the final norm). */
  knockOut: Op<KnockOutArgs, KnockOutResult>;
  /** Continues a text longer than the context by truncation, position interpolation or NBCE; each token streams; a cancel ends it early (nbceOps.ts). */
  nbceGenerate: Op<NbceGenerateArgs, NbceGenerateResult, NbceGenerateProgress>;
  /** NBCE's first-step next-token logits: the question alone, then each chunk + question (nbceOps.ts). */
  nbceDistributions: Op<NbceDistributionsArgs, NbceDistributionsResult>;
  /** The tokenizer's piece for each id ("▁the", "<0x0A>"), to label tokens in a figure. */
  pieces: Op<{ ids: number[] }, PiecesResult>;
  /** The loaded model's tokenizer.json (null without one), so a page can count tokens. */
  tokenizer: Op<NoArgs, TokenizerJSON | null>;
  /** A copy of a session's input embedding or output matrix, [vocab, hidden] (tokensOps.ts). */
  embeddingTable: Op<EmbeddingTableArgs, EmbeddingTableResult>;
  /** A trainable copy of a session with new vocabulary rows: random, mean of all rows, or mean of the piece's byte rows. */
  extendVocabulary: Op<ExtendVocabularyArgs, { name: SessionName; parameters: number; vocabSize: number }>;
  /** tf.memory() inside the worker: lets tests check that nothing leaks. */
  memory: Op<NoArgs, MemoryResult>;
  /** Frees the model's tensors and every session; a later `load` starts again. */
  dispose: Op<NoArgs, null>;
}

export type OpName = keyof Ops;
export type OpArgs<Name extends OpName> = Ops[Name]['args'];
export type OpResult<Name extends OpName> = Ops[Name]['result'];
export type OpProgress<Name extends OpName> = Ops[Name]['progress'];

// ----------------------------------------------------------------------------- page -> worker

export interface CallRequest<Name extends OpName = OpName> {
  type: 'call';
  requestId: number;
  op: Name;
  args: OpArgs<Name>;
}

/** Stops request `target`: not started, it fails as cancelled; running, it stops at its next step. */
export interface CancelRequest {
  type: 'cancel';
  target: number;
}

/** A call of any op, still discriminated by `op`. */
export type AnyCallRequest = { [Name in OpName]: CallRequest<Name> }[OpName];

export type RuntimeRequest = AnyCallRequest | CancelRequest;

// ----------------------------------------------------------------------------- worker -> page

export interface StartedResponse {
  type: 'started';
  requestId: number;
}

export interface ProgressResponse {
  type: 'progress';
  requestId: number;
  progress: OpProgress<OpName>;
}

export interface ResultResponse {
  type: 'result';
  requestId: number;
  result: OpResult<OpName>;
}

export interface ErrorResponse {
  type: 'error';
  requestId: number;
  message: string;
  /** The request was cancelled before it could finish (the client rejects with an AbortError). */
  cancelled?: boolean;
  /**
   * The backend crashed (a WebAssembly trap, an abort): the worker cannot answer anything more, so
   * the client replaces it, reloads the model and sends it the requests that had not started.
   */
  fatal?: boolean;
}

export type RuntimeResponse = StartedResponse | ProgressResponse | ResultResponse | ErrorResponse;
