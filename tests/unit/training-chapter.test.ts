// The numbers of the training chapter (content/12-training.mdx) against values worked out by hand
// (the comments show the arithmetic), and the engine's AdamW and schedule against the same values.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  adamWScalarStep,
  formatRate,
  LR_RACE,
  lrRaceSchedule,
  maskedLosses,
  NOTES_LOGS,
  perplexity,
  raceVerdict,
  samplesPerStep,
  sftExample,
  tokensPerStep,
  type LrRaceFile,
} from '../../src/chapters/training';
import { TRAINING_RUNS, trainingFlops } from '../../src/chapters/flops';
import { Tokenizer } from '../../src/llama/tokenizer';
import { AdamW, learningRateAt, PackedCorpus } from '../../src/llama/train';
import { useBackend } from './helpers/backends';

const tokenizer = Tokenizer.fromJSON(JSON.parse(readFileSync('public/models/glass-llama/tokenizer.json', 'utf8')));
const shippedLog = JSON.parse(readFileSync('public/models/glass-llama/training-log.json', 'utf8')) as {
  options: { batchSize: number; seqLength: number; peakLearningRate: number; warmupSteps: number; steps: number; finalFraction: number };
  entries: { step: number; learningRate: number; trainLoss: number; validationLoss?: number }[];
};

beforeAll(() => useBackend('cpu'));
afterAll(() => undefined);

describe('loss and perplexity', () => {
  test('perplexity is e^loss: 0 nats is 1, ln 1735 (a uniform guess over our vocabulary) is 1735', () => {
    expect(perplexity(0)).toBe(1);
    expect(perplexity(Math.log(1735))).toBeCloseTo(1735, 9);
    // the shipped model's final validation loss, 0.251 nats: e^0.251 = 1.2853
    expect(perplexity(0.251)).toBeCloseTo(1.28531, 5);
  });

  test('the shipped pretraining learned from 8 x 256 = 2048 tokens per step, 4,096,000 in 2000 steps', () => {
    expect(tokensPerStep(shippedLog.options.batchSize, shippedLog.options.seqLength)).toBe(2048);
    expect(tokensPerStep(8, 256) * shippedLog.options.steps).toBe(4_096_000);
  });

  test('the pretraining log starts near ln(vocabulary) and ends at perplexity 1.3', () => {
    const first = shippedLog.entries[0].trainLoss;
    // a fresh model with small weights is close to a uniform guess: ln 1735 = 7.4588
    expect(Math.log(1735)).toBeCloseTo(7.4588, 4);
    expect(first).toBeCloseTo(7.4866, 4);
    const lastValidation = shippedLog.entries.filter((e) => e.validationLoss !== undefined).at(-1)!.validationLoss!;
    expect(perplexity(lastValidation)).toBeGreaterThan(1.28);
    expect(perplexity(lastValidation)).toBeLessThan(1.29);
  });
});

describe('one AdamW update, by hand', () => {
  // w = 1, lr = 0.1, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, lambda = 0.1; gradients 0.5 then -0.25.
  const settings = { learningRate: 0.1, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 };

  test('step 1: m = 0.05, v = 0.0125, m_hat = 0.5, v_hat = 0.25, direction = 1 (the sign of g), w = 1 - 0.1 (1 + 0.1) = 0.89', () => {
    const one = adamWScalarStep({ weight: 1, gradient: 0.5, m: 0, v: 0, t: 1, ...settings });
    expect(one.m).toBeCloseTo(0.05, 12);
    expect(one.v).toBeCloseTo(0.0125, 12);
    expect(one.mHat).toBeCloseTo(0.5, 12);
    expect(one.vHat).toBeCloseTo(0.25, 12);
    expect(one.adamDirection).toBeCloseTo(1, 7);
    expect(one.weight).toBeCloseTo(0.89, 7);
  });

  test('step 2: m = 0.02, v = 0.015, m_hat = 0.02 / 0.19, v_hat = 0.015 / 0.0975, w = 0.854263', () => {
    const one = adamWScalarStep({ weight: 1, gradient: 0.5, m: 0, v: 0, t: 1, ...settings });
    const two = adamWScalarStep({ weight: one.weight, gradient: -0.25, m: one.m, v: one.v, t: 2, ...settings });
    expect(two.m).toBeCloseTo(0.02, 12); // 0.9 * 0.05 + 0.1 * -0.25
    expect(two.v).toBeCloseTo(0.015, 12); // 0.95 * 0.0125 + 0.05 * 0.0625
    expect(two.mHat).toBeCloseTo(0.105263158, 8);
    expect(two.vHat).toBeCloseTo(0.153846154, 8);
    expect(two.adamDirection).toBeCloseTo(0.268369441, 8); // 0.10526 / sqrt(0.15385)
    expect(two.weight).toBeCloseTo(0.854263058, 8); // 0.89 - 0.1 (0.26837 + 0.1 * 0.89)
  });

  test("the engine's AdamW takes the same two steps on a weight matrix (decayed)", () => {
    const weight = tf.variable(tf.tensor2d([[1]]));
    const optimizer = new AdamW(new Map([['w.weight', weight]]), { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 });
    for (const g of [0.5, -0.25]) {
      const grad = tf.tensor2d([[g]]);
      optimizer.apply({ 'w.weight': grad }, 0.1);
      grad.dispose();
      if (g === 0.5) expect(weight.dataSync()[0]).toBeCloseTo(0.89, 6);
    }
    expect(weight.dataSync()[0]).toBeCloseTo(0.854263058, 6);
    optimizer.dispose();
    weight.dispose();
  });
});

