/**
 * Trains the Glass Llama and writes public/models/glass-llama/ in the Hugging Face Llama layout.
 *
 *   npm run train -- [--workers 2] [--steps 1200] [--max-minutes 45] [--resume] ...
 *   npm run train -- --export-only          write the model files from the latest checkpoint
 *   npm run train -- --probe-throughput 6   time 6 steps with 1 worker, then with 2, and save it
 *   npm run train -- --reproduce 50         rerun the first 50 logged steps and compare the losses
 *   --out DIR, --checkpoint-dir DIR         elsewhere than public/models/glass-llama, checkpoints/glass-llama
 *   npm run train -- --finetune notes|chat [--lora r,alpha,modules] ...
 *                                           fine-tune the shipped model (scripts/finetune.ts)
 *
 * Data parallel: each of `--workers` worker_threads (scripts/train-worker.ts) computes gradients
 * on its share of the batch, the main thread averages them, and every worker applies the same
 * AdamW update, so all copies stay identical. The batch for step s depends only on (seed, s), so
 * a resumed run continues exactly where the checkpoint left it.
 *
 * Needs `npm run corpus` and `npm run tokenizer` first.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sftExample } from '../src/chapters/training';
import { configToJSON, type LlamaConfig } from '../src/llama/config';
import { readSafetensors, writeSafetensors } from '../src/llama/safetensors';
import { Tokenizer } from '../src/llama/tokenizer';
import { learningRateAt, PackedCorpus, type AdamWOptions, type Batch, type LearningRateSchedule, type TokenizedExample } from '../src/llama/train';
import type { WeightMap } from '../src/llama/weights';
import { readCorpusTexts } from './build-tokenizer';
import type { WorkerReply, WorkerRequest } from './train-worker';

export const MODEL_DIR = 'public/models/glass-llama';
export const CHECKPOINT_DIR = 'checkpoints/glass-llama';

/** Where this run writes: --out (the exported model) and --checkpoint-dir. */
const paths = { out: MODEL_DIR, checkpoints: CHECKPOINT_DIR };

export interface TrainOptions {
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  seqLength: number;
  batchSize: number;
  steps: number;
  peakLearningRate: number;
  warmupSteps: number;
  finalFraction: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  workers: number;
  logEvery: number;
  evalEvery: number;
  evalRows: number;
  checkpointEvery: number;
  maxMinutes: number;
  /** 'stories' for pretraining (loss on every token), 'chat' for SFT (loss on responses only). */
  corpus: 'stories' | 'chat';
}

export const DEFAULT_OPTIONS: TrainOptions = {
  hiddenSize: 128,
  layers: 4,
  heads: 4,
  kvHeads: 2,
  seqLength: 256,
  batchSize: 8,
  steps: 1000,
  peakLearningRate: 3e-3,
  warmupSteps: 60,
  finalFraction: 0.1,
  weightDecay: 0.1,
  maxGradNorm: 1,
  seed: 1234,
  workers: 2,
  logEvery: 10,
  evalEvery: 50,
  evalRows: 48,
  checkpointEvery: 50,
  maxMinutes: 50,
  corpus: 'stories',
};

/** SwiGLU width: 8/3 of hidden (keeps the MLP's parameters at 8 hidden^2), rounded up to 32. */
export function intermediateSizeFor(hiddenSize: number): number {
  return Math.ceil((hiddenSize * 8) / 3 / 32) * 32;
}

export function modelConfig(options: TrainOptions, vocabSize: number): LlamaConfig {
  return {
    hidden_size: options.hiddenSize,
    intermediate_size: intermediateSizeFor(options.hiddenSize),
    num_hidden_layers: options.layers,
    num_attention_heads: options.heads,
    num_key_value_heads: options.kvHeads,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_scaling: null,
    vocab_size: vocabSize,
    max_position_embeddings: options.seqLength,
    tie_word_embeddings: false,
    hidden_act: 'silu',
    attention_dropout: 0,
    bos_token_id: 1,
    eos_token_id: 2,
    rope_layout: 'rotate_half',
  };
}

/**
 * Tokenizes a corpus split as training examples: "<s> text </s>". Chat pairs mask the prompt out
 * of the loss: only the response and its </s> are targets.
 */
