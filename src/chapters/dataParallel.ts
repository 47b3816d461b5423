// The arithmetic of the data-parallel chapter: reading Hugging Face Trainer logs (the study notes'
// one-machine and two-machine runs) into speedup, efficiency and the caveats that go with them;
// our own run's throughput probe; and the per-device memory of data parallelism, ZeRO 1-3 / FSDP,
// tensor and pipeline parallelism for a Llama on K devices. Plain numbers, no model.
import { countParameters, MIXED_PRECISION_ADAMW_BYTES, type ParameterConfig } from './anatomy';
import type { Citation } from './flops';

// ----------------------------------------------------------------------------- Trainer logs

/** One line of a Trainer log: the dict it printed, and the prefix that names who printed it. */
export interface TrainerLogLine {
  /** "10.215.192.87" for `10.215.192.87: {...}` (a launcher's per-host prefix), null without one. */
  source: string | null;
  values: Record<string, number>;
}

/** What a pasted log holds, read. */
export interface TrainerRun {
  /** The prefixes that printed, in order of first appearance ([null] for an unprefixed log). */
  sources: (string | null)[];
  /** The per-step logs (those with 'loss') of the first source, in order. */
  steps: { loss: number; learningRate: number | null; epoch: number }[];
  /** The end-of-training summaries (with 'train_runtime'), one per source that printed one. */
  summaries: { source: string | null; runtime: number; samplesPerSecond: number; stepsPerSecond: number; trainLoss: number; epoch: number }[];
  /** Lines that were not a Trainer dict (skipped). */
  skipped: number;
  /** Whether every source printed the same loss at every logged step (null with one source). */
  sameLossOnEverySource: boolean | null;
}

const DICT = /^\{(.*)\}$/s;
const ENTRY = /^\s*'([^']+)'\s*:\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;

/** `{'loss': 3.16, 'epoch': 0.14}` (Python's repr of a dict of numbers) -> its values, or null. */
export function parsePythonDict(text: string): Record<string, number> | null {
  const body = DICT.exec(text.trim())?.[1];
  if (body === undefined) return null;
  const values: Record<string, number> = {};
  for (const part of body.split(',')) {
    if (part.trim() === '') continue;
    const entry = ENTRY.exec(part);
    if (!entry) return null;
    values[entry[1]] = Number(entry[2]);
  }
  return values;
}

/** One log line: an optional `source: ` prefix, then a dict. Null for anything else. */
export function parseTrainerLine(line: string): TrainerLogLine | null {
  const trimmed = line.trim();
  const brace = trimmed.indexOf('{');
  if (brace < 0) return null;
  const prefix = trimmed.slice(0, brace).trim();
  if (prefix !== '' && !prefix.endsWith(':')) return null;
  const values = parsePythonDict(trimmed.slice(brace));
  if (!values) return null;
  return { source: prefix === '' ? null : prefix.slice(0, -1).trim(), values };
}

/** The limit on a pasted log, in characters (the notes' logs are about 2,700 and 2,300). */
export const MAX_LOG_CHARACTERS = 20_000;

/**
 * Reads a pasted Trainer log. Throws a sentence a reader can act on when it holds no summary
 * (the last line, with train_runtime, train_samples_per_second, train_steps_per_second, epoch).
 */
