/**
 * The maths of the training chapter (content/12-training.mdx): perplexity, one AdamW update
 * written out in float64 for the worked example, tokens per step, the SFT loss mask and the loss
 * with and without it, the learning-rate race's settings, the shipped fine-tunes' files, and the
 * study notes' two real training logs. Page-safe: no worker, no DOM, no tfjs.
 */
import type { Tokenizer } from '../llama/tokenizer';
import type { TokenizedExample } from '../llama/train';

export type { TokenizedExample };

// ----------------------------------------------------------------------------- loss and perplexity

/** Perplexity = e^loss (src/llama/math.ts): the model is as unsure as a fair choice among this many tokens. */
export { perplexity } from '../llama/math';

/** Tokens one optimizer step learns from: rows times positions per row (every position is a target). */
export function tokensPerStep(batchSize: number, seqLength: number): number {
  return batchSize * seqLength;
}

// ----------------------------------------------------------------------------- one AdamW update

export interface AdamWScalarInput {
  /** the weight before the step */
  weight: number;
  /** its gradient (after clipping) */
  gradient: number;
  /** the moments before the step (0 before the first) */
  m: number;
  v: number;
  /** the step number, from 1 */
  t: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export interface AdamWScalarStep {
  m: number;
  v: number;
  mHat: number;
  vHat: number;
  /** m_hat / (sqrt(v_hat) + eps): the Adam direction, about +-1 on the first step */
  adamDirection: number;
  weight: number;
}

/**
 * One AdamW update of one weight, in the order of the formula (Loshchilov & Hutter 2019,
 * Algorithm 2), the same maths as AdamW.apply in src/llama/train.ts:
 *   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,  m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)
 *   w = w - lr (m_hat / (sqrt(v_hat) + eps) + lambda w)
 */
export function adamWScalarStep(input: AdamWScalarInput): AdamWScalarStep {
  const { weight, gradient, t, learningRate, beta1, beta2, epsilon, weightDecay } = input;
  const m = beta1 * input.m + (1 - beta1) * gradient;
  const v = beta2 * input.v + (1 - beta2) * gradient * gradient;
  const mHat = m / (1 - beta1 ** t);
  const vHat = v / (1 - beta2 ** t);
  const adamDirection = mHat / (Math.sqrt(vHat) + epsilon);
  return { m, v, mHat, vHat, adamDirection, weight: weight - learningRate * (adamDirection + weightDecay * weight) };
}

// ----------------------------------------------------------------------------- the SFT loss mask

/**
 * An SFT example: <s> prompt response </s> as ids, with the loss mask 0 on <s> and the prompt's
 * tokens and 1 on the response and </s>. lossMask[i] says whether token i is a target the loss
 * counts (PackedCorpus shifts it to the position that predicts it). Throws if the prompt's tokens
 * are not a prefix of the whole text's (the tokenizer would then merge across the boundary).
 */
export function sftExample(tokenizer: Tokenizer, prompt: string, response: string): TokenizedExample {
  const promptIds = tokenizer.encode(prompt);
  const ids = [...tokenizer.encode(prompt + response), tokenizer.eosId];
  if (promptIds.some((id, i) => ids[i] !== id)) throw new Error(`sftExample: the prompt's tokens are not a prefix of prompt + response: ${prompt}`);
  return { ids, lossMask: ids.map((_, i) => (i < promptIds.length ? 0 : 1)) };
}

/**
 * The mean of per-position losses with and without the mask. losses[t] = -ln p(ids[t + 1] | ids[..t])
 * (the runtime's `loss` op), so the loss of target token i is losses[i - 1] and counts when
 * lossMask[i] = 1.
 */
export function maskedLosses(losses: readonly number[], lossMask: readonly number[]): { masked: number; unmasked: number; counted: number; total: number } {
  if (lossMask.length !== losses.length + 1) throw new Error(`maskedLosses: ${losses.length} losses need ${losses.length + 1} mask values, received ${lossMask.length}`);
  let maskedSum = 0;
  let counted = 0;
  let sum = 0;
  losses.forEach((loss, t) => {
    sum += loss;
    if (lossMask[t + 1] === 1) {
      maskedSum += loss;
      counted++;
    }
  });
  return { masked: counted > 0 ? maskedSum / counted : NaN, unmasked: sum / losses.length, counted, total: losses.length };
}

// ----------------------------------------------------------------------------- the learning-rate race

/**
 * The race: three copies of the shipped model fine-tuned (every weight) on the same batches of
 * notes, one learning rate each. scripts/lr-race.ts runs every rate of the menu in Node with these
 * settings and ships the curves (public/models/glass-llama/runs/lr-race.json); the page repeats the three the reader picks.
 */
export const LR_RACE = {
  learningRates: [1e-5, 1e-4, 1e-3, 3e-3, 3e-2, 3e-1] as readonly number[],
  defaultRates: [1e-4, 3e-3, 3e-1] as readonly number[],
  steps: 20,
  batchSize: 4,
  seqLength: 64,
  seed: 3,
  warmupSteps: 2,
  finalFraction: 0.1,
  maxGradNorm: 1,
  /** notes in the page's training sample, and held out for the loss after */
  trainNotes: 48,
  heldOutNotes: 8,
  samplePrompt: 'Weather for Monday in',
  sampleTokens: 24,
} as const;

/** Under the model's folder, next to the other shipped runs. */
export const LR_RACE_URL_PATH = 'models/glass-llama/runs/lr-race.json';

/** What scripts/lr-race.ts writes. */
export interface LrRaceFile {
  source: string;
  /** the notes the copies train on (train split) and are scored on (validation split) */
  trainTexts: string[];
  heldOutTexts: string[];
  settings: typeof LR_RACE;
  /** the shipped model on the held-out notes, before any step */
  heldOutBefore: number;
  sampleBefore: string;
  runs: { learningRate: number; losses: number[]; heldOutAfter: number; sample: string }[];
}

/** The schedule of one copy: warmup to its rate, cosine decay over the race. */
export function lrRaceSchedule(learningRate: number): { peakLearningRate: number; warmupSteps: number; totalSteps: number; finalFraction: number } {
  return { peakLearningRate: learningRate, warmupSteps: LR_RACE.warmupSteps, totalSteps: LR_RACE.steps, finalFraction: LR_RACE.finalFraction };
}

/** <s> text </s>, every token counted: what the race trains and is scored on. */
export function noteExamples(tokenizer: Tokenizer, texts: readonly string[]): TokenizedExample[] {
  return texts.map((text) => ({ ids: [...tokenizer.encode(text), tokenizer.eosId] }));
}

/**
 * The held-out loss's row length: every held-out note starts a row (the evaluate op's
 * evaluationBatches), so a row may run only as far as the last note's start allows, and at most
 * the race's seqLength.
 */
export function heldOutSeqLength(examples: readonly TokenizedExample[]): number {
  const total = examples.reduce((sum, example) => sum + example.ids.length, 0);
  const lastStart = total - examples[examples.length - 1].ids.length;
  return Math.min(LR_RACE.seqLength, total - lastStart - 1);
}

/** The rate as the race's menu writes it: 3e-3, 1e-1. */
export function formatRate(rate: number): string {
  const [mantissa, exponent] = rate.toExponential().split('e');
  return `${Number(mantissa)}e${exponent.replace('+', '')}`;
}

/**
 * How a run went, in the chapter's words: 'diverged' if its loss ends above where it started or
 * is not finite; 'unstable' if it ends lower but on the way rose more than 20% above its start;
 * 'too slow' if it ends within 5% of its start; else 'learns'.
 */
export function raceVerdict(losses: readonly number[]): 'learns' | 'too slow' | 'unstable' | 'diverged' {
  const first = losses[0];
  const last = losses[losses.length - 1];
  if (!Number.isFinite(last) || last > first) return 'diverged';
  if (losses.some((loss) => loss > 1.2 * first)) return 'unstable';
  if (last > 0.95 * first) return 'too slow';
  return 'learns';
}

// ----------------------------------------------------------------------------- the shipped fine-tunes

export const ADAPTERS_PATH = 'models/glass-llama/adapters';
export const RUNS_PATH = 'models/glass-llama/runs';

/** The fine-tunes shipped with the model: what each trained on and where its files are. */
export const SHIPPED_FINETUNES = [
  { name: 'notes-lora', kind: 'lora', data: 'notes', label: 'notes adapter (post-pretraining)' },
  { name: 'chat-sft-lora', kind: 'lora', data: 'chat', label: 'SFT adapter (chat)' },
  { name: 'chat-sft-full', kind: 'full', data: 'chat', label: 'full fine-tune (chat)' },
] as const;

// ----------------------------------------------------------------------------- the study notes' logs

/**
 * The two fine-tuning logs of the study notes (/work/shared/source-notes.md, "单机与多机训练"):
 * the same fine-tune on one machine and on two, as the Hugging Face Trainer prints it. Only
 * these lines are in the notes (the one-machine run lists its last line and summary).
 */
export const NOTES_LOGS = {
  twoMachines: {
    entries: [
      { epoch: 0.27, loss: 3.1548, learningRate: 0 },
      { epoch: 0.53, loss: 1.7439, learningRate: 2e-5 },
      { epoch: 0.8, loss: 1.764, learningRate: 2e-5 },
      { epoch: 1.07, loss: 0.6068, learningRate: 1.7142857142857142e-5 },
      { epoch: 1.33, loss: 0.2546, learningRate: 1.4285714285714287e-5 },
      { epoch: 1.6, loss: 0.1945, learningRate: 1.1428571428571429e-5 },
      { epoch: 1.87, loss: 0.1656, learningRate: 8.571428571428571e-6 },
      { epoch: 2.13, loss: 0.1517, learningRate: 5.7142857142857145e-6 },
      { epoch: 2.4, loss: 0.1598, learningRate: 2.8571428571428573e-6 },
    ],
    trainRuntimeSeconds: 176.8121,
    trainStepsPerSecond: 0.051,
    trainSamplesPerSecond: 15.44,
  },
  oneMachine: {
    entries: [
      { epoch: 0.14, loss: 3.1616, learningRate: 0 },
      { epoch: 0.28, loss: 1.7659, learningRate: 2e-5 },
      { epoch: 0.41, loss: 1.7593, learningRate: 2e-5 },
      { epoch: 0.55, loss: 0.4539, learningRate: 1.894736842105263e-5 },
      { epoch: 0.69, loss: 0.1961, learningRate: 1.7894736842105264e-5 },
      { epoch: 0.83, loss: 0.2587, learningRate: 1.6842105263157896e-5 },
      { epoch: 0.97, loss: 0.2232, learningRate: 1.578947368421053e-5 },
      { epoch: 1.1, loss: 0.2054, learningRate: 1.4736842105263159e-5 },
      { epoch: 1.24, loss: 0.1768, learningRate: 1.3684210526315791e-5 },
      { epoch: 1.38, loss: 0.1568, learningRate: 1.263157894736842e-5 },
      { epoch: 1.52, loss: 0.153, learningRate: 1.1578947368421053e-5 },
      { epoch: 1.66, loss: 0.127, learningRate: 1.0526315789473684e-5 },
      { epoch: 1.79, loss: 0.1437, learningRate: 9.473684210526315e-6 },
      { epoch: 1.93, loss: 0.1303, learningRate: 8.421052631578948e-6 },
      { epoch: 2.07, loss: 0.1287, learningRate: 7.368421052631579e-6 },
      { epoch: 2.21, loss: 0.1269, learningRate: 6.31578947368421e-6 },
      { epoch: 2.34, loss: 0.1276, learningRate: 5.263157894736842e-6 },
      { epoch: 2.48, loss: 0.1292, learningRate: 4.210526315789474e-6 },
      { epoch: 2.62, loss: 0.1297, learningRate: 3.157894736842105e-6 },
      { epoch: 2.76, loss: 0.1339, learningRate: 2.105263157894737e-6 },
      { epoch: 2.9, loss: 0.1236, learningRate: 1.0526315789473685e-6 },
    ],
    trainRuntimeSeconds: 380.3213,
    trainStepsPerSecond: 0.055,
    trainSamplesPerSecond: 7.178,
  },
} as const;

/**
 * Samples per optimizer step implied by a Trainer summary: samples per second / steps per second.
 * (The Trainer rounds both to three decimals, so this is close to, not exactly, the batch.)
 */
export function samplesPerStep(samplesPerSecond: number, stepsPerSecond: number): number {
  return samplesPerSecond / stepsPerSecond;
}
