import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { PARAMETER_PRESETS } from '../../src/chapters/anatomy';
import {
  compareRuns,
  layerActivationBytes,
  median,
  memoryPerDevice,
  NOTES_SINGLE_MACHINE_LOG,
  NOTES_TWO_MACHINE_LOG,
  parsePythonDict,
  parseTrainerLine,
  probeScaling,
  readTrainerLog,
  runFigures,
  trainerSchedule,
  NOTES_RECONSTRUCTED_SETTING,
  zeroModelStates,
  type ThroughputProbe,
} from '../../src/chapters/dataParallel';

const NOTES = readFileSync(new URL('../../../shared/source-notes.md', import.meta.url), 'utf8');
const TRAINING_LOG = JSON.parse(readFileSync(new URL('../../public/models/glass-llama/training-log.json', import.meta.url), 'utf8'));

describe('the notes\' logs', () => {
  test('are copied exactly from the study notes', () => {
    const blocks = [...NOTES.matchAll(/```python\s*\n\s*# (?:单机|多机)\n([\s\S]*?)```/g)].map((m) => m[1].split('\n').map((l) => l.trim()).filter(Boolean).join('\n'));
    expect(blocks).toEqual([NOTES_SINGLE_MACHINE_LOG, NOTES_TWO_MACHINE_LOG]);
  });
});

describe('reading a Trainer log', () => {
  test('parsePythonDict reads the repr of a dict of numbers, and nothing else', () => {
    expect(parsePythonDict("{'loss': 3.1616, 'learning_rate': 2e-05, 'epoch': 0.14}")).toEqual({ loss: 3.1616, learning_rate: 2e-5, epoch: 0.14 });
    expect(parsePythonDict("{'loss': nan}")).toBeNull();
    expect(parsePythonDict("{'loss' 3}")).toBeNull();
    expect(parsePythonDict('not a dict')).toBeNull();
  });
  test('parseTrainerLine keeps the launcher\'s host prefix', () => {
    expect(parseTrainerLine("10.215.192.87: {'loss': 1.764, 'epoch': 0.8}")).toEqual({ source: '10.215.192.87', values: { loss: 1.764, epoch: 0.8 } });
    expect(parseTrainerLine("  {'loss': 1.764}")).toEqual({ source: null, values: { loss: 1.764 } });
    expect(parseTrainerLine('100%|██████| 21/21 [06:20<00:00]')).toBeNull();
  });
  test('the one-machine log: 21 steps, 1 source, train_loss is the mean of the step losses', () => {
    const run = readTrainerLog(NOTES_SINGLE_MACHINE_LOG);
    expect(run.sources).toEqual([null]);
    expect(run.steps).toHaveLength(21);
    expect(run.sameLossOnEverySource).toBeNull();
    const figures = runFigures(run);
    expect(figures.optimizerSteps).toBe(21); // 0.055 × 380.3213 = 20.92
    expect(figures.countedSamples).toBeCloseTo(2729.946, 3); // 7.178 × 380.3213
    expect(figures.epochsDone).toBe(2.9);
    expect(figures.secondsPerStep).toBeCloseTo(18.1105, 4);
    expect(figures.epochPerStep).toBeCloseTo(0.138095, 6);
    expect(figures.meanLoggedLoss).toBeCloseTo(0.4672037760416667, 5); // = train_loss up to the 4-decimal rounding of each step
    expect(figures.lastLoss).toBe(0.1236);
  });
  test('the two-machine log: 2 sources that print the same loss, 9 steps', () => {
    const run = readTrainerLog(NOTES_TWO_MACHINE_LOG);
    expect(run.sources).toEqual(['10.215.192.87', '10.215.192.22']);
    expect(run.steps).toHaveLength(9);
    expect(run.summaries.map((s) => s.runtime)).toEqual([176.8121, 176.5058]);
    expect(run.sameLossOnEverySource).toBe(true);
    const figures = runFigures(run);
    expect(figures.optimizerSteps).toBe(9); // 0.051 × 176.8121 = 9.02
    expect(figures.countedSamples).toBeCloseTo(2729.979, 3); // the same 910 × 3 as the one-machine run
    expect(figures.meanLoggedLoss).toBeCloseTo(0.9106402926974826, 4);
  });
  test('a log where the ranks disagree is told apart', () => {
    const log = NOTES_TWO_MACHINE_LOG.replace("10.215.192.22: {'loss': 1.764,", "10.215.192.22: {'loss': 1.7641,");
    expect(readTrainerLog(log).sameLossOnEverySource).toBe(false);
  });
  test('bad input: empty, no summary, too long', () => {
    expect(() => readTrainerLog('  \n')).toThrow('The log is empty');
    expect(() => readTrainerLog("{'loss': 1.0, 'epoch': 1}")).toThrow('No summary line');
    expect(() => readTrainerLog('x'.repeat(20_001))).toThrow('The log is 20,001 characters; this reader takes at most 20,000.');
    expect(() => readTrainerLog("{'train_runtime': 10, 'epoch': 1}")).toThrow('has train_runtime but no train_samples_per_second');
  });
});