export function readTrainerLog(text: string): TrainerRun {
  if (text.trim() === '') throw new Error('The log is empty: paste the lines the Trainer printed, ending with its summary.');
  if (text.length > MAX_LOG_CHARACTERS) throw new Error(`The log is ${text.length.toLocaleString('en-US')} characters; this reader takes at most ${MAX_LOG_CHARACTERS.toLocaleString('en-US')}.`);
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const parsed = lines.map(parseTrainerLine);
  const read = parsed.filter((line): line is TrainerLogLine => line !== null);
  const sources: (string | null)[] = [];
  for (const line of read) if (!sources.includes(line.source)) sources.push(line.source);
  const summaries = read
    .filter((line) => 'train_runtime' in line.values)
    .map(({ source, values }) => {
      for (const key of ['train_samples_per_second', 'train_steps_per_second', 'epoch']) {
        if (!(key in values)) throw new Error(`The summary line has train_runtime but no ${key}.`);
      }
      return {
        source,
        runtime: values.train_runtime,
        samplesPerSecond: values.train_samples_per_second,
        stepsPerSecond: values.train_steps_per_second,
        trainLoss: values.train_loss ?? NaN,
        epoch: values.epoch,
      };
    });
  if (summaries.length === 0) {
    throw new Error("No summary line: the log must end with the Trainer's {'train_runtime': …, 'train_samples_per_second': …, 'train_steps_per_second': …, 'epoch': …}.");
  }
  const stepsBySource = sources.map((source) => read.filter((line) => line.source === source && 'loss' in line.values));
  const steps = stepsBySource[0].map(({ values }) => ({ loss: values.loss, learningRate: values.learning_rate ?? null, epoch: values.epoch ?? NaN }));
  const sameLossOnEverySource =
    sources.length < 2 ? null : stepsBySource.every((list) => list.length === steps.length && list.every((line, i) => line.values.loss === steps[i].loss));
  return { sources, steps, summaries, skipped: parsed.length - read.length, sameLossOnEverySource };
}

/** What one run's summary implies (from its first summary line). */
export interface RunFigures {
  runtime: number;
  /** optimizer steps: steps/s × runtime, rounded (the Trainer divides max_steps by the runtime) */
  optimizerSteps: number;
  /** samples/s × runtime: the samples the Trainer counted (dataset size × num_train_epochs), not those processed */
  countedSamples: number;
  /** the epoch counter at the end: how far through the data the run actually got */
  epochsDone: number;
  /** epochs done per second of runtime */
  epochsPerSecond: number;
  /** seconds per optimizer step */
  secondsPerStep: number;
  /** the epoch counter's advance per logged step (it counts micro-batches of one rank) */
  epochPerStep: number;
  /** mean of the logged step losses (equals train_loss when every step was logged) */
  meanLoggedLoss: number;
  lastLoss: number;
}

export function runFigures(run: TrainerRun): RunFigures {
  const summary = run.summaries[0];
  const optimizerSteps = Math.round(summary.stepsPerSecond * summary.runtime);
  const losses = run.steps.map((step) => step.loss);
  return {
    runtime: summary.runtime,
    optimizerSteps,
    countedSamples: summary.samplesPerSecond * summary.runtime,
    epochsDone: summary.epoch,
    epochsPerSecond: summary.epoch / summary.runtime,
    secondsPerStep: summary.runtime / optimizerSteps,
    epochPerStep: run.steps.length > 0 ? summary.epoch / run.steps.length : NaN,
    meanLoggedLoss: losses.length > 0 ? losses.reduce((a, b) => a + b, 0) / losses.length : NaN,
    lastLoss: losses.at(-1) ?? NaN,
  };
}

/** Two runs compared: the naive speedup the summaries suggest, the one for the work done, and why they differ. */
export interface RunComparison {
  base: RunFigures;
  scaled: RunFigures;
  /** devices of the scaled run over devices of the base run */
  deviceRatio: number;
  /** base runtime / scaled runtime (equal to the samples/s ratio when both count the same samples) */
  runtimeSpeedup: number;
  /** scaled samples/s / base samples/s */
  samplesPerSecondSpeedup: number;
  /** scaled epochs/s / base epochs/s: the speedup on the data actually gone through */
  epochSpeedup: number;
  runtimeEfficiency: number;
  epochEfficiency: number;
  caveats: string[];
}

const fixed = (value: number, digits: number) => value.toFixed(digits);

