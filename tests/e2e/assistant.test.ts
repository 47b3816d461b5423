// The assistant chapter in Chromium, one page load for its three figures: best-of-n samples the
// same continuations as the engine in Node (same seeds), scores them with the chapter's reward,
// and its expected reward, KL and reward distribution are the chapter's maths for those rewards;
// base vs SFT writes the engine's greedy replies with and without the SFT adapter and their
// log-probabilities under both; the DPO figure's log-probabilities and loss are the engine's. One
// bad input per figure; the runtime calls they make leak no tensor.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { expect, test } from 'vitest';
import { bestOfNKl, bestOfNRewardDistribution, chatPrompt, dpoLoss, expectedBestReward, heroReward } from '../../src/chapters/assistant';
import { sftExample } from '../../src/chapters/training';
import { generate } from '../../src/llama/generate';
import { loadAdapter } from '../../src/llama/lora';
import { tokenLogProbs } from '../../src/llama/math';
import type { getRuntime } from '../../src/runtime/client';
import { startAllWidgets } from './helpers';
import { linkParam, settled, useChapterSite, type ChapterSite } from './helpers/chapterSite';

const CHAPTER = '/chapters/18-assistant/';
const BEST = '[data-widget-id="assist-best-of-n"]';
const BASE_SFT = '[data-widget-id="assist-base-vs-sft"]';
const DPO = '[data-widget-id="assist-dpo"]';
const PROMPT = 'Once upon a time, there was a girl named Lily. One day,';
const ADAPTER = 'public/models/glass-llama/adapters/chat-sft-lora';
const adapterFiles = () => ({
  'adapter_model.safetensors': new Uint8Array(readFileSync(`${ADAPTER}/adapter_model.safetensors`)),
  'adapter_config.json': readFileSync(`${ADAPTER}/adapter_config.json`, 'utf8'),
});

let site: ChapterSite;
useChapterSite((opened) => (site = opened), { engine: true });

