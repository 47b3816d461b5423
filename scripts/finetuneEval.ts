/**
 * The shipped fine-tunes against their own training logs (part of `npm run eval`): each adapter in
 * public/models/glass-llama/adapters/ and the full fine-tune in runs/ is loaded, scored on the
 * validation batches its log describes (the splits regenerated in memory, as data/manifest.json
 * pins them), and must reproduce the losses, the first greedy sample and the chat test score its
 * log publishes; the chat test's wrong replies must be the ones the training chapter quotes.
 *
 * The logs are the published figures of the fine-tunes, as eval.json is the base model's:
 * tests/unit/training-artefacts.test.ts asserts the logs against the model card and the chapter
 * (milliseconds), and this evaluation (a minute of CPU) asserts the shipped weights against the logs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../src/llama/generate';
import { loadAdapter } from '../src/llama/lora';
import type { LlamaModel } from '../src/llama/model';
import type { Tokenizer } from '../src/llama/tokenizer';
import { evaluateLoss, PackedCorpus, type Batch } from '../src/llama/train';
import { SHIPPED_FINETUNES } from '../src/chapters/training';
import { generateSet } from './corpus';
import { CHAT_TEST_PAIRS, type FinetuneLog } from './finetune';
import { chatKind, chatReplyCorrect, examplesFromRecords, type ChatKind, type EvalSet } from './finetuneData';
import { loadModel } from './load-model';

/** The wrong replies of the chat test that content/12-training.mdx quotes, per chat fine-tune. */
export const QUOTED_MISSES: Record<'chat-sft-lora' | 'chat-sft-full', string[]> = {
  // each wrong in one word
  'chat-sft-lora': ['There was a red carrot next to an orange on the even better.', 'This story is about Louis and Louis.'],
  // the story the adapter also misses, one name twice
  'chat-sft-full': ['This story is about Benny and Benny.'],
};

/** Losses agree with the log to this (F16 rounding of the full fine-tune's weights: the third decimal). */
const LOSS_TOLERANCE = { adapter: 5e-4, full: 5e-3 } as const;

export function readFinetuneLog(dir: string, name: string): FinetuneLog {
  const finetune = SHIPPED_FINETUNES.find((f) => f.name === name)!;
  return JSON.parse(readFileSync(join(dir, finetune.kind === 'lora' ? 'adapters' : 'runs', name, 'training-log.json'), 'utf8')) as FinetuneLog;
}

function adapterFiles(dir: string, name: string) {
  return {
    'adapter_model.safetensors': new Uint8Array(readFileSync(join(dir, 'adapters', name, 'adapter_model.safetensors'))),
    'adapter_config.json': readFileSync(join(dir, 'adapters', name, 'adapter_config.json'), 'utf8'),
  };
}

/**
 * Loads every shipped fine-tune onto the shipped model (`model`, `tokenizer`: loaded from `dir`)
 * and checks it against its log. Returns one line per failed check ([] = all agree); prints one
 * line per check.
 */