describe('warmup and cosine decay', () => {
  const schedule = { peakLearningRate: 3e-3, warmupSteps: 60, totalSteps: 2000, finalFraction: 0.1 };

  test('hand values: step 0 is peak/60 = 5e-5; step 59 reaches the peak; halfway through the decay (step 1030) is 3e-4 + 2.7e-3 / 2 = 1.65e-3', () => {
    expect(learningRateAt(0, schedule)).toBeCloseTo(5e-5, 12);
    expect(learningRateAt(29, schedule)).toBeCloseTo(1.5e-3, 12);
    expect(learningRateAt(59, schedule)).toBeCloseTo(3e-3, 12);
    expect(learningRateAt(60, schedule)).toBeCloseTo(3e-3, 12);
    expect(learningRateAt(1030, schedule)).toBeCloseTo(1.65e-3, 12);
    // the last step is a hair above the floor of 0.1 x peak
    expect(learningRateAt(1999, schedule)).toBeCloseTo(3.0000177e-4, 10);
  });

  test('the shipped pretraining log used exactly this schedule', () => {
    const { peakLearningRate, warmupSteps, steps, finalFraction } = shippedLog.options;
    expect({ peakLearningRate, warmupSteps, totalSteps: steps, finalFraction }).toEqual(schedule);
    for (const step of [0, 59, 60, 1030, 1999]) {
      expect(shippedLog.entries.find((e) => e.step === step)!.learningRate).toBeCloseTo(learningRateAt(step, schedule), 15);
    }
  });
});

describe('the SFT loss mask', () => {
  const prompt = '[INST] What sound does a cow make? [/INST]';
  const response = ' A cow says "Moo!"';

  test('0 on <s> and the prompt, 1 on the response and </s>; the prompt decodes back exactly', () => {
    const example = sftExample(tokenizer, prompt, response);
    const promptLength = tokenizer.encode(prompt).length;
    expect(example.lossMask!.slice(0, promptLength).every((m) => m === 0)).toBe(true);
    expect(example.lossMask!.slice(promptLength).every((m) => m === 1)).toBe(true);
    expect(example.ids[0]).toBe(tokenizer.bosId);
    expect(example.ids.at(-1)).toBe(tokenizer.eosId);
    expect(tokenizer.decode(example.ids.slice(0, promptLength))).toBe(prompt);
    expect(tokenizer.decode(example.ids.slice(promptLength, -1))).toBe(response.trimStart());
  });

  test('PackedCorpus shifts the mask onto the positions that predict those tokens', () => {
    const example = sftExample(tokenizer, prompt, response);
    const corpus = new PackedCorpus([example, example]);
    const row = corpus.row(0, example.ids.length - 1);
    const promptLength = tokenizer.encode(prompt).length;
    // target t is ids[t + 1]: the first counted target is predicted at position promptLength - 1 ("[/INST]"'s last token)
    expect(row.lossMask.indexOf(1)).toBe(promptLength - 1);
    expect(row.lossMask.reduce((a, b) => a + b, 0)).toBe(example.lossMask!.reduce((a, b) => a + b, 0));
  });

  test('maskedLosses averages the counted targets only: losses [1, 2, 3, 4] with mask [0, 0, 0, 1, 1] give 3.5 against 2.5 for all', () => {
    expect(maskedLosses([1, 2, 3, 4], [0, 0, 0, 1, 1])).toEqual({ masked: 3.5, unmasked: 2.5, counted: 2, total: 4 });
    expect(() => maskedLosses([1, 2], [0, 1])).toThrow('2 losses need 3 mask values, received 2');
  });
});

