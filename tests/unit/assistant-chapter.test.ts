// The assistant chapter's arithmetic: the toy reward, best-of-n's choice, its distribution, the
// expected reward of the chosen sample and its KL from the base, against values worked out by hand.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import exercises from '../../src/exercises/18-assistant';
import {
  bestOfN,
  bestOfNDistribution,
  bestOfNKl,
  bestOfNKlLimit,
  bestOfNRewardDistribution,
  chatPrompt,
  dpoImplicitReward,
  dpoLoss,
  expectedBestReward,
  heroOf,
  heroReward,
  logSigmoid,
  midSentenceNames,
  replyLogProbs,
} from '../../src/chapters/assistant';

describe('the toy reward', () => {
  test('heroOf reads the name after "named" or "called"', () => {
    expect(heroOf('Once upon a time, there was a girl named Lily. One day,')).toBe('Lily');
    expect(heroOf('There once was a dog called Max.')).toBe('Max');
    expect(heroOf('Once upon a time')).toBeNull();
  });

  test('mid-sentence capitalised words are names; sentence openers and "I" are not', () => {
    expect(midSentenceNames('Lily went to the park with her friend Kurt. "I like it," said Kurt. The sun was out.')).toEqual(['Kurt', 'Kurt']);
    expect(midSentenceNames('"Hello!" Tom said.')).toEqual([]);
  });

  test('+1 per mention of the hero, −1 per other name', () => {
    expect(heroReward('Lily', ' Lily went to the park. Lily saw a dog.')).toBe(2);
    expect(heroReward('Lily', ' Lily met her friend Ben. "Hi," said Ben.')).toBe(1 - 2);
    expect(heroReward('Lily', ' she went home.')).toBe(0);
  });
});

describe('best-of-n on fixed samples', () => {
  const rewards = [0, 2, 1];

  test('bestOfN: the first of the best among the first n', () => {
    expect(bestOfN([1, 3, 3, 0], 1)).toBe(0);
    expect(bestOfN([1, 3, 3, 0], 4)).toBe(1);
  });

  test('n = 1 is the base: each sample 1/3, expected reward 1, KL 0', () => {
    for (const p of bestOfNDistribution(rewards, 1)) expect(p).toBeCloseTo(1 / 3, 12);
    expect(expectedBestReward(rewards, 1)).toBeCloseTo(1, 12);
    expect(bestOfNKl(rewards, 1)).toBeCloseTo(0, 12);
  });

  test('n = 2: the best of two draws is 2 with 5/9, 1 with 3/9, 0 with 1/9; E = 13/9; KL = (1/9) ln(1/3) + (5/9) ln(5/3) = 0.161724', () => {
    const p = bestOfNDistribution(rewards, 2);
    expect(p[1]).toBeCloseTo(5 / 9, 12);
    expect(p[2]).toBeCloseTo(3 / 9, 12);
    expect(p[0]).toBeCloseTo(1 / 9, 12);
    expect(expectedBestReward(rewards, 2)).toBeCloseTo(13 / 9, 12);
    expect(bestOfNKl(rewards, 2)).toBeCloseTo(0.161724, 6);
    expect(bestOfNKl(rewards, 2)).toBeLessThan(bestOfNKlLimit(2)); // ln 2 − 1/2 = 0.193147
    expect(bestOfNKlLimit(2)).toBeCloseTo(0.193147, 6);
  });

  test('ties share: rewards [1, 1, 0] with n = 2 give each 1 (1 − 1/9)/2 = 4/9', () => {
    const p = bestOfNDistribution([1, 1, 0], 2);
    expect(p[0]).toBeCloseTo(4 / 9, 12);
    expect(p[1]).toBeCloseTo(4 / 9, 12);
    expect(p[2]).toBeCloseTo(1 / 9, 12);
  });

  test('as n grows the choice tends to the best sample: KL tends to ln N, under the formula once n is large', () => {
    expect(expectedBestReward(rewards, 200)).toBeCloseTo(2, 6);
    expect(bestOfNKl(rewards, 200)).toBeCloseTo(Math.log(3), 6);
    // many distinct samples: the exact KL approaches the formula from below
    const many = Array.from({ length: 4000 }, (_, i) => i);
    expect(bestOfNKl(many, 8)).toBeLessThan(bestOfNKlLimit(8));
    expect(bestOfNKl(many, 8)).toBeGreaterThan(bestOfNKlLimit(8) - 0.01);
    expect(() => bestOfNDistribution(rewards, 0)).toThrow('n must be a whole number of at least 1; received 0.');
  });
});