export function compareRuns(base: TrainerRun, scaled: TrainerRun, baseDevices: number, scaledDevices: number): RunComparison {
  if (!(baseDevices >= 1) || !(scaledDevices >= 1)) throw new Error('Each run needs at least one device.');
  const a = runFigures(base);
  const b = runFigures(scaled);
  const deviceRatio = scaledDevices / baseDevices;
  const runtimeSpeedup = a.runtime / b.runtime;
  const samplesPerSecondSpeedup = scaled.summaries[0].samplesPerSecond / base.summaries[0].samplesPerSecond;
  const epochSpeedup = b.epochsPerSecond / a.epochsPerSecond;
  const caveats: string[] = [];
  if (Math.abs(a.epochsDone - b.epochsDone) > 1e-9) {
    caveats.push(
      `Different work: the runs stopped at epoch ${a.epochsDone} and ${b.epochsDone}, yet samples/s counts the same ${fixed(a.countedSamples, 0)} and ${fixed(b.countedSamples, 0)} samples (dataset × num_train_epochs). Per epoch actually done, the speedup is ${fixed(epochSpeedup, 2)}×, not ${fixed(samplesPerSecondSpeedup, 2)}×.`,
    );
  }
  if (a.optimizerSteps !== b.optimizerSteps) {
    caveats.push(
      `Different steps: ${a.optimizerSteps} optimizer steps against ${b.optimizerSteps}, so a step of the second run averages a bigger global batch (micro-batch × devices × accumulation). One of its steps takes ${fixed(b.secondsPerStep, 1)} s against ${fixed(a.secondsPerStep, 1)} s, and the learning-rate schedule is squeezed into fewer steps.`,
    );
  }
  const epochPerStepRatio = b.epochPerStep / a.epochPerStep;
  if (Number.isFinite(epochPerStepRatio) && Math.abs(epochPerStepRatio - 1) > 0.05) {
    caveats.push(`Different batch: each logged step moves the epoch counter ${fixed(b.epochPerStep, 3)} against ${fixed(a.epochPerStep, 3)}, ${fixed(epochPerStepRatio, 2)} times as far.`);
  }
  const baseLoss = base.summaries[0].trainLoss;
  const scaledLoss = scaled.summaries[0].trainLoss;
  if (Number.isFinite(baseLoss) && Number.isFinite(scaledLoss)) {
    caveats.push(
      `train_loss is the mean over all steps (${fixed(baseLoss, 3)} against ${fixed(scaledLoss, 3)}): with fewer steps the high early losses weigh more. It does not compare the models; the last logged losses (${a.lastLoss} and ${b.lastLoss}) are closer.`,
    );
  }
  if (scaled.sameLossOnEverySource) {
    caveats.push(
      `Every machine of the second run printed the same loss at every step: the Trainer gathers each rank's loss and logs their mean, so the ranks agree by construction. It does not show that they saw the same data, nor that they saw different data.`,
    );
  }
  return {
    base: a,
    scaled: b,
    deviceRatio,
    runtimeSpeedup,
    samplesPerSecondSpeedup,
    epochSpeedup,
    runtimeEfficiency: runtimeSpeedup / deviceRatio,
    epochEfficiency: epochSpeedup / deviceRatio,
    caveats,
  };
}

/** The study notes' two logs, exactly as written there (/work/shared/source-notes.md, 单机与多机训练). */
export const NOTES_SINGLE_MACHINE_LOG = `{'loss': 3.1616, 'learning_rate': 0.0, 'epoch': 0.14}
{'loss': 1.7659, 'learning_rate': 2e-05, 'epoch': 0.28}
{'loss': 1.7593, 'learning_rate': 2e-05, 'epoch': 0.41}
{'loss': 0.4539, 'learning_rate': 1.894736842105263e-05, 'epoch': 0.55}
{'loss': 0.1961, 'learning_rate': 1.7894736842105264e-05, 'epoch': 0.69}
{'loss': 0.2587, 'learning_rate': 1.6842105263157896e-05, 'epoch': 0.83}
{'loss': 0.2232, 'learning_rate': 1.578947368421053e-05, 'epoch': 0.97}
{'loss': 0.2054, 'learning_rate': 1.4736842105263159e-05, 'epoch': 1.1}
{'loss': 0.1768, 'learning_rate': 1.3684210526315791e-05, 'epoch': 1.24}
{'loss': 0.1568, 'learning_rate': 1.263157894736842e-05, 'epoch': 1.38}
{'loss': 0.153, 'learning_rate': 1.1578947368421053e-05, 'epoch': 1.52}
{'loss': 0.127, 'learning_rate': 1.0526315789473684e-05, 'epoch': 1.66}
{'loss': 0.1437, 'learning_rate': 9.473684210526315e-06, 'epoch': 1.79}
{'loss': 0.1303, 'learning_rate': 8.421052631578948e-06, 'epoch': 1.93}
{'loss': 0.1287, 'learning_rate': 7.368421052631579e-06, 'epoch': 2.07}
{'loss': 0.1269, 'learning_rate': 6.31578947368421e-06, 'epoch': 2.21}
{'loss': 0.1276, 'learning_rate': 5.263157894736842e-06, 'epoch': 2.34}
{'loss': 0.1292, 'learning_rate': 4.210526315789474e-06, 'epoch': 2.48}
{'loss': 0.1297, 'learning_rate': 3.157894736842105e-06, 'epoch': 2.62}
{'loss': 0.1339, 'learning_rate': 2.105263157894737e-06, 'epoch': 2.76}
{'loss': 0.1236, 'learning_rate': 1.0526315789473685e-06, 'epoch': 2.9}
{'train_runtime': 380.3213, 'train_samples_per_second': 7.178, 'train_steps_per_second': 0.055, 'train_loss': 0.4672037760416667, 'epoch': 2.9}`;

