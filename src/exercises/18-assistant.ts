// Exercises of the assistant chapter; every answer is checked by tests/unit/assistant-chapter.test.ts.
import type { Exercise } from './types';

export default [
  {
    id: 'kl-formula-n4',
    kind: 'numeric',
    prompt: 'The often-quoted KL divergence of best-of-n from its base model is ln n − (n − 1)/n. What is it for n = 4, in nats?',
    answer: 0.636,
    tolerance: 0.005,
    explanation: 'ln 4 − 3/4 = 1.386 − 0.75 = 0.636 nats. Beirami et al. (2024) show this is an upper bound on the true KL.',
    source: 'tests/unit/assistant-chapter.test.ts',
    run: { widget: 'assist-best-of-n', state: { n: 4 } },
  },
  {
    id: 'reward-saturates',
    kind: 'choice',
    prompt: 'With 12 samples, n goes from 16 to 64. What happens to the expected reward of the best of n?',
    choices: ['It keeps rising in proportion to ln n', 'It barely moves: it is already close to the best sample\'s reward', 'It falls, because the KL penalty grows'],
    answer: 1,
    explanation:
      'Drawing from 12 samples, the best one is among 16 draws with probability 1 − (11/12)^16 ≈ 0.75 and among 64 with 1 − (11/12)^64 ≈ 0.996: the expected reward can only creep up to the best sample\'s. Best-of-n has no penalty; the KL only describes how far it moved.',
    source: 'tests/unit/assistant-chapter.test.ts',
    run: { widget: 'assist-best-of-n', state: { n: 64 } },
  },
  {
    id: 'no-move',
    kind: 'widget',
    prompt: 'Set n so that best-of-n is exactly the base model: a KL divergence of 0 from the samples.',
    widget: 'assist-best-of-n',
    start: { n: 8 },
    goal: { n: 1 },
    explanation: 'With n = 1 the single draw is kept whatever its reward: each sample is chosen with probability 1/N, the base distribution, so the KL is 0.',
    source: 'tests/unit/assistant-chapter.test.ts',
  },
  {
    id: 'sft-end-of-text',
    kind: 'choice',
    prompt: 'The SFT loss counted the reply and the end-of-text token </s> after it. Which token of the SFT model\'s reply to "What sound does a cow make?" does the base model find least likely, compared with the SFT model?',
    choices: ['The first word of the reply', 'The end-of-text token </s>', 'The quotation marks around "Moo!"'],
    answer: 1,
    explanation:
      'A model trained on stories never ends a text right after "[/INST] A cow …": to it an instruction starts a story. The SFT data end every reply with </s>, so the adapter learnt where an answer stops; its log-probability of </s> is many nats above the base model\'s.',
    source: 'tests/unit/assistant-chapter.test.ts',
    run: { widget: 'assist-base-vs-sft', state: { prompt: 'What sound does a cow make?' } },
  },
  {
    id: 'dpo-loss-by-hand',
    kind: 'numeric',
    prompt:
      'β = 0.1. The chosen reply has ln π = −10 under the policy and ln π_ref = −12 under the reference; the rejected one −15 and −14. What is the DPO loss $-\\ln \\sigma(\\text{margin})$, in nats?',
    answer: 0.554,
    tolerance: 0.002,
    unit: 'nats',
    explanation: 'Implicit rewards 0.1 · (−10 + 12) = 0.2 and 0.1 · (−15 + 14) = −0.1; margin 0.3; −ln σ(0.3) = ln(1 + e^−0.3) = 0.554 nats, a little under ln 2 = 0.693, the loss of a margin of 0.',
    source: 'tests/unit/assistant-chapter.test.ts',
    run: { widget: 'assist-dpo', state: { beta: 0.1 } },
  },
  {
    id: 'dpo-same-reply',
    kind: 'widget',
    prompt: 'Make the DPO loss exactly ln 2 = 0.693 nats, whatever β is.',
    widget: 'assist-dpo',
    start: { rejected: 'A cow says "Woof!"' },
    goal: { rejected: 'A cow says "Moo!"' },
    explanation: 'With the same reply as chosen and rejected, both log-ratios are equal, the margin is 0 and the loss is −ln σ(0) = ln 2: the pair tells DPO nothing.',
    source: 'tests/unit/assistant-chapter.test.ts',
  },
] satisfies Exercise[];