describe('the reward of the chosen sample as n grows', () => {
  test('rewards [0, 2, 1, 2]: n = 1 gives 1/4, 1/4, 1/2; n = 2 gives the best (2) with 1 − (2/4)^2 = 3/4', () => {
    const rewards = [0, 2, 1, 2];
    expect(bestOfNRewardDistribution(rewards, 1).map((d) => d.reward)).toEqual([0, 1, 2]);
    const one = bestOfNRewardDistribution(rewards, 1).map((d) => d.probability);
    [0.25, 0.25, 0.5].forEach((p, i) => expect(one[i]).toBeCloseTo(p, 12));
    // best of 2: reward 0 needs both draws to be sample 0 (1/16); at most 1 is (2/4)^2 = 1/4, so 1 has 3/16
    const two = bestOfNRewardDistribution(rewards, 2).map((d) => d.probability);
    [1 / 16, 3 / 16, 3 / 4].forEach((p, i) => expect(two[i]).toBeCloseTo(p, 12));
    // the probabilities sum to 1 and their mean is expectedBestReward
    const sixteen = bestOfNRewardDistribution(rewards, 16);
    expect(sixteen.reduce((sum, d) => sum + d.probability, 0)).toBeCloseTo(1, 12);
    expect(sixteen.reduce((sum, d) => sum + d.probability * d.reward, 0)).toBeCloseTo(expectedBestReward(rewards, 16), 12);
    expect(sixteen[2].probability).toBeCloseTo(1 - 0.5 ** 16, 12);
  });
});

describe('the measured KL against the formula', () => {
  test('with ties (small whole-number rewards, as the toy reward gives), the exact KL stays under ln n − (n − 1)/n and under ln N for every n up to 64', () => {
    for (const rewards of [[0, 0, 1, -1, 2, 0, 1, 0, 0, 3, -1, 1], [1, 1, 1, 1], [0, 5], [2, -1, 0, 2]]) {
      for (let n = 1; n <= 64; n++) {
        const kl = bestOfNKl(rewards, n);
        expect(kl).toBeLessThanOrEqual(bestOfNKlLimit(n) + 1e-12);
        expect(kl).toBeLessThanOrEqual(Math.log(rewards.length) + 1e-12);
      }
    }
    // all rewards equal: best-of-n picks uniformly, KL 0 for every n
    expect(bestOfNKl([1, 1, 1, 1], 64)).toBeCloseTo(0, 12);
    // two samples, n = 2: the better one with 3/4, KL = (3/4) ln(3/2) + (1/4) ln(1/2) = 0.130812
    expect(bestOfNKl([0, 5], 2)).toBeCloseTo(0.75 * Math.log(1.5) + 0.25 * Math.log(0.5), 12);
    expect(bestOfNKl([0, 5], 2)).toBeCloseTo(0.130812, 6);
  });
});