export const NOTES_TWO_MACHINE_LOG = `10.215.192.87: {'loss': 3.1548, 'learning_rate': 0.0, 'epoch': 0.27}
10.215.192.22: {'loss': 3.1548, 'learning_rate': 0.0, 'epoch': 0.27}
10.215.192.87: {'loss': 1.7439, 'learning_rate': 2e-05, 'epoch': 0.53}
10.215.192.22: {'loss': 1.7439, 'learning_rate': 2e-05, 'epoch': 0.53}
10.215.192.87: {'loss': 1.764, 'learning_rate': 2e-05, 'epoch': 0.8}
10.215.192.22: {'loss': 1.764, 'learning_rate': 2e-05, 'epoch': 0.8}
10.215.192.22: {'loss': 0.6068, 'learning_rate': 1.7142857142857142e-05, 'epoch': 1.07}
10.215.192.87: {'loss': 0.6068, 'learning_rate': 1.7142857142857142e-05, 'epoch': 1.07}
10.215.192.87: {'loss': 0.2546, 'learning_rate': 1.4285714285714287e-05, 'epoch': 1.33}
10.215.192.22: {'loss': 0.2546, 'learning_rate': 1.4285714285714287e-05, 'epoch': 1.33}
10.215.192.87: {'loss': 0.1945, 'learning_rate': 1.1428571428571429e-05, 'epoch': 1.6}
10.215.192.22: {'loss': 0.1945, 'learning_rate': 1.1428571428571429e-05, 'epoch': 1.6}
10.215.192.87: {'loss': 0.1656, 'learning_rate': 8.571428571428571e-06, 'epoch': 1.87}
10.215.192.22: {'loss': 0.1656, 'learning_rate': 8.571428571428571e-06, 'epoch': 1.87}
10.215.192.87: {'loss': 0.1517, 'learning_rate': 5.7142857142857145e-06, 'epoch': 2.13}
10.215.192.22: {'loss': 0.1517, 'learning_rate': 5.7142857142857145e-06, 'epoch': 2.13}
10.215.192.87: {'loss': 0.1598, 'learning_rate': 2.8571428571428573e-06, 'epoch': 2.4}
10.215.192.22: {'loss': 0.1598, 'learning_rate': 2.8571428571428573e-06, 'epoch': 2.4}
10.215.192.22: {'train_runtime': 176.8121, 'train_samples_per_second': 15.44, 'train_steps_per_second': 0.051, 'train_loss': 0.9106402926974826, 'epoch': 2.4}
10.215.192.87: {'train_runtime': 176.5058, 'train_samples_per_second': 15.467, 'train_steps_per_second': 0.051, 'train_loss': 0.9106402926974826, 'epoch': 2.4}`;

/** A Trainer setting: what HF transformers' Trainer does with it (no max_steps). */
export interface TrainerSetting {
  /** len(train_dataset) */
  examples: number;
  numTrainEpochs: number;
  perDeviceBatch: number;
  accumulation: number;
  /** processes (ranks) in the run; DistributedSampler gives each ceil(examples / ranks) */
  ranks: number;
}

/**
 * The schedule the Trainer derives from a setting (transformers' Trainer._inner_training_loop):
 *   len_dataloader = ceil(ceil(examples / ranks) / per_device_batch)      (micro-batches per rank and epoch)
 *   update steps per epoch = max(1, floor(len_dataloader / accumulation))
 *   max_steps = ceil(num_train_epochs × update steps per epoch)
 *   samples counted for samples/s = examples × num_train_epochs           (not what was processed)
 *   epoch logged after optimizer step n = n × accumulation / len_dataloader (micro-batches counted across epochs)
 * and the global batch per optimizer step, per_device_batch × ranks × accumulation.
 */