describe('comparing the notes\' runs', () => {
  const comparison = compareRuns(readTrainerLog(NOTES_SINGLE_MACHINE_LOG), readTrainerLog(NOTES_TWO_MACHINE_LOG), 1, 2);
  test('the summaries suggest 2.15× on 2 machines: 108% efficiency, "better than linear"', () => {
    expect(comparison.runtimeSpeedup).toBeCloseTo(380.3213 / 176.8121, 10);
    expect(comparison.runtimeSpeedup).toBeCloseTo(2.151, 3);
    expect(comparison.samplesPerSecondSpeedup).toBeCloseTo(2.151, 3);
    expect(comparison.runtimeEfficiency).toBeCloseTo(1.0755, 4);
  });
  test('per epoch actually done it is 1.78×, 89% efficiency', () => {
    expect(comparison.epochSpeedup).toBeCloseTo(1.78013, 5);
    expect(comparison.epochEfficiency).toBeCloseTo(0.89007, 5);
  });
  test('the caveats name the different work, steps, batch, the train_loss and the same loss on both machines', () => {
    expect(comparison.caveats).toHaveLength(5);
    expect(comparison.caveats[0]).toContain('stopped at epoch 2.9 and 2.4');
    expect(comparison.caveats[0]).toContain('1.78×, not 2.15×');
    expect(comparison.caveats[1]).toContain('21 optimizer steps against 9');
    expect(comparison.caveats[1]).toContain('19.6 s against 18.1 s');
    expect(comparison.caveats[2]).toContain('0.267 against 0.138, 1.93 times as far');
    expect(comparison.caveats[3]).toContain('0.467 against 0.911');
    expect(comparison.caveats[4]).toContain('gathers each rank\'s loss and logs their mean');
  });
  test('the same run compared with itself has no caveats but the train_loss note', () => {
    const run = readTrainerLog(NOTES_SINGLE_MACHINE_LOG);
    const self = compareRuns(run, run, 1, 1);
    expect(self.runtimeSpeedup).toBe(1);
    expect(self.caveats).toHaveLength(1);
  });
});

describe('a setting that reproduces the notes\' logs', () => {
  // Python's round(x, 2) on the epoch, as the Trainer logs it
  const round2 = (x: number) => Math.round(x * 100) / 100;
  test('910 examples, 3 epochs, 32 per device, 4 accumulation steps: on 1 rank 21 steps, on 2 ranks 9, every logged epoch', () => {
    for (const [log, ranks] of [[NOTES_SINGLE_MACHINE_LOG, 1], [NOTES_TWO_MACHINE_LOG, 2]] as const) {
      const run = readTrainerLog(log);
      const schedule = trainerSchedule({ ...NOTES_RECONSTRUCTED_SETTING, ranks });
      expect(schedule.maxSteps).toBe(runFigures(run).optimizerSteps);
      expect(schedule.epochs.map(round2)).toEqual(run.steps.map((s) => s.epoch));
      expect(Math.abs(schedule.countedSamples - runFigures(run).countedSamples)).toBeLessThan(0.1);
    }
    expect(trainerSchedule({ ...NOTES_RECONSTRUCTED_SETTING, ranks: 1 })).toMatchObject({ microBatchesPerEpoch: 29, globalBatch: 128 });
    expect(trainerSchedule({ ...NOTES_RECONSTRUCTED_SETTING, ranks: 2 })).toMatchObject({ microBatchesPerEpoch: 15, globalBatch: 256 });
  });
  test('16 per device with 8 accumulation steps gives the same 21 steps but not the logged epochs', () => {
    const schedule = trainerSchedule({ ...NOTES_RECONSTRUCTED_SETTING, perDeviceBatch: 16, accumulation: 8, ranks: 1 });
    expect(schedule.maxSteps).toBe(21);
    expect(round2(schedule.epochs.at(-1)!)).toBe(2.95); // the log says 2.9
  });
});

