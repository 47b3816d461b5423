// The assistant chapter's arithmetic: a toy reward model (does a continuation keep to the story's
// hero, or bring in other names?), best-of-n selection against it, the expected reward of the
// chosen sample as n grows, and the KL divergence of the best-of-n choice from the base samples.
// Plain arrays, no model.

/** The hero: the name after "named" or "called" in the prompt, or null. */
export function heroOf(prompt: string): string | null {
  return /\b(?:named|called) ([A-Z][a-z]+)/.exec(prompt)?.[1] ?? null;
}

/**
 * Capitalised words that are not the first word of a sentence (nor "I"): in our stories these are
 * names ("with her friend Kurt", "said Kurt"). A name that opens a sentence is not seen, which is
 * part of what makes the reward a toy.
 */
export function midSentenceNames(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/[A-Za-z]+/g)) {
    const word = match[0];
    if (!/^[A-Z][a-z]+$/.test(word) || word === 'I') continue;
    const before = text.slice(0, match.index).replace(/["“”'\s]+$/, '');
    if (before === '' || /[.!?]$/.test(before)) continue; // opens a sentence (or the text)
    names.push(word);
  }
  return names;
}

/**
 * The toy reward of a continuation: +1 for each time it names the hero, −1 for each other name it
 * brings in mid-sentence. Counts every mention of the hero, at a sentence start too.
 */
export function heroReward(hero: string, continuation: string): number {
  const heroMentions = (continuation.match(new RegExp(`\\b${hero}\\b`, 'g')) ?? []).length;
  const others = midSentenceNames(continuation).filter((name) => name !== hero).length;
  return heroMentions - others;
}

/** The index of the best of the first n rewards (the first of equals): best-of-n sampling's choice. */
export function bestOfN(rewards: readonly number[], n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (rewards[i] > rewards[best]) best = i;
  return best;
}

/**
 * Best-of-n over a fixed set of N samples of the base model, each equally likely: n draws with
 * replacement (so n may exceed N), the highest reward kept, ties shared equally. Returns the
 * probability of choosing each sample.
 *
 * For distinct rewards, the sample ranked k-th from the bottom (k = 1..N) is chosen when every
 * draw is at most it and not every draw is below it: (k / N)^n − ((k − 1) / N)^n. A group of t
 * equal rewards with b samples below it shares ((b + t) / N)^n − (b / N)^n.
 */
export function bestOfNDistribution(rewards: readonly number[], n: number): number[] {
  const N = rewards.length;
  if (N === 0) throw new Error('best-of-n needs at least one sample.');
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a whole number of at least 1; received ${n}.`);
  return rewards.map((reward) => {
    const below = rewards.filter((r) => r < reward).length;
    const group = rewards.filter((r) => r === reward).length;
    return (((below + group) / N) ** n - (below / N) ** n) / group;
  });
}

/** Expected reward of the best-of-n choice over the N samples. */
export function expectedBestReward(rewards: readonly number[], n: number): number {
  return bestOfNDistribution(rewards, n).reduce((sum, p, i) => sum + p * rewards[i], 0);
}

/** KL(best-of-n ‖ base) in nats, where the base picks each of the N samples with probability 1/N (at most ln n − (n − 1)/n). */
export function bestOfNKl(rewards: readonly number[], n: number): number {
  const N = rewards.length;
  return bestOfNDistribution(rewards, n).reduce((sum, p) => (p > 0 ? sum + p * Math.log(p * N) : sum), 0);
}

/**
 * The formula often quoted for best-of-n: KL = ln n − (n − 1) / n (Stiennon et al., "Learning to
 * summarize from human feedback", 2020, table 10, use it as the KL of their best-of-N policies). Beirami et al., "Theoretical
 * guarantees on the best-of-n alignment policy" (2024), show it is an upper bound on the true KL,
 * reached when every outcome is distinct and none is likely (a continuous base).
 */
export function bestOfNKlLimit(n: number): number {
  return Math.log(n) - (n - 1) / n;
}

/**
 * The distribution of the chosen sample's reward under best-of-n: each distinct reward value of
 * the N samples (lowest first) and the probability that the best of n draws has it,
 * (count at most r / N)^n − (count below r / N)^n.
 */
export function bestOfNRewardDistribution(rewards: readonly number[], n: number): { reward: number; probability: number }[] {
  const p = bestOfNDistribution(rewards, n);
  const values = [...new Set(rewards)].sort((a, b) => a - b);
  return values.map((reward) => ({ reward, probability: rewards.reduce((sum, r, i) => (r === reward ? sum + p[i] : sum), 0) }));
}

/** The values of n whose reward distributions the best-of-n widget tabulates. */
export const DISTRIBUTION_NS = [1, 4, 16, 64] as const;

// ----------------------------------------------------------------------------- replies and DPO

/**
 * The log-probability of each counted token of prompt + reply: losses[t] = −ln p(ids[t + 1] | ids[..t])
 * (the runtime's `loss` op), and token i is a reply token when lossMask[i] = 1 (sftExample's mask:
 * the reply and </s>). Their sum is ln π(y | x).
 */
export function replyLogProbs(losses: readonly number[], lossMask: readonly number[]): number[] {
  if (lossMask.length !== losses.length + 1) throw new Error(`replyLogProbs: ${losses.length} losses need ${losses.length + 1} mask values, received ${lossMask.length}`);
  const logProbs: number[] = [];
  for (let i = 1; i < lossMask.length; i++) if (lossMask[i] === 1) logProbs.push(-losses[i - 1]);
  return logProbs;
}

/** ln σ(x), without overflow for large |x|. */
export function logSigmoid(x: number): number {
  return x < 0 ? x - Math.log1p(Math.exp(x)) : -Math.log1p(Math.exp(-x));
}

/** ln π(y | x) of one reply under the policy (the SFT model) and under the frozen reference (the base). */
export interface ReplyLogProbs {
  policy: number;
  reference: number;
}

/** DPO's implicit reward of a reply: β ln(π(y | x) / π_ref(y | x)) (Rafailov et al. 2023, section 4). */
export function dpoImplicitReward(beta: number, reply: ReplyLogProbs): number {
  return beta * (reply.policy - reply.reference);
}

/**
 * DPO's loss for one preference pair (Rafailov et al. 2023, equation 7):
 * −ln σ(β ln(π(y_w)/π_ref(y_w)) − β ln(π(y_l)/π_ref(y_l))). Also the margin of implicit rewards and
 * the weight σ(−margin) the pair gets in the gradient (section 4, "What does the DPO update do?"):
 * near 1 when the implicit reward ranks the pair wrongly, near 0 when it already ranks it right.
 */
export function dpoLoss(beta: number, chosen: ReplyLogProbs, rejected: ReplyLogProbs): { chosenReward: number; rejectedReward: number; margin: number; loss: number; gradientWeight: number } {
  if (!(beta > 0)) throw new Error(`β must be positive; received ${beta}.`);
  const chosenReward = dpoImplicitReward(beta, chosen);
  const rejectedReward = dpoImplicitReward(beta, rejected);
  const margin = chosenReward - rejectedReward;
  return { chosenReward, rejectedReward, margin, loss: -logSigmoid(margin), gradientWeight: Math.exp(logSigmoid(-margin)) };
}

/** The chat format of the SFT data (the chat set of scripts/corpus): the instruction between [INST] and [/INST]. */
export function chatPrompt(instruction: string): string {
  return `[INST] ${instruction.trim()} [/INST]`;
}

/** One cell of the model-family table: the value as the chapter prints it, and where it was read. */
export interface SourcedFact {
  value: string;
  source: string;
}

export const FAMILY_COLUMNS = ['LaMDA', 'ChatGLM-6B', 'Llama 2-Chat'] as const;
export type FamilyColumn = (typeof FAMILY_COLUMNS)[number];

const LAMDA = 'Thoppilan et al., "LaMDA: Language Models for Dialog Applications", 2022';
const CHATGLM_README = 'THUDM/ChatGLM-6B, README (2023)';
const CHATGLM_CONFIG = 'THUDM/chatglm-6b, config.json';
const LLAMA2 = 'Touvron et al., "Llama 2: Open Foundation and Fine-Tuned Chat Models", 2023';
const LLAMA2_CONFIG = 'meta-llama/Llama-2-{7b,13b,70b}-hf, config.json';

/**
 * The comparison table of the three model families the study notes name: each row a property,
 * each cell with its source. A cell the sources checked do not give is left out (the chapter
 * prints "not stated").
 */
export const MODEL_FAMILIES: { property: string; cells: Partial<Record<FamilyColumn, SourcedFact>> }[] = [
  {
    property: 'parameters',
    cells: {
      LaMDA: { value: 'up to 137B', source: `${LAMDA}, abstract` },
      'ChatGLM-6B': { value: '6.2B', source: CHATGLM_README },
      'Llama 2-Chat': { value: '7B, 13B, 70B', source: `${LLAMA2}, section 2` },
    },
  },
  {
    property: 'pretraining data',
    cells: {
      LaMDA: { value: '1.56T words of public dialog data and web text (2.81T BPE tokens)', source: `${LAMDA}, abstract and section 3` },
      'ChatGLM-6B': { value: 'about 1T tokens, Chinese and English', source: CHATGLM_README },
      'Llama 2-Chat': { value: '2T tokens of publicly available data', source: `${LLAMA2}, section 2.1` },
    },
  },
  {
    property: 'layers × hidden size, heads',
    cells: {
      LaMDA: { value: '64 × 8192, 128 heads of size 128 (137B non-embedding parameters)', source: `${LAMDA}, section 3` },
      'ChatGLM-6B': { value: '28 × 4096, 32 heads', source: CHATGLM_CONFIG },
      'Llama 2-Chat': { value: '32 × 4096, 40 × 5120, 80 × 8192; 32, 40, 64 heads (70B: 8 key/value heads)', source: LLAMA2_CONFIG },
    },
  },
  {
    property: 'context',
    cells: {
      'ChatGLM-6B': { value: '2048', source: `${CHATGLM_CONFIG} (max_sequence_length)` },
      'Llama 2-Chat': { value: '4096', source: `${LLAMA2_CONFIG} (max_position_embeddings)` },
    },
  },
  {
    property: 'vocabulary',
    cells: {
      LaMDA: { value: '32K (SentencePiece BPE)', source: `${LAMDA}, section 3` },
      'ChatGLM-6B': { value: '130,528', source: `${CHATGLM_CONFIG} (vocab_size)` },
      'Llama 2-Chat': { value: '32,000 (SentencePiece BPE)', source: `${LLAMA2_CONFIG} (vocab_size)` },
    },
  },
  {
    property: 'normalisation, activation, positions',
    cells: {
      LaMDA: { value: 'normalisation not stated; gated-GELU; relative position biases as in T5', source: `${LAMDA}, section 3` },
      'ChatGLM-6B': { value: 'LayerNorm (eps 1e-5), GELU, 2D rotary positions', source: `${CHATGLM_CONFIG} (layernorm_epsilon, position_encoding_2d)` },
      'Llama 2-Chat': { value: 'RMSNorm (eps 1e-5), SwiGLU, RoPE', source: `${LLAMA2_CONFIG} (rms_norm_eps, hidden_act silu)` },
    },
  },
  {
    property: 'alignment',
    cells: {
      LaMDA: {
        value: 'fine-tuning on crowdworker-annotated data; a LaMDA classifier filters candidate responses for safety; consults an IR system, a translator and a calculator for grounding',
        source: `${LAMDA}, abstract`,
      },
      'ChatGLM-6B': { value: 'supervised fine-tuning, feedback bootstrap, RLHF', source: CHATGLM_README },
      'Llama 2-Chat': {
        value: 'SFT on 27,540 annotations; RLHF with rejection sampling and PPO on reward models trained on 1,418,091 Meta comparisons (plus open data)',
        source: `${LLAMA2}, sections 3.1 and 3.2, table 6`,
      },
    },
  },
];