export function trainerSchedule(setting: TrainerSetting): { microBatchesPerEpoch: number; maxSteps: number; countedSamples: number; epochs: number[]; globalBatch: number } {
  const microBatchesPerEpoch = Math.ceil(Math.ceil(setting.examples / setting.ranks) / setting.perDeviceBatch);
  const updatesPerEpoch = Math.max(1, Math.floor(microBatchesPerEpoch / setting.accumulation));
  const maxSteps = Math.ceil(setting.numTrainEpochs * updatesPerEpoch);
  return {
    microBatchesPerEpoch,
    maxSteps,
    countedSamples: setting.examples * setting.numTrainEpochs,
    epochs: Array.from({ length: maxSteps }, (_, i) => ((i + 1) * setting.accumulation) / microBatchesPerEpoch),
    globalBatch: setting.perDeviceBatch * setting.ranks * setting.accumulation,
  };
}

/** One setting that reproduces every step count, epoch and sample count of the notes' two logs (a unit test checks it). */
export const NOTES_RECONSTRUCTED_SETTING = { examples: 910, numTrainEpochs: 3, perDeviceBatch: 32, accumulation: 4 } as const;

// ----------------------------------------------------------------------------- our run

/** The throughput probe in public/models/glass-llama/training-log.json (scripts/train.ts --probe-throughput). */
export interface ThroughputProbe {
  batchSize: number;
  seqLength: number;
  results: { workers: number; secondsPerStep: number; tokensPerSecond: number; stepSeconds: number[] }[];
}

/** Speedup and efficiency of each worker count over one worker, from the probe. */
export function probeScaling(probe: ThroughputProbe): { workers: number; tokensPerSecond: number; speedup: number; efficiency: number }[] {
  const one = probe.results.find((r) => r.workers === 1);
  if (!one) throw new Error('probeScaling: the probe has no 1-worker result');
  return probe.results.map((r) => {
    const speedup = r.tokensPerSecond / one.tokensPerSecond;
    return { workers: r.workers, tokensPerSecond: r.tokensPerSecond, speedup, efficiency: speedup / r.workers };
  });
}

/** The in-browser figure's training (components/DpRanks.ts): a global batch of 8 rows of 64 tokens, split evenly over 1, 2 or 4 ranks; a constant learning rate. */
export const DP_TRAINING = { batchSize: 8, seqLength: 64, seed: 1, learningRate: 1e-3, maxGradNorm: 1 } as const;