describe('replies and DPO', () => {
  test('replyLogProbs: minus the losses of the counted targets (losses[i − 1] for mask[i] = 1)', () => {
    // ids: <s> p p r r </s>; losses predict ids[1..5]
    expect(replyLogProbs([0.5, 1, 2, 3, 4], [0, 0, 0, 1, 1, 1])).toEqual([-2, -3, -4]);
    expect(() => replyLogProbs([1, 2], [0, 1])).toThrow('replyLogProbs: 2 losses need 3 mask values, received 2');
  });

  test('logSigmoid: ln σ(x) in float64, and no overflow at ±800', () => {
    expect(logSigmoid(0)).toBeCloseTo(Math.log(0.5), 14);
    expect(logSigmoid(2)).toBeCloseTo(Math.log(1 / (1 + Math.exp(-2))), 14);
    expect(logSigmoid(-800)).toBe(-800);
    expect(logSigmoid(800)).toBeCloseTo(0, 14);
  });

  test('β = 0.1, chosen ln π = −10 vs ln π_ref = −12, rejected −15 vs −14: rewards 0.2 and −0.1, margin 0.3, loss ln(1 + e^−0.3) = 0.554355, weight σ(−0.3) = 0.425557', () => {
    const chosen = { policy: -10, reference: -12 };
    const rejected = { policy: -15, reference: -14 };
    expect(dpoImplicitReward(0.1, chosen)).toBeCloseTo(0.2, 12);
    const result = dpoLoss(0.1, chosen, rejected);
    expect(result.chosenReward).toBeCloseTo(0.2, 12);
    expect(result.rejectedReward).toBeCloseTo(-0.1, 12);
    expect(result.margin).toBeCloseTo(0.3, 12);
    expect(result.loss).toBeCloseTo(0.554355244468527, 12);
    expect(result.gradientWeight).toBeCloseTo(0.425557483188341, 12);
  });

  test('a pair the policy ranks the wrong way: β = 0.5, margin 0.5 (−2 − 1) = −1.5, loss 1.701413, weight σ(1.5) = 0.817574; equal replies give ln 2', () => {
    const result = dpoLoss(0.5, { policy: -20, reference: -18 }, { policy: -9, reference: -10 });
    expect(result.margin).toBeCloseTo(-1.5, 12);
    expect(result.loss).toBeCloseTo(1.7014132779827524, 12);
    expect(result.gradientWeight).toBeCloseTo(0.8175744761936437, 12);
    expect(dpoLoss(0.3, { policy: -5, reference: -6 }, { policy: -5, reference: -6 }).loss).toBeCloseTo(Math.LN2, 14);
    expect(() => dpoLoss(0, { policy: 0, reference: 0 }, { policy: 0, reference: 0 })).toThrow('β must be positive; received 0.');
  });

  test('chatPrompt: the chat set\'s format', () => {
    expect(chatPrompt('  What sound does a cow make? ')).toBe('[INST] What sound does a cow make? [/INST]');
  });
});

describe('the exercises', () => {
  test('kl-formula-n4: ln 4 − 3/4', () => {
    const exercise = exercises.find((e) => e.id === 'kl-formula-n4')!;
    if (exercise.kind !== 'numeric') throw new Error('numeric expected');
    expect(Math.abs(bestOfNKlLimit(4) - exercise.answer)).toBeLessThanOrEqual(exercise.tolerance);
  });

  test('reward-saturates: with 12 distinct rewards, the best is chosen with 1 − (11/12)^n: 0.75 at 16, 0.996 at 64', () => {
    const exercise = exercises.find((e) => e.id === 'reward-saturates')!;
    if (exercise.kind !== 'choice') throw new Error('choice expected');
    const rewards = Array.from({ length: 12 }, (_, i) => i);
    expect(bestOfNDistribution(rewards, 16)[11]).toBeCloseTo(1 - (11 / 12) ** 16, 12);
    expect(1 - (11 / 12) ** 16).toBeCloseTo(0.75, 2);
    expect(bestOfNDistribution(rewards, 64)[11]).toBeCloseTo(0.996, 3);
    // the expected reward barely moves between 16 and 64, and it only rises
    const gain = expectedBestReward(rewards, 64) - expectedBestReward(rewards, 16);
    expect(gain).toBeGreaterThan(0);
    expect(gain / 11).toBeLessThan(0.03); // under 3% of the spread of the rewards
    expect(expectedBestReward(rewards, 16)).toBeGreaterThan(10.5); // already near the best, 11
    expect(exercise.answer).toBe(1);
  });

  test('dpo-loss-by-hand: −ln σ(0.1 · ((−10 + 12) − (−15 + 14))) = 0.5544', () => {
    const exercise = exercises.find((e) => e.id === 'dpo-loss-by-hand')!;
    if (exercise.kind !== 'numeric') throw new Error('numeric expected');
    const { loss } = dpoLoss(0.1, { policy: -10, reference: -12 }, { policy: -15, reference: -14 });
    expect(Math.abs(loss - exercise.answer)).toBeLessThanOrEqual(exercise.tolerance);
    expect(Math.abs(0.5 - exercise.answer)).toBeGreaterThan(exercise.tolerance);
  });

  test('dpo-same-reply: the goal makes the rejected reply the widget\'s default chosen one, and equal replies give ln 2', async () => {
    const exercise = exercises.find((e) => e.id === 'dpo-same-reply')!;
    if (exercise.kind !== 'widget') throw new Error('widget expected');
    const { schema } = await import('../../components/AssistDpo');
    expect(exercise.goal).toEqual({ rejected: schema.chosen.default });
    expect(exercise.start).toEqual({ rejected: schema.rejected.default });
    for (const beta of [0.05, 0.5, 1]) expect(dpoLoss(beta, { policy: -7, reference: -60 }, { policy: -7, reference: -60 }).loss).toBeCloseTo(Math.LN2, 14);
  });

  test('no-move: n = 1 gives KL 0', () => {
    const exercise = exercises.find((e) => e.id === 'no-move')!;
    if (exercise.kind !== 'widget') throw new Error('widget expected');
    expect(exercise.goal).toEqual({ n: 1 });
    expect(bestOfNKl([3, -1, 0, 2, 2], 1)).toBeCloseTo(0, 12);
  });
});