describe('our run (training-log.json)', () => {
  test('2 workers: 1.37× the tokens per second of 1, 68% efficiency', () => {
    const probe = TRAINING_LOG.throughput as ThroughputProbe;
    expect(TRAINING_LOG.options.workers).toBe(2);
    expect([probe.batchSize, probe.seqLength]).toEqual([8, 256]);
    const [one, two] = probeScaling(probe);
    expect(one).toMatchObject({ workers: 1, speedup: 1 });
    expect(one.tokensPerSecond).toBeCloseTo(964.6, 1);
    expect(two.tokensPerSecond).toBeCloseTo(1318.5, 1);
    expect(two.speedup).toBeCloseTo(1.367, 3);
    expect(two.efficiency).toBeCloseTo(0.683, 3);
    // tokens per second = 8 rows × 256 tokens / the median step time of the probe
    for (const result of probe.results) {
      expect(result.secondsPerStep).toBe(median(result.stepSeconds));
      expect(result.tokensPerSecond).toBeCloseTo((probe.batchSize * probe.seqLength) / result.secondsPerStep, 6);
    }
  });
  test('every logged step saw 8 × 256 = 2048 tokens, 4,096,000 in 2000 steps', () => {
    const entries = TRAINING_LOG.entries as { step: number; tokensSeen: number }[];
    expect(entries).toHaveLength(2000);
    expect(entries.at(-1)!.tokensSeen).toBe(4_096_000);
    expect(entries.every((e, i) => e.tokensSeen === 2048 * (i + 1))).toBe(true);
  });
  test('a rank sends 1,182,592 float32 gradients, 4,730,368 bytes, each step', () => {
    expect(TRAINING_LOG.parameterCount).toBe(1_182_592);
    expect(TRAINING_LOG.parameterCount * 4).toBe(4_730_368);
  });
  test('median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('memory per device (hand-computed)', () => {
  const llama7b = PARAMETER_PRESETS.find((p) => p.id === 'llama-2-7b')!.config;
  const base = { config: llama7b, microBatch: 1, sequence: 4096, recompute: false };

  test('ZeRO, Figure 1: Ψ = 7.5B on 64 devices: 120, 31.4, 16.6 and 1.9 GB of model states', () => {
    const total = (stage: 0 | 1 | 2 | 3) => Object.values(zeroModelStates(7.5e9, 64, stage)).reduce((a, b) => a + b, 0);
    expect(total(0)).toBe(120e9);
    expect(total(1)).toBe(31.40625e9); // 4Ψ + 12Ψ/64
    expect(total(2)).toBe(16.640625e9); // 2Ψ + 14Ψ/64
    expect(total(3)).toBe(1.875e9); // 16Ψ/64
  });

  test('Llama 2 7B, plain DP: 16 bytes × 6,738,415,616 parameters on every device, whatever K', () => {
    const m = memoryPerDevice({ ...base, strategy: 'dp', devices: 8 });
    expect(m.weights + m.gradients + m.optimizer).toBe(107_814_649_856);
    expect(m.weights).toBe(2 * 6_738_415_616);
  });

  test('activations, Korthikanti et al.: s·b·h·(34 + 5as/h) per layer, 32 layers', () => {
    // 4096 · 1 · 4096 · (34 + 5 · 32 · 4096 / 4096) = 16,777,216 · 194
    expect(layerActivationBytes(llama7b, 4096, 1)).toBe(3_254_779_904);
    expect(memoryPerDevice({ ...base, strategy: 'zero3', devices: 8 }).activations).toBe(104_152_956_928);
    expect(memoryPerDevice({ ...base, strategy: 'dp', devices: 8, recompute: true }).activations).toBe(1_073_741_824); // 2·s·b·h·L
  });

  test('ZeRO-3 on 8 devices: 16Ψ/8 of model states', () => {
    const m = memoryPerDevice({ ...base, strategy: 'zero3', devices: 8 });
    expect(m.weights + m.gradients + m.optimizer).toBe(107_814_649_856 / 8);
  });

  test('tensor parallel t = 8: matrices split 8 ways, norms copied; activations s·b·h·(10 + 24/t + 5as/(ht))', () => {
    const m = memoryPerDevice({ ...base, strategy: 'tp', devices: 8 });
    // norms: 2 · 4096 · 32 + 4096 = 266,240; (6,738,415,616 − 266,240) / 8 + 266,240
    expect(m.parameters).toBe(842_534_912);
    expect(m.weights + m.gradients + m.optimizer).toBe(13_480_558_592);
    expect(m.activations).toBe(32 * 16_777_216 * (10 + 3 + 20));
  });

  test('pipeline p = 4: the last stage (8 layers + norm + lm_head) is the largest; 4 micro-batches in flight', () => {
    const m = memoryPerDevice({ ...base, strategy: 'pp', devices: 4 });
    // a layer: 4·4096² + 3·4096·11008 + 2·4096 = 202,383,360; lm_head 32000·4096 = 131,072,000
    expect(m.parameters).toBe(8 * 202_383_360 + 4096 + 131_072_000);
    expect(m.total - m.activations).toBe(28_002_287_616);
    expect(m.activations).toBe(4 * 8 * 3_254_779_904);
    expect(memoryPerDevice({ ...base, strategy: 'pp', devices: 1 }).parameters).toBe(6_738_415_616);
  });

  test('refuses a device count that is not a whole number', () => {
    expect(() => memoryPerDevice({ ...base, strategy: 'dp', devices: 0 })).toThrow('devices must be a whole number ≥ 1, received 0');
    expect(() => memoryPerDevice({ ...base, strategy: 'pp', devices: 33 })).toThrow('a pipeline of 33 stages needs at least 33 layers; this model has 32');
  });
});