export async function checkShippedFinetunes(dir: string, model: LlamaModel, tokenizer: Tokenizer): Promise<string[]> {
  const failures: string[] = [];
  const fail = (line: string) => {
    failures.push(line);
    console.error(`FAIL ${line}`);
  };
  const pass = (line: string) => console.log(`ok   ${line}`);
  const close = (what: string, measured: number, logged: number, tolerance: number) =>
    Math.abs(measured - logged) <= tolerance ? pass(`${what}: ${measured.toFixed(4)} (log ${logged.toFixed(4)})`) : fail(`${what}: measured ${measured}, the log has ${logged}`);
  const equal = (what: string, measured: unknown, logged: unknown) =>
    JSON.stringify(measured) === JSON.stringify(logged) ? pass(`${what}: ${JSON.stringify(measured)}`) : fail(`${what}: got ${JSON.stringify(measured)}, expected ${JSON.stringify(logged)}`);

  const generated = new Map<EvalSet, ReturnType<typeof generateSet>>();
  const corpusSet = (set: EvalSet) => {
    if (!generated.has(set)) generated.set(set, generateSet(set));
    return generated.get(set)!;
  };
  const batches = (log: FinetuneLog, set: EvalSet): Batch[] => {
    const spec = log.evaluation.sets[set];
    return new PackedCorpus(examplesFromRecords(tokenizer, set, corpusSet(set).validation)).evaluationBatches(spec.batchSize, spec.seqLength, spec.rows);
  };
  const greedy = async (on: LlamaModel, prompt: string, maxNewTokens: number) => {
    const { newIds } = await generate(on, tokenizer.encode(prompt), { maxNewTokens, temperature: 0, eosTokenId: tokenizer.eosId });
    return tokenizer.decode(newIds.filter((id) => id !== tokenizer.eosId));
  };
  /** Greedy replies to the first chat test pairs (as scripts/finetune.ts scores them), right per kind. */
  const chatTest = async (on: LlamaModel, maxNewTokens: number) => {
    const score = { sound: [0, 0], food: [0, 0], who: [0, 0], name: [0, 0], sentence: [0, 0] } as Record<ChatKind, [number, number]>;
    const misses: string[] = [];
    for (const pair of corpusSet('chat').test.slice(0, CHAT_TEST_PAIRS) as { prompt: string; response: string }[]) {
      const reply = await greedy(on, pair.prompt, maxNewTokens);
      const tally = score[chatKind(pair.prompt)];
      tally[1]++;
      if (chatReplyCorrect(pair.prompt, pair.response, reply)) tally[0]++;
      else misses.push(reply);
    }
    return { score, misses };
  };

  for (const { name, kind } of SHIPPED_FINETUNES) {
    const log = readFinetuneLog(dir, name);
    const own: EvalSet = log.options.data;
    const sample = log.samples[0];
    if (kind === 'lora') {
      close(`${name}: the base model's stories loss`, evaluateLoss(model, batches(log, 'stories')), log.evalBefore.stories, LOSS_TOLERANCE.adapter);
      equal(`${name}: the base model's first greedy sample`, await greedy(model, sample.prompt, 40), sample.before);
      const adapter = loadAdapter(model.config, adapterFiles(dir, name));
      model.attachAdapter(adapter);
      try {
        close(`${name}: stories loss with the adapter`, evaluateLoss(model, batches(log, 'stories')), log.evalAfter.stories, LOSS_TOLERANCE.adapter);
        close(`${name}: ${own} loss with the adapter`, evaluateLoss(model, batches(log, own)), log.evalAfter[own], LOSS_TOLERANCE.adapter);
        equal(`${name}: the first greedy sample with the adapter`, await greedy(model, sample.prompt, 40), sample.after);
        if (log.chatTest) {
          const { score, misses } = await chatTest(model, log.chatTest.maxNewTokens);
          equal(`${name}: chat test score`, score, log.chatTest.after);
          equal(`${name}: chat test misses, as the chapter quotes them`, misses, QUOTED_MISSES[name as keyof typeof QUOTED_MISSES]);
        }
      } finally {
        model.attachAdapter(null);
        adapter.dispose();
      }
    } else {
      const { model: tuned } = loadModel(join(dir, 'runs', name));
      try {
        close(`${name}: stories loss of the F16 weights`, evaluateLoss(tuned, batches(log, 'stories')), log.evalAfter.stories, LOSS_TOLERANCE.full);
        close(`${name}: ${own} loss of the F16 weights`, evaluateLoss(tuned, batches(log, own)), log.evalAfter[own], LOSS_TOLERANCE.full);
        equal(`${name}: the first greedy sample`, await greedy(tuned, sample.prompt, 40), sample.after);
        if (log.chatTest) {
          const { score, misses } = await chatTest(tuned, log.chatTest.maxNewTokens);
          equal(`${name}: chat test score`, score, log.chatTest.after);
          equal(`${name}: chat test misses, as the chapter quotes them`, misses, QUOTED_MISSES[name as keyof typeof QUOTED_MISSES]);
        }
      } finally {
        tuned.dispose();
      }
    }
  }
  return failures;
}