export function tokenizeSplit(tokenizer: Tokenizer, corpus: 'stories' | 'chat', split: string): TokenizedExample[] {
  if (corpus === 'stories') {
    return readCorpusTexts('stories', split).map((text) => ({ ids: [...tokenizer.encode(text), tokenizer.eosId] }));
  }
  const pairs = readFileSync(join('data', 'chat', `${split}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { prompt: string; response: string });
  return tokenizeChatPairs(tokenizer, pairs);
}

/** SFT examples: prompt + response + </s>, with the loss mask 0 on the prompt's tokens. */
export function tokenizeChatPairs(tokenizer: Tokenizer, pairs: { prompt: string; response: string }[]): TokenizedExample[] {
  return pairs.map(({ prompt, response }) => sftExample(tokenizer, prompt, response));
}

/** One log line. Losses are mean cross-entropy in nats per counted token. */
export interface LogEntry {
  step: number;
  trainLoss: number;
  validationLoss?: number;
  learningRate: number;
  gradNorm: number;
  tokensSeen: number;
  elapsedSeconds: number;
}

export interface TrainingLog {
  options: TrainOptions;
  config: Record<string, unknown>;
  parameterCount: number;
  corpusTokens: { train: number; validation: number };
  machine: { cpus: string; cores: number; node: string; backend: string; note: string };
  throughput?: ThroughputProbe;
  reproducibility?: unknown;
  /** Each --resume: the step it continued from and the step count and workers it used. */
  resumes?: { atStep: number; steps: number; workers: number }[];
  entries: LogEntry[];
  wallSeconds: number;
  finished: boolean;
}

export interface ThroughputProbe {
  note: string;
  batchSize: number;
  seqLength: number;
  /** workers -> seconds per step and tokens per second, median over the probed steps. */
  results: { workers: number; secondsPerStep: number; tokensPerSecond: number; stepSeconds: number[] }[];
}

/** A pool of training workers that act as one model. */
class WorkerPool {
  private readonly workers: Worker[];
  parameterNames: string[] = [];

  constructor(count: number) {
    // Worker threads do not inherit tsx's loader, so each one registers it before importing
    // the TypeScript worker module.
    const workerUrl = new URL('./train-worker.ts', import.meta.url).href;
    const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(workerUrl)}); });`;
    this.workers = Array.from({ length: count }, () => new Worker(bootstrap, { eval: true }));
  }

  private ask(worker: Worker, request: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        worker.off('error', reject);
        if (reply.type === 'error') reject(new Error(reply.message));
        else resolve(reply);
      };
      worker.once('message', onMessage);
      worker.once('error', reject);
      worker.postMessage(request);
    });
  }

  async init(request: Extract<WorkerRequest, { type: 'init' }>): Promise<void> {
    const replies = await Promise.all(this.workers.map((w) => this.ask(w, request)));
    this.parameterNames = (replies[0] as Extract<WorkerReply, { type: 'ready' }>).parameterNames;
  }

  /** One step: split the batch by rows, average the gradients by counted targets, apply. */
  async step(batch: Batch, learningRate: number, maxGradNorm: number): Promise<{ loss: number; gradNorm: number }> {
    const shares = this.workers.map((_, w) => {
      const rows = (rows: number[][]) => rows.filter((_, r) => r % this.workers.length === w);
      return { inputs: rows(batch.inputs), targets: rows(batch.targets), lossMask: rows(batch.lossMask) };
    });
    const replies = (await Promise.all(this.workers.map((w, i) => this.ask(w, { type: 'gradients', batch: shares[i] })))) as Extract<
      WorkerReply,
      { type: 'gradients' }
    >[];
    const totalCounted = replies.reduce((sum, r) => sum + r.counted, 0);
    // The mean over all targets = sum_w (counted_w / total) * mean over worker w's targets.
    const averaged = replies[0].gradients.map((first, p) => {
      const sum = new Float32Array(first.length);
      for (const reply of replies) {
        const weight = reply.counted / totalCounted;
        const grad = reply.gradients[p];
        for (let i = 0; i < sum.length; i++) sum[i] += weight * grad[i];
      }
      return sum;
    });
    const loss = replies.reduce((sum, r) => sum + (r.loss * r.counted) / totalCounted, 0);
    const applied = await Promise.all(
      this.workers.map((w) => this.ask(w, { type: 'apply', gradients: averaged, learningRate, maxGradNorm })),
    );
    return { loss, gradNorm: (applied[0] as Extract<WorkerReply, { type: 'applied' }>).globalNorm };
  }

  async evaluate(batches: Batch[]): Promise<number> {
    const reply = (await this.ask(this.workers[0], { type: 'evaluate', batches })) as Extract<WorkerReply, { type: 'evaluated' }>;
    return reply.loss;
  }

  async exportState(): Promise<Extract<WorkerReply, { type: 'exported' }>> {
    return (await this.ask(this.workers[0], { type: 'export' })) as Extract<WorkerReply, { type: 'exported' }>;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

interface Args {
  options: TrainOptions;
  resume: boolean;
  exportOnly: boolean;
  probe: number;
  reproduce: number;
  logPath: string;
}

function parseArgs(argv: string[]): Args {
  const options = { ...DEFAULT_OPTIONS };
  const flags: Record<string, keyof TrainOptions> = {
    '--hidden': 'hiddenSize', '--layers': 'layers', '--heads': 'heads', '--kv-heads': 'kvHeads', '--seq': 'seqLength',
    '--batch': 'batchSize', '--steps': 'steps', '--lr': 'peakLearningRate', '--warmup': 'warmupSteps',
    '--weight-decay': 'weightDecay', '--clip': 'maxGradNorm', '--seed': 'seed', '--workers': 'workers',
    '--log-every': 'logEvery', '--eval-every': 'evalEvery', '--eval-rows': 'evalRows',
    '--checkpoint-every': 'checkpointEvery', '--max-minutes': 'maxMinutes', '--corpus': 'corpus',
  };
  let resume = false;
  let exportOnly = false;
  let probe = 0;
  let reproduce = 0;
  let logPath = '';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--resume') resume = true;
    else if (flag === '--export-only') exportOnly = true;
    else if (flag === '--probe-throughput') probe = Number(argv[++i]);
    else if (flag === '--reproduce') reproduce = Number(argv[++i]);
    else if (flag === '--log') logPath = argv[++i];
    else if (flag === '--out') paths.out = argv[++i];
    else if (flag === '--checkpoint-dir') paths.checkpoints = argv[++i];
    else if (flags[flag]) {
      const key = flags[flag];
      const value = argv[++i];
      (options as Record<string, unknown>)[key] = key === 'corpus' ? value : Number(value);
    } else throw new Error(`train: unknown flag ${flag}. Expected one of ${Object.keys(flags).join(', ')}, --resume, --export-only, --probe-throughput N, --reproduce N, --log PATH, --out DIR, --checkpoint-dir DIR`);
  }
  return { options, resume, exportOnly, probe, reproduce, logPath: logPath || join(paths.checkpoints, 'training-log.json') };
}