describe('the shipped model, as the chapter describes it', () => {
  test('seed 1 at temperature 1: the hero Lily drifts into "Lola" at a sentence start, which the rule does not see: reward 0 (Lily twice, Lisa twice)', async () => {
    const { useBackend } = await import('./helpers/backends');
    const { loadChapterModel } = await import('./helpers/chapter-model');
    const { generate } = await import('../../src/llama/generate');
    await useBackend('wasm');
    const { model, tokenizer } = loadChapterModel();
    try {
      const prompt = 'Once upon a time, there was a girl named Lily. One day,';
      const { newIds } = await generate(model, tokenizer.encode(prompt, { bos: true }), { maxNewTokens: 40, temperature: 1, seed: 1 });
      const text = tokenizer.decode(newIds);
      expect(text).toContain('sand castle');
      expect(text).toContain('Lola put the sand');
      expect(heroOf(prompt)).toBe('Lily');
      expect(midSentenceNames(text)).toContain('Lisa'); // the friend, brought in mid-sentence
      expect(midSentenceNames(text)).not.toContain('Lola');
      expect((text.match(/\bLily\b/g) ?? []).length).toBe(2);
      expect(midSentenceNames(text).filter((name) => name === 'Lisa').length).toBe(2);
      expect(heroReward('Lily', text)).toBe(0);
    } finally {
      model.dispose();
    }
  }, 60_000);
});

describe('the model-family table', () => {
  test('every cell names its source; every column has its size, data and alignment', async () => {
    const { FAMILY_COLUMNS, MODEL_FAMILIES } = await import('../../src/chapters/assistant');
    for (const row of MODEL_FAMILIES) {
      for (const cell of Object.values(row.cells)) {
        expect(cell!.value.length).toBeGreaterThan(0);
        expect(cell!.source).toMatch(/\d{4}|config\.json/); // a paper with its year, or a config file
      }
    }
    for (const property of ['parameters', 'pretraining data', 'alignment']) {
      const row = MODEL_FAMILIES.find((r) => r.property === property)!;
      expect(Object.keys(row.cells).sort()).toEqual([...FAMILY_COLUMNS].sort());
    }
  });

  test('the Llama 2 cells agree with the anatomy chapter\'s presets (the published configs)', async () => {
    const { MODEL_FAMILIES } = await import('../../src/chapters/assistant');
    const { PARAMETER_PRESETS } = await import('../../src/chapters/anatomy');
    const cell = (property: string) => MODEL_FAMILIES.find((r) => r.property === property)!.cells['Llama 2-Chat']!.value;
    const presets = ['llama-2-7b', 'llama-2-13b', 'llama-2-70b'].map((id) => PARAMETER_PRESETS.find((p) => p.id === id)!.config);
    const shape = presets.map((c) => `${c.num_hidden_layers} × ${c.hidden_size}`).join(', ');
    const heads = presets.map((c) => c.num_attention_heads).join(', ');
    expect(cell('layers × hidden size, heads')).toBe(`${shape}; ${heads} heads (70B: ${presets[2].num_key_value_heads} key/value heads)`);
    expect(cell('vocabulary')).toBe(`${presets[0].vocab_size.toLocaleString('en-US')} (SentencePiece BPE)`);
  });

  test('LaMDA: section 3 gives the largest model\'s shape and its vocabulary; only the context length stays unstated', async () => {
    const { MODEL_FAMILIES } = await import('../../src/chapters/assistant');
    const lamda = MODEL_FAMILIES.filter((r) => r.cells.LaMDA).map((r) => r.property);
    expect(lamda).toEqual(['parameters', 'pretraining data', 'layers × hidden size, heads', 'vocabulary', 'normalisation, activation, positions', 'alignment']);
    const cell = (property: string) => MODEL_FAMILIES.find((r) => r.property === property)!.cells.LaMDA!;
    expect(cell('layers × hidden size, heads').value).toBe('64 × 8192, 128 heads of size 128 (137B non-embedding parameters)');
    // LaMDA's heads are not d_model / h = 64 wide: 128 × 128 = 16,384, twice d_model (section 3: d_k = d_v = 128)
    expect(128 * 128).toBe(2 * 8192);
    expect(cell('vocabulary').value).toBe('32K (SentencePiece BPE)');
    expect(cell('pretraining data').value).toContain('2.81T BPE tokens');
    expect(cell('vocabulary').source).toMatch(/LaMDA.*2022, section 3$/);
  });

  test('ChatGLM-6B: 4096 / 32 heads = 128 per head; the table prints the config\'s numbers', async () => {
    const { MODEL_FAMILIES } = await import('../../src/chapters/assistant');
    const config = { num_layers: 28, hidden_size: 4096, num_attention_heads: 32, max_sequence_length: 2048, vocab_size: 130528 }; // THUDM/chatglm-6b config.json
    const cell = (property: string) => MODEL_FAMILIES.find((r) => r.property === property)!.cells['ChatGLM-6B']!.value;
    expect(cell('layers × hidden size, heads')).toBe(`${config.num_layers} × ${config.hidden_size}, ${config.num_attention_heads} heads`);
    expect(cell('context')).toBe(String(config.max_sequence_length));
    expect(cell('vocabulary')).toBe(config.vocab_size.toLocaleString('en-US'));
    expect(config.hidden_size / config.num_attention_heads).toBe(128);
  });
});