describe('the learning-rate race', () => {
  test('its menu holds the defaults, written as the page writes them', () => {
    for (const rate of LR_RACE.defaultRates) expect(LR_RACE.learningRates).toContain(rate);
    expect(LR_RACE.learningRates.map(formatRate)).toEqual(['1e-5', '1e-4', '1e-3', '3e-3', '3e-2', '3e-1']);
    expect(learningRateAt(0, lrRaceSchedule(3e-3))).toBeCloseTo(1.5e-3, 12);
    expect(learningRateAt(LR_RACE.steps - 1, lrRaceSchedule(3e-3))).toBeGreaterThan(3e-4);
  });

  test('raceVerdict: falling by more than 5% learns, less is too slow, a rise past 120% on the way is unstable, ending higher or NaN diverged', () => {
    expect(raceVerdict([5, 4, 3])).toBe('learns');
    expect(raceVerdict([5, 4.9, 4.8])).toBe('too slow');
    expect(raceVerdict([5, 6.1, 3])).toBe('unstable');
    expect(raceVerdict([5, 5.9, 3])).toBe('learns');
    expect(raceVerdict([5, 3, 6])).toBe('diverged');
    expect(raceVerdict([5, NaN])).toBe('diverged');
  });

  test('the shipped race: 1e-5 too slow, 1e-4 to 3e-3 learn (3e-3 lowest held-out loss), 3e-2 and 3e-1 unstable', () => {
    const race = JSON.parse(readFileSync('public/models/glass-llama/runs/lr-race.json', 'utf8')) as LrRaceFile;
    expect(race.runs.map((run) => run.learningRate)).toEqual([...LR_RACE.learningRates]);
    expect(race.runs.map((run) => raceVerdict(run.losses))).toEqual(['too slow', 'learns', 'learns', 'learns', 'unstable', 'unstable']);
    const best = race.runs.reduce((a, b) => (b.heldOutAfter < a.heldOutAfter ? b : a));
    expect(best.learningRate).toBe(3e-3);
    expect(Math.max(...race.runs.at(-1)!.losses)).toBeGreaterThan(2 * race.runs.at(-1)!.losses[0]);
    // the numbers the chapter quotes
    const chapter = readFileSync('content/12-training.mdx', 'utf8').replace(/\s+/g, ' ');
    const held = (rate: number) => race.runs.find((run) => run.learningRate === rate)!.heldOutAfter.toFixed(2);
    expect(chapter).toContain(`the held-out notes start at ${race.heldOutBefore.toFixed(2)} nats`);
    expect(chapter).toContain(`barely moved them (${held(1e-5)})`);
    expect(chapter).toContain(`$10^{-4}$ reaches ${held(1e-4)}, $10^{-3}$ ${held(1e-3)} and $3 \\cdot 10^{-3}$ the lowest, ${held(3e-3)}`);
    expect(chapter).toContain(`$3 \\cdot 10^{-2}$ ends at ${held(3e-2)}`);
    const wild = race.runs.at(-1)!;
    expect(chapter).toContain(`from ${wild.losses[0].toFixed(1)} up to ${Math.max(...wild.losses).toFixed(1)} in its first steps`);
    expect(chapter).toContain(`but only to ${held(0.3)}`);
  });
});