function loadTokenizer(): Tokenizer {
  return Tokenizer.fromJSON(JSON.parse(readFileSync(join(MODEL_DIR, 'tokenizer.json'), 'utf8')));
}

function machineInfo(): TrainingLog['machine'] {
  return {
    cpus: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    backend: 'tfjs-backend-wasm (SIMD, single-threaded per worker)',
    note: 'Step times are wall-clock; anything else running on the machine at the same time slows them.',
  };
}

function saveCheckpoint(state: Extract<WorkerReply, { type: 'exported' }>, log: TrainingLog, logPath: string): void {
  mkdirSync(paths.checkpoints, { recursive: true });
  writeFileSync(join(paths.checkpoints, 'model.safetensors'), writeSafetensors(state.weights));
  writeFileSync(join(paths.checkpoints, 'optimizer.safetensors'), writeSafetensors(state.optimizerState));
  writeFileSync(join(paths.checkpoints, 'state.json'), JSON.stringify({ stepsDone: state.stepsDone }));
  writeFileSync(logPath, JSON.stringify(log, null, 1));
}

/** config.json, model.safetensors (F16), training-log.json; then the model card via eval. */
export async function exportModel(weights: WeightMap, config: LlamaConfig, log: TrainingLog): Promise<void> {
  const dir = paths.out;
  mkdirSync(dir, { recursive: true });
  if (dir !== MODEL_DIR) copyFileSync(join(MODEL_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...configToJSON(config), torch_dtype: 'float16' }, null, 2) + '\n');
  writeFileSync(
    join(dir, 'model.safetensors'),
    writeSafetensors(weights, { dtype: 'F16', metadata: { format: 'pt', source: 'glass-llama scripts/train.ts' } }),
  );
  writeFileSync(join(dir, 'training-log.json'), JSON.stringify(log, null, 1) + '\n');
  const { writeModelCard } = await import('./eval');
  await writeModelCard(dir);
}