test('best-of-n, base vs SFT and DPO show what the engine computes; bad input is explained', async () => {
  const opened = await site.openPage(`${CHAPTER}?backend=wasm&assist-best-of-n.samples=4`);
  const { page } = opened;
  const { model, tokenizer } = site.engine!;
  await startAllWidgets(page, 180_000);

  // best-of-n
  await settled(page, BEST);
  const rewards: number[] = [];
  for (let seed = 1; seed <= 4; seed++) {
    const { newIds } = await generate(model, tokenizer.encode(PROMPT, { bos: true }), { maxNewTokens: 40, temperature: 1, seed });
    rewards.push(heroReward('Lily', tokenizer.decode(newIds)));
  }
  const figure = page.locator(`${BEST} [data-rewards]`);
  expect(await figure.getAttribute('data-rewards')).toBe(rewards.join(','));
  expect(Number(await figure.getAttribute('data-expected'))).toBeCloseTo(expectedBestReward(rewards, 4), 5);
  await page.locator(BEST).getByRole('slider', { name: 'n', exact: true }).fill('64');
  await expect.poll(() => figure.getAttribute('data-kl')).toBe(bestOfNKl(rewards, 64).toFixed(6));
  expect(await figure.getAttribute('data-distribution')).toBe(bestOfNRewardDistribution(rewards, 64).map((d) => `${d.reward}:${d.probability.toFixed(6)}`).join(','));
  expect(linkParam(page, 'assist-best-of-n.n')).toBe('64');
  await page.locator(BEST).getByRole('textbox', { name: 'Prompt' }).fill('Once upon a time');
  await page.locator(BEST).getByRole('button', { name: 'Run' }).click();
  expect(await settled(page, BEST)).toEqual({
    status: 'error',
    message: 'The prompt names no hero for the reward to look for: introduce one with "named" or "called", as in "a girl named Lily".',
  });

  // the engine with and without the SFT adapter: greedy replies and ln p of each token under both
  const adapter = loadAdapter(model.config, adapterFiles());
  const logProbsOf = (ids: number[], from: number, withAdapter: boolean) => {
    model.attachAdapter(withAdapter ? adapter : null);
    const logits = tf.tidy(() => model.forward(tf.tensor2d([ids], undefined, 'int32')).logits.dataSync());
    return tokenLogProbs(logits, model.config.vocab_size, ids, from);
  };
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  try {
    // Base vs SFT at its default is the contract's (tests/e2e/contracts/assist-base-vs-sft.ts).
    await settled(page, BASE_SFT);
    await page.locator(BASE_SFT).getByRole('textbox', { name: 'Instruction' }).fill(' \u0007 ');
    await page.locator(BASE_SFT).getByRole('button', { name: 'Run' }).click();
    expect(await settled(page, BASE_SFT)).toEqual({ status: 'error', message: 'Type an instruction: the models answer it in the chat format, [INST] instruction [/INST].' });

    // DPO: β = 0.5 from the slider, on the default pair's four log-probabilities (which the
    // contract checks at β = 0.1, tests/e2e/contracts/assist-dpo.ts)
    await settled(page, DPO);
    const prompt = chatPrompt('What sound does a cow make?');
    const scored = (['A cow says "Moo!"', 'A cow says "Woof!"'] as const).map((reply) => {
      const { ids, lossMask } = sftExample(tokenizer, prompt, ` ${reply}`);
      const from = lossMask!.indexOf(1);
      return { policy: sum(logProbsOf(ids, from, true)), reference: sum(logProbsOf(ids, from, false)) };
    });
    const dpo = page.locator(DPO);
    const numbers = page.locator(`${DPO} [data-loss]`);
    await dpo.getByRole('slider', { name: 'β' }).fill('0.5');
    await expect.poll(async () => Number(await numbers.getAttribute('data-loss'))).toBeCloseTo(dpoLoss(0.5, scored[0], scored[1]).loss, 3);
    expect(linkParam(page, 'assist-dpo.beta')).toBe('0.5');
    await dpo.getByRole('textbox', { name: 'Rejected reply (y_l)' }).fill('');
    await dpo.getByRole('button', { name: 'Run' }).click();
    expect(await settled(page, DPO)).toEqual({ status: 'error', message: 'Type the rejected reply: DPO compares two replies to one instruction.' });
  } finally {
    model.attachAdapter(null);
    adapter.dispose();
  }
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  await opened.close();
}, 300_000);

/** What src/pages/test/runtime.astro puts on window. */
type TestPageWindow = { glassLlamaRuntime: { getRuntime: typeof getRuntime } };

test('the calls the figures make on the SFT session (generate, loss) leak no tensor', async () => {
  const opened = await site.openPage('/test/runtime/?backend=wasm');
  await opened.page.getByText('ready', { exact: true }).waitFor();
  const outcome = await opened.page.evaluate(async (folder) => {
    const runtime = await (window as unknown as TestPageWindow).glassLlamaRuntime.getRuntime();
    await runtime.load('/models/glass-llama/');
    const [weights, config] = await Promise.all([fetch(`${folder}/adapter_model.safetensors`).then((r) => r.arrayBuffer()), fetch(`${folder}/adapter_config.json`).then((r) => r.text())]);
    await runtime.fork('sft');
    await runtime.call('loadAdapter', { session: 'sft', files: { 'adapter_model.safetensors': new Uint8Array(weights), 'adapter_config.json': config }, trainable: false });
    const before = await runtime.memory();
    const reply = await runtime.generate({ text: '[INST] What sound does a cow make? [/INST]', maxNewTokens: 4, temperature: 0, session: 'sft' }).result;
    await runtime.loss({ ids: [[...reply.promptIds, ...reply.newIds]], training: false, session: 'sft' });
    await runtime.loss({ ids: [[...reply.promptIds, ...reply.newIds]], training: false });
    return { before, after: await runtime.memory() };
  }, '/models/glass-llama/adapters/chat-sft-lora');
  expect(outcome.after.numTensors).toBe(outcome.before.numTensors);
  await opened.close();
});