describe("the study notes' two logs", () => {
  test('the same 2,730 samples: 21 optimizer steps on one machine, 9 on two, so a step of the two-machine run held about 2.3x the samples', () => {
    const { oneMachine, twoMachines } = NOTES_LOGS;
    expect(oneMachine.trainRuntimeSeconds * oneMachine.trainSamplesPerSecond).toBeCloseTo(2730, -1);
    expect(twoMachines.trainRuntimeSeconds * twoMachines.trainSamplesPerSecond).toBeCloseTo(2730, -1);
    expect(Math.round(oneMachine.trainRuntimeSeconds * oneMachine.trainStepsPerSecond)).toBe(21);
    expect(Math.round(twoMachines.trainRuntimeSeconds * twoMachines.trainStepsPerSecond)).toBe(9);
    expect(samplesPerStep(oneMachine.trainSamplesPerSecond, oneMachine.trainStepsPerSecond)).toBeCloseTo(130.5, 1);
    expect(samplesPerStep(twoMachines.trainSamplesPerSecond, twoMachines.trainStepsPerSecond)).toBeCloseTo(302.7, 1);
  });

  test('both start near 3.16 at learning rate 0 (warmup) and fall below 0.2; the one-machine run, with more steps, ends lower', () => {
    const { oneMachine, twoMachines } = NOTES_LOGS;
    expect(oneMachine.entries[0]).toEqual({ epoch: 0.14, loss: 3.1616, learningRate: 0 });
    expect(twoMachines.entries[0].learningRate).toBe(0);
    expect(Math.max(...oneMachine.entries.map((e) => e.learningRate))).toBe(2e-5);
    expect(oneMachine.entries.at(-1)!.loss).toBe(0.1236);
    expect(twoMachines.entries.at(-1)!.loss).toBe(0.1598);
    // the learning rate falls on a straight line to 0 after its peak (the Trainer's "linear" schedule)
    const decay = oneMachine.entries.slice(3).map((e) => e.learningRate);
    const steps = decay.slice(1).map((rate, i) => decay[i] - rate);
    for (const step of steps) expect(step).toBeCloseTo(2e-5 / 19, 12);
  });
});

describe('how much data, how much time', () => {
  const log = JSON.parse(readFileSync('public/models/glass-llama/training-log.json', 'utf8')) as {
    parameterCount: number;
    wallSeconds: number;
    entries: { step: number; gradNorm: number; validationLoss?: number }[];
  };

  test('6NT for our pretraining is 2.91e13 FLOPs in 2800 s: about 1.0e10 FLOP/s', () => {
    const flops = trainingFlops(log.parameterCount, 4_096_000);
    expect(flops).toBeCloseTo(6 * 1_182_592 * 4_096_000, 0);
    expect(flops / 1e13).toBeCloseTo(2.91, 2);
    expect(Math.round(log.wallSeconds)).toBe(2800);
    expect(Math.round(log.wallSeconds / 60 * 10) / 10).toBe(46.7);
    expect(flops / log.wallSeconds / 1e10).toBeCloseTo(1.04, 2);
  });

  test('20 tokens per parameter would be 24M tokens for our model; we trained 3.5 per parameter; Llama 2 7B about 300', () => {
    expect((20 * log.parameterCount) / 1e6).toBeCloseTo(23.65, 2);
    expect(4_096_000 / log.parameterCount).toBeCloseTo(3.46, 2);
    const llama = TRAINING_RUNS.find((run) => run.id === 'llama2-7b')!;
    expect(llama.tokens / llama.parameters).toBeGreaterThan(290);
    expect(llama.tokens / llama.parameters).toBeLessThan(310);
  });

  test('the validation loss was still falling at the end (0.2523 -> 0.2505, printed 0.251); the gradient norm starts above 3 and ends below 1', () => {
    const validation = log.entries.filter((e) => e.validationLoss !== undefined).map((e) => e.validationLoss!);
    expect(validation.at(-1)!).toBeLessThan(validation.at(-2)!);
    expect(validation.at(-1)!.toFixed(3)).toBe('0.251');
    expect(log.entries[0].gradNorm).toBeGreaterThan(3);
    expect(log.entries.at(-1)!.gradNorm).toBeLessThan(1);
  });
});

test('Llama 2 7B pretraining on one A100 (312 TFLOP/s BF16) at 40% MFU would take about 20 years', () => {
  const llama = TRAINING_RUNS.find((run) => run.id === 'llama2-7b')!;
  const seconds = trainingFlops(llama.parameters, llama.tokens) / (312e12 * 0.4);
  expect(seconds / (365.25 * 24 * 3600)).toBeGreaterThan(19.5);
  expect(seconds / (365.25 * 24 * 3600)).toBeLessThan(21);
});