async function probeThroughput(options: TrainOptions, config: LlamaConfig, corpus: PackedCorpus, steps: number): Promise<ThroughputProbe> {
  const results: ThroughputProbe['results'] = [];
  for (const workers of [1, 2]) {
    const pool = new WorkerPool(workers);
    await pool.init({ type: 'init', config, seed: options.seed, adamw: { weightDecay: options.weightDecay } });
    const stepSeconds: number[] = [];
    for (let step = 0; step < steps; step++) {
      const batch = corpus.randomBatch(options.batchSize, options.seqLength, options.seed, step);
      const start = performance.now();
      await pool.step(batch, 1e-3, options.maxGradNorm);
      stepSeconds.push((performance.now() - start) / 1000);
    }
    await pool.close();
    const sorted = stepSeconds.slice(1).sort((a, b) => a - b); // the first step warms up
    const median = sorted[Math.floor(sorted.length / 2)];
    results.push({ workers, secondsPerStep: median, tokensPerSecond: (options.batchSize * options.seqLength) / median, stepSeconds });
    console.log(`workers=${workers}: ${median.toFixed(2)} s/step, ${((options.batchSize * options.seqLength) / median).toFixed(0)} tokens/s`);
  }
  return {
    note: 'Median step time over the probed steps (first step excluded), same batch.',
    batchSize: options.batchSize,
    seqLength: options.seqLength,
    results,
  };
}

/**
 * Reruns the first `steps` steps from the same seed, with the logged run's options and learning
 * rates, and compares the losses with the log to 3 decimals. The result goes into the log (and
 * into the shipped training-log.json when there is one).
 */
async function checkReproducibility(logPath: string, train: PackedCorpus, steps: number, vocabSize: number): Promise<void> {
  const log = JSON.parse(readFileSync(logPath, 'utf8')) as TrainingLog;
  const logged = log.entries.filter((entry) => entry.step < steps);
  if (logged.length !== steps) throw new Error(`--reproduce ${steps}: the log has ${logged.length} of the first ${steps} steps (train with --log-every 1)`);
  const options = log.options;
  const pool = new WorkerPool(options.workers);
  await pool.init({ type: 'init', config: modelConfig(options, vocabSize), seed: options.seed, adamw: { weightDecay: options.weightDecay } });
  const rerun: number[] = [];
  for (const entry of logged) {
    const batch = train.randomBatch(options.batchSize, options.seqLength, options.seed, entry.step);
    rerun.push((await pool.step(batch, entry.learningRate, options.maxGradNorm)).loss);
  }
  await pool.close();
  const same = logged.filter((entry, i) => entry.trainLoss.toFixed(3) === rerun[i].toFixed(3)).length;
  const maxDifference = Math.max(...logged.map((entry, i) => Math.abs(entry.trainLoss - rerun[i])));
  log.reproducibility = {
    check: `steps 0..${steps - 1} rerun from seed ${options.seed} with the logged learning rates`,
    lossesEqualTo3Decimals: `${same} of ${steps}`,
    maxAbsoluteDifference: maxDifference,
    firstLosses: rerun.slice(0, 5).map((loss) => Number(loss.toFixed(4))),
  };
  console.log(JSON.stringify(log.reproducibility));
  writeFileSync(logPath, JSON.stringify(log, null, 1));
  const shippedLog = join(paths.out, 'training-log.json');
  if (existsSync(shippedLog)) {
    const shipped = JSON.parse(readFileSync(shippedLog, 'utf8')) as TrainingLog;
    shipped.reproducibility = log.reproducibility;
    writeFileSync(shippedLog, JSON.stringify(shipped, null, 1) + '\n');
  }
}