describe('the shipped model and its SFT adapter, as the chapter describes them', () => {
  const COW = chatPrompt('What sound does a cow make?');

  async function withModels<T>(body: (tools: {
    tokenizer: import('../../src/llama/tokenizer').Tokenizer;
    greedy: (prompt: string, sft: boolean) => Promise<number[]>;
    logProbs: (ids: number[], from: number, sft: boolean) => number[];
  }) => Promise<T>): Promise<T> {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const tf = await import('@tensorflow/tfjs');
    const { useBackend } = await import('./helpers/backends');
    const { loadChapterModel, SHIPPED_MODEL_DIR } = await import('./helpers/chapter-model');
    const { generate } = await import('../../src/llama/generate');
    const { loadAdapter } = await import('../../src/llama/lora');
    const { tokenLogProbs } = await import('../../src/llama/math');
    await useBackend('wasm');
    const { model, tokenizer } = loadChapterModel();
    const folder = join(SHIPPED_MODEL_DIR, 'adapters', 'chat-sft-lora');
    const adapter = loadAdapter(model.config, {
      'adapter_model.safetensors': new Uint8Array(readFileSync(join(folder, 'adapter_model.safetensors'))),
      'adapter_config.json': readFileSync(join(folder, 'adapter_config.json'), 'utf8'),
    });
    try {
      return await body({
        tokenizer,
        greedy: async (prompt, sft) => {
          model.attachAdapter(sft ? adapter : null);
          return (await generate(model, tokenizer.encode(prompt, { bos: true }), { maxNewTokens: 32, temperature: 0, eosTokenId: tokenizer.eosId })).newIds;
        },
        // ln p from the logits in float64 (log-softmax of each row), not the runtime's loss op
        logProbs: (ids, from, sft) => {
          model.attachAdapter(sft ? adapter : null);
          const logits = tf.tidy(() => model.forward(tf.tensor2d([ids], undefined, 'int32')).logits.dataSync());
          return tokenLogProbs(logits, model.config.vocab_size, ids, from);
        },
      });
    } finally {
      model.attachAdapter(null);
      adapter.dispose();
      model.dispose();
    }
  }
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

  test('base vs SFT on "What sound does a cow make?": the base runs on as a story for 32 tokens; SFT answers "A cow says "Moo!"" and stops; </s> is the token SFT raised most (exercise sft-end-of-text)', async () => {
    await withModels(async ({ tokenizer, greedy, logProbs }) => {
      const base = await greedy(COW, false);
      const sft = await greedy(COW, true);
      expect(base).toHaveLength(32);
      expect(base).not.toContain(tokenizer.eosId);
      expect(tokenizer.decode(base)).toMatch(/^\. The sun was shining\./);
      expect(tokenizer.decode(sft.slice(0, -1)).trim()).toBe('A cow says "Moo!"');
      expect(sft.at(-1)).toBe(tokenizer.eosId);
      const promptIds = tokenizer.encode(COW, { bos: true });
      const ids = [...promptIds, ...sft];
      const underBase = logProbs(ids, promptIds.length, false);
      const underSft = logProbs(ids, promptIds.length, true);
      const raised = underSft.map((lp, i) => lp - underBase[i]);
      const most = raised.indexOf(Math.max(...raised));
      expect(most).toBe(sft.length - 1); // the </s>
      expect(raised[most]).toBeGreaterThan(10);
      expect(raised[most]).toBeGreaterThan(raised[0]); // the first word
      const exercise = exercises.find((e) => e.id === 'sft-end-of-text')!;
      if (exercise.kind !== 'choice') throw new Error('choice expected');
      expect(exercise.choices[exercise.answer]).toContain('</s>');
      // each model finds its own reply likelier than the other model does
      expect(sum(underSft)).toBeGreaterThan(sum(underBase) + 50);
    });
  }, 120_000);

  test('an instruction the chat pairs never had: "What does a dog say?" gets the form of an answer and the reply to the closest wording, "What does a dog like to eat?"', async () => {
    const { generateSet } = await import('../../scripts/corpus');
    const chat = generateSet('chat');
    const prompts = new Set([...chat.train, ...chat.validation, ...chat.test].map((pair) => pair.prompt as string));
    expect(prompts.has(chatPrompt('What does a dog say?'))).toBe(false);
    expect(prompts.has(chatPrompt('What sound does a dog make?'))).toBe(true);
    expect(prompts.has(chatPrompt('What does a dog like to eat?'))).toBe(true);
    await withModels(async ({ tokenizer, greedy }) => {
      const sft = await greedy(chatPrompt('What does a dog say?'), true);
      expect(tokenizer.decode(sft.slice(0, -1)).trim()).toBe('A dog likes to eat a bone.');
      expect(sft.at(-1)).toBe(tokenizer.eosId);
    });
  }, 120_000);

  test('DPO on the shipped models: "Moo!" over "Woof!" has a slightly negative margin (SFT lifted both by about 60 nats, "Woof!" a little more); a story as the rejected reply gives a large positive one', async () => {
    await withModels(async ({ tokenizer, logProbs }) => {
      const { sftExample } = await import('../../src/chapters/training');
      const score = (reply: string) => {
        const { ids, lossMask } = sftExample(tokenizer, COW, ` ${reply}`);
        const from = lossMask!.indexOf(1);
        return { policy: sum(logProbs(ids, from, true)), reference: sum(logProbs(ids, from, false)) };
      };
      const moo = score('A cow says "Moo!"');
      const woof = score('A cow says "Woof!"');
      expect(moo.policy).toBeCloseTo(-5.91, 1);
      expect(moo.reference).toBeCloseTo(-65.46, 1);
      expect(woof.policy).toBeCloseTo(-15.76, 1);
      expect(woof.reference).toBeCloseTo(-76.39, 1);
      expect(moo.policy - moo.reference).toBeGreaterThan(55);
      expect(woof.policy - woof.reference).toBeGreaterThan(moo.policy - moo.reference);
      const pair = dpoLoss(0.1, moo, woof);
      expect(pair.margin).toBeCloseTo(-0.108, 2);
      expect(pair.loss).toBeCloseTo(0.749, 2);
      expect(pair.loss).toBeGreaterThan(Math.LN2);
      // the policy still prefers "Moo!" outright: ln π(Moo) − ln π(Woof) ≈ 9.8 nats
      expect(moo.policy - woof.policy).toBeGreaterThan(9);
      expect(moo.policy - woof.policy).toBeLessThan(10);
      // the chapter prints these numbers
      const chapter = readFileSync('content/18-assistant.mdx', 'utf8');
      expect(chapter).toContain(`(−${Math.abs(pair.margin).toFixed(2)} at $\\beta = 0.1$, a loss of ${pair.loss.toFixed(2)}\nnats`);
      const story = dpoLoss(0.1, moo, score('Once upon a time, there was a girl named Lily.'));
      expect(story.margin).toBeGreaterThan(7);
      expect(story.loss).toBeLessThan(0.001);
    });
  }, 120_000);
});