/** The median of a list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ----------------------------------------------------------------------------- memory per device

export const ZERO_PAPER: Citation = {
  title: 'ZeRO: Memory Optimizations Toward Training Trillion Parameter Models',
  authors: 'Rajbhandari, Rasley, Ruwase, He',
  year: 2020,
  where: 'Section 3.1 (16 bytes per parameter: K = 12 for mixed-precision Adam), Section 5.1 and Figure 1 (the three stages: 4Ψ + KΨ/N_d, 2Ψ + (2 + K)Ψ/N_d, (4 + K)Ψ/N_d), Section 7 (communication: 2Ψ for stages 1-2, 3Ψ for stage 3)',
};
export const MEGATRON_TP_PAPER: Citation = {
  title: 'Megatron-LM: Training Multi-Billion Parameter Language Models Using Model Parallelism',
  authors: 'Shoeybi, Patwary, Puri, LeGresley, Casper, Catanzaro',
  year: 2019,
  where: 'Section 3 (MLP split by columns then rows, attention by heads: two all-reduces in the forward and two in the backward of each layer)',
};
export const MEGATRON_PP_PAPER: Citation = {
  title: 'Efficient Large-Scale Language Model Training on GPU Clusters Using Megatron-LM',
  authors: 'Narayanan, Shoeybi, Casper, LeGresley, Patwary, Korthikanti, Vainbrand, Kashinkunti, Bernauer, Catanzaro, Phanishayee, Zaharia',
  year: 2021,
  where: 'Section 2.2 (pipeline parallelism, the 1F1B schedule, bubble fraction (p − 1)/m)',
};
export const ACTIVATIONS_PAPER: Citation = {
  title: 'Reducing Activation Recomputation in Large Transformer Models',
  authors: 'Korthikanti, Casper, Lym, McAfee, Andersch, Shoeybi, Catanzaro',
  year: 2022,
  where: 'Section 4 (activations per layer s·b·h·(34 + 5as/h) bytes; with tensor parallelism s·b·h·(10 + 24/t + 5as/(ht)); the first pipeline stage holds p micro-batches of L/p layers; full recomputation keeps 2·s·b·h per layer)',
};
export const FSDP_PAPER: Citation = {
  title: 'PyTorch FSDP: Experiences on Scaling Fully Sharded Data Parallel',
  authors: 'Zhao, Gu, Varma, Luo, Huang, Xu, Wright, Shojanazeri, Ott, Shleifer, Desmaison, Balioglu, Damania, Nguyen, Chauhan, Hao, Mathews, Li',
  year: 2023,
  where: 'Section 3 (full sharding: parameters, gradients and optimizer states sharded, as ZeRO stage 3)',
};

export const STRATEGIES = ['dp', 'zero1', 'zero2', 'zero3', 'tp', 'pp'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const STRATEGY_NAMES: Record<Strategy, string> = {
  dp: 'Data parallel (DDP)',
  zero1: 'ZeRO-1 (optimizer states sharded)',
  zero2: 'ZeRO-2 (+ gradients sharded)',
  zero3: 'ZeRO-3 / FSDP (+ weights sharded)',
  tp: 'Tensor parallel (Megatron)',
  pp: 'Pipeline parallel (1F1B)',
};

/** Short names, for the bars of a chart. */
export const STRATEGY_SHORT_NAMES: Record<Strategy, string> = {
  dp: 'DDP',
  zero1: 'ZeRO-1',
  zero2: 'ZeRO-2',
  zero3: 'ZeRO-3 / FSDP',
  tp: 'Tensor (TP)',
  pp: 'Pipeline (PP)',
};

/** What each strategy splits, what it sends, and who implements it (for the table under the calculator). */
export const STRATEGY_NOTES: Record<Strategy, { splits: string; sends: string; engines: string }> = {
  dp: { splits: 'the batch; every device keeps everything', sends: 'an all-reduce of the gradients each step (2Ψ values per device)', engines: 'PyTorch DDP, Horovod' },
  zero1: { splits: 'the batch and the optimizer states', sends: 'reduce-scatter of gradients, all-gather of updated weights (2Ψ)', engines: 'DeepSpeed ZeRO stage 1' },
  zero2: { splits: 'the batch, optimizer states and gradients', sends: 'as ZeRO-1 (2Ψ)', engines: 'DeepSpeed ZeRO stage 2, FSDP SHARD_GRAD_OP' },
  zero3: { splits: 'the batch, optimizer states, gradients and weights', sends: 'weights gathered layer by layer in forward and backward, gradients reduce-scattered (3Ψ)', engines: 'DeepSpeed ZeRO stage 3, PyTorch FSDP FULL_SHARD' },
  tp: { splits: 'each weight matrix (attention by heads, MLP by columns then rows)', sends: 'two all-reduces of activations per layer forward, two backward', engines: 'Megatron-LM, PyTorch DTensor' },
  pp: { splits: 'the layers into consecutive stages', sends: "activations forward and their gradients backward between neighbouring stages, per micro-batch", engines: 'Megatron-LM, DeepSpeed, PyTorch PiPPy' },
};

/** Bytes per parameter of mixed-precision AdamW (ZeRO section 3.1): 2 weights, 2 gradients, 12 optimizer (fp32 copy, m, v). */
export const BYTES = {
  weights: MIXED_PRECISION_ADAMW_BYTES.weights,
  gradients: MIXED_PRECISION_ADAMW_BYTES.gradients,
  optimizer: MIXED_PRECISION_ADAMW_BYTES.masterWeights + MIXED_PRECISION_ADAMW_BYTES.firstMoment + MIXED_PRECISION_ADAMW_BYTES.secondMoment,
} as const;