async function main() {
  if (process.argv.includes('--finetune')) {
    const { finetune, parseFinetuneArgs } = await import('./finetune');
    const argv = process.argv.slice(2);
    await finetune(parseFinetuneArgs(argv), `npm run train -- ${argv.join(' ')}`);
    return;
  }
  const { options, resume, exportOnly, probe, reproduce, logPath } = parseArgs(process.argv.slice(2));
  const tokenizer = loadTokenizer();
  const config = modelConfig(options, tokenizer.vocabSize);
  const throughputPath = join(paths.checkpoints, 'throughput.json');

  if (exportOnly) {
    const log = JSON.parse(readFileSync(logPath, 'utf8')) as TrainingLog;
    const weights = readSafetensors(readFileSync(join(paths.checkpoints, 'model.safetensors')));
    await exportModel(weights, modelConfig(log.options, tokenizer.vocabSize), log);
    return;
  }

  const started = performance.now();
  const train = new PackedCorpus(tokenizeSplit(tokenizer, options.corpus, 'train'));
  const validation = new PackedCorpus(tokenizeSplit(tokenizer, options.corpus, 'validation'));
  console.log(`tokenized ${train.tokenCount} train and ${validation.tokenCount} validation tokens in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  if (reproduce > 0) {
    await checkReproducibility(logPath, train, reproduce, tokenizer.vocabSize);
    return;
  }

  if (probe > 0) {
    const result = await probeThroughput(options, config, train, probe);
    mkdirSync(paths.checkpoints, { recursive: true });
    writeFileSync(throughputPath, JSON.stringify(result, null, 1));
    return;
  }

  const schedule: LearningRateSchedule = {
    peakLearningRate: options.peakLearningRate,
    warmupSteps: options.warmupSteps,
    totalSteps: options.steps,
    finalFraction: options.finalFraction,
  };
  const adamw: Partial<AdamWOptions> = { weightDecay: options.weightDecay };
  const validationBatches = validation.evaluationBatches(options.batchSize, options.seqLength, options.evalRows);
  const pool = new WorkerPool(options.workers);
  let log: TrainingLog;
  let firstStep = 0;
  if (resume) {
    log = JSON.parse(readFileSync(logPath, 'utf8')) as TrainingLog;
    const { stepsDone } = JSON.parse(readFileSync(join(paths.checkpoints, 'state.json'), 'utf8')) as { stepsDone: number };
    await pool.init({
      type: 'init', config, seed: options.seed, adamw,
      weights: readSafetensors(readFileSync(join(paths.checkpoints, 'model.safetensors'))),
      optimizerState: readSafetensors(readFileSync(join(paths.checkpoints, 'optimizer.safetensors'))),
      stepsDone,
    });
    firstStep = stepsDone;
    log.entries = log.entries.filter((entry) => entry.step < stepsDone);
    // The schedule is a function of (step, options.steps), so a resume may change the planned
    // length; the log keeps what was changed and when.
    log.resumes = [...(log.resumes ?? []), { atStep: stepsDone, steps: options.steps, workers: options.workers }];
    log.options = options;
    console.log(`resumed at step ${stepsDone}`);
  } else {
    await pool.init({ type: 'init', config, seed: options.seed, adamw });
    const exported = await pool.exportState();
    log = {
      options,
      config: configToJSON(config),
      parameterCount: [...exported.weights.values()].reduce((sum, w) => sum + w.data.length, 0),
      corpusTokens: { train: train.tokenCount, validation: validation.tokenCount },
      machine: machineInfo(),
      entries: [],
      wallSeconds: 0,
      finished: false,
    };
  }
  if (existsSync(throughputPath)) log.throughput = JSON.parse(readFileSync(throughputPath, 'utf8'));

  const runStart = performance.now();
  const previousSeconds = log.wallSeconds;
  const elapsed = () => previousSeconds + (performance.now() - runStart) / 1000;
  let step = firstStep;
  for (; step < options.steps; step++) {
    const learningRate = learningRateAt(step, schedule);
    const batch = train.randomBatch(options.batchSize, options.seqLength, options.seed, step);
    const { loss, gradNorm } = await pool.step(batch, learningRate, options.maxGradNorm);
    const done = step + 1;
    if (step % options.logEvery === 0 || done === options.steps) {
      const entry: LogEntry = {
        step,
        trainLoss: loss,
        learningRate,
        gradNorm,
        tokensSeen: done * options.batchSize * options.seqLength,
        elapsedSeconds: Math.round(elapsed()),
      };
      if (done % options.evalEvery === 0 || done === options.steps) entry.validationLoss = await pool.evaluate(validationBatches);
      log.entries.push(entry);
      log.wallSeconds = elapsed();
      console.log(JSON.stringify(entry));
      writeFileSync(logPath, JSON.stringify(log, null, 1));
    }
    if (done % options.checkpointEvery === 0) saveCheckpoint(await pool.exportState(), log, logPath);
    if (elapsed() > options.maxMinutes * 60) {
      console.log(`stopping at step ${done}: the --max-minutes budget is spent`);
      step++;
      break;
    }
  }
  const finalState = await pool.exportState();
  const last = log.entries[log.entries.length - 1];
  if (last.validationLoss === undefined) last.validationLoss = await pool.evaluate(validationBatches);
  log.wallSeconds = elapsed();
  log.finished = step >= options.steps;
  saveCheckpoint(finalState, log, logPath);
  await pool.close();
  await exportModel(finalState.weights, config, log);
  console.log(`done: ${step} steps in ${(log.wallSeconds / 60).toFixed(1)} min; files in ${paths.out}`);
}

if (process.argv[1]?.endsWith('train.ts')) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