/** Model states per device for Ψ parameters on N_d data-parallel devices, by ZeRO stage (0 = plain DP). */
export function zeroModelStates(parameters: number, devices: number, stage: 0 | 1 | 2 | 3): { weights: number; gradients: number; optimizer: number } {
  return {
    weights: (BYTES.weights * parameters) / (stage >= 3 ? devices : 1),
    gradients: (BYTES.gradients * parameters) / (stage >= 2 ? devices : 1),
    optimizer: (BYTES.optimizer * parameters) / (stage >= 1 ? devices : 1),
  };
}

export interface MemoryInput {
  config: ParameterConfig;
  strategy: Strategy;
  /** K: data-parallel ranks for dp/zero*, the tensor-parallel degree t for tp, the stages p for pp */
  devices: number;
  /** b: sequences per micro-batch on one device */
  microBatch: number;
  /** s: tokens per sequence */
  sequence: number;
  /** full activation recomputation (checkpoint every layer's input) */
  recompute: boolean;
}

export interface MemoryBreakdown {
  /** parameters whose states this device keeps (the largest stage for pp) */
  parameters: number;
  weights: number;
  gradients: number;
  optimizer: number;
  activations: number;
  total: number;
}

/**
 * Activation bytes of one layer for one micro-batch, 16-bit, as Korthikanti et al. (2022) count
 * them for a GPT layer (section 4): s·b·h·(34 + 5as/h); with tensor parallelism of degree t,
 * s·b·h·(10 + 24/t + 5as/(ht)). The 5as/h term is the attention matrix (softmax and dropout).
 */
export function layerActivationBytes(config: ParameterConfig, sequence: number, microBatch: number, tensorParallel = 1): number {
  const sbh = sequence * microBatch * config.hidden_size;
  const attention = (5 * config.num_attention_heads * sequence) / config.hidden_size;
  return sbh * (10 + 24 / tensorParallel + attention / tensorParallel);
}

/** Per-device memory of training a Llama with mixed-precision AdamW under one strategy. */
export function memoryPerDevice({ config, strategy, devices, microBatch, sequence, recompute }: MemoryInput): MemoryBreakdown {
  if (!Number.isInteger(devices) || devices < 1) throw new Error(`devices must be a whole number ≥ 1, received ${devices}`);
  const counts = countParameters(config);
  const layers = config.num_hidden_layers;
  const checkpoint = 2 * sequence * microBatch * config.hidden_size; // one layer input, 16-bit
  let parameters = counts.total;
  let states: { weights: number; gradients: number; optimizer: number };
  let activations: number;
  if (strategy === 'tp') {
    // Every matrix is split t ways (the embedding and lm_head by vocabulary rows); the norms are copied.
    parameters = (counts.total - counts.norms) / devices + counts.norms;
    states = zeroModelStates(parameters, 1, 0);
    activations = recompute ? layers * checkpoint : layers * layerActivationBytes(config, sequence, microBatch, devices);
  } else if (strategy === 'pp') {
    if (devices > layers) throw new Error(`a pipeline of ${devices} stages needs at least ${devices} layers; this model has ${layers}`);
    // Stages of ceil(L/p) layers; the first also holds the embedding, the last the final norm and lm_head.
    const perStage = Math.ceil(layers / devices);
    const first = perStage * counts.perLayer + counts.embedding;
    const last = perStage * counts.perLayer + config.hidden_size + counts.output;
    parameters = devices === 1 ? counts.total : Math.max(first, last);
    states = zeroModelStates(parameters, 1, 0);
    // 1F1B: the first stage keeps p micro-batches in flight, each through its ceil(L/p) layers.
    const inFlight = devices;
    activations = inFlight * perStage * (recompute ? checkpoint : layerActivationBytes(config, sequence, microBatch));
  } else {
    const stage = ({ dp: 0, zero1: 1, zero2: 2, zero3: 3 } as const)[strategy];
    states = zeroModelStates(counts.total, devices, stage);
    activations = layers * (recompute ? checkpoint : layerActivationBytes(config, sequence, microBatch));
  }
  return { parameters, ...states, activations, total: states.weights + states.gradients + states.optimizer + activations };
}

/** 80 GB: the memory of the A100 and H100 80GB parts the presets' figures are compared with. */
export const DEVICE_MEMORY_BYTES = 80e9;
