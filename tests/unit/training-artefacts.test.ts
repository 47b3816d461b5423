// The fine-tunes shipped with the model (public/models/glass-llama/adapters/, runs/; written by
// `npm run train -- --finetune ...`, scripts/finetune.ts): they load, they reproduce the
// evaluation losses their logs record (the validation splits regenerated in memory, as
// data/manifest.json pins them), and the claims the training chapter makes about them hold.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateSet } from '../../scripts/corpus';
import type { FinetuneLog } from '../../scripts/finetune';
import { examplesFromRecords, type EvalSet } from '../../scripts/finetuneData';
import { SHIPPED_FINETUNES } from '../../src/chapters/training';
import { generate } from '../../src/llama/generate';
import { loadAdapter } from '../../src/llama/lora';
import { evaluateLoss, PackedCorpus, type Batch } from '../../src/llama/train';
import { useBackend } from './helpers/backends';
import { loadChapterModel, SHIPPED_MODEL_DIR, type ChapterModel } from './helpers/chapter-model';

const ADAPTERS = join(SHIPPED_MODEL_DIR, 'adapters');

function readLog(name: string): FinetuneLog {
  const finetune = SHIPPED_FINETUNES.find((f) => f.name === name)!;
  return JSON.parse(readFileSync(join(finetune.kind === 'lora' ? ADAPTERS : join(SHIPPED_MODEL_DIR, 'runs'), name, 'training-log.json'), 'utf8')) as FinetuneLog;
}

function adapterFiles(name: string) {
  return {
    'adapter_model.safetensors': new Uint8Array(readFileSync(join(ADAPTERS, name, 'adapter_model.safetensors'))),
    'adapter_config.json': readFileSync(join(ADAPTERS, name, 'adapter_config.json'), 'utf8'),
  };
}

let shipped: ChapterModel;
const generated = new Map<EvalSet, ReturnType<typeof generateSet>>();

/** A corpus set as `npm run corpus` writes it, regenerated in memory once. */
function corpusSet(set: EvalSet): ReturnType<typeof generateSet> {
  if (!generated.has(set)) generated.set(set, generateSet(set));
  return generated.get(set)!;
}

/** The evaluation batches a log describes, rebuilt from the regenerated validation split. */
function evaluationBatches(log: FinetuneLog, set: EvalSet): Batch[] {
  const spec = log.evaluation.sets[set];
  return new PackedCorpus(examplesFromRecords(shipped.tokenizer, set, corpusSet(set).validation)).evaluationBatches(spec.batchSize, spec.seqLength, spec.rows);
}

beforeAll(async () => {
  await useBackend('wasm');
  shipped = loadChapterModel();
});
afterAll(() => shipped.model.dispose());

describe('the shipped fine-tunes', () => {
  test('every one has its files, and its log its options, every step and the losses before and after', () => {
    for (const { name, kind, data } of SHIPPED_FINETUNES) {
      const log = readLog(name);
      expect(log.kind).toBe(kind);
      expect(log.options.data).toBe(data);
      expect(log.entries).toHaveLength(log.options.steps);
      expect(log.entries.map((e) => e.step)).toEqual(Array.from({ length: log.options.steps }, (_, i) => i));
      expect(Object.keys(log.evalBefore).sort()).toEqual(['chat', 'notes', 'stories']);
      expect(log.baseModel.sha256).toMatch(/^[0-9a-f]{64}$/);
      if (kind === 'lora') {
        expect(existsSync(join(ADAPTERS, name, 'adapter_model.safetensors'))).toBe(true);
        expect(JSON.parse(readFileSync(join(ADAPTERS, name, 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', r: log.options.lora!.r, lora_alpha: log.options.lora!.lora_alpha });
      }
    }
  });

  test.each(['notes-lora', 'chat-sft-lora'] as const)('%s loads and reproduces its logged losses on the stories and on its own data', async (name) => {
    const log = readLog(name);
    const own: EvalSet = log.options.data;
    expect(evaluateLoss(shipped.model, evaluationBatches(log, 'stories'))).toBeCloseTo(log.evalBefore.stories, 3);
    const sample = log.samples[0];
    const greedy = async () => {
      const { newIds } = await generate(shipped.model, shipped.tokenizer.encode(sample.prompt), { maxNewTokens: 40, temperature: 0, eosTokenId: shipped.tokenizer.eosId });
      return shipped.tokenizer.decode(newIds.filter((id) => id !== shipped.tokenizer.eosId));
    };
    expect(await greedy()).toBe(sample.before);
    const adapter = loadAdapter(shipped.model.config, adapterFiles(name));
    shipped.model.attachAdapter(adapter);
    try {
      expect(evaluateLoss(shipped.model, evaluationBatches(log, 'stories'))).toBeCloseTo(log.evalAfter.stories, 3);
      expect(evaluateLoss(shipped.model, evaluationBatches(log, own))).toBeCloseTo(log.evalAfter[own], 3);
      // the first logged sample, greedy, as the log has it
      expect(await greedy()).toBe(sample.after);
    } finally {
      shipped.model.attachAdapter(null);
      adapter.dispose();
    }
  }, 120_000);
});

describe('what the chapter says about them', () => {
  const chapter = readFileSync('content/12-training.mdx', 'utf8');
  const two = (x: number) => x.toFixed(2);

  test('the notes adapter: the notes loss falls, the stories loss rises (forgetting), as the prose says', () => {
    const log = readLog('notes-lora');
    expect(log.evalAfter.notes).toBeLessThan(log.evalBefore.notes - 5);
    expect(log.evalAfter.stories).toBeGreaterThan(log.evalBefore.stories + 0.5);
    expect(chapter).toContain(`The notes' loss fell from ${two(log.evalBefore.notes)} to\n  ${two(log.evalAfter.notes)} nats`);
    expect(chapter).toContain(`the stories' loss rose from ${two(log.evalBefore.stories)} to\n  ${two(log.evalAfter.stories)}`);
    expect(chapter).toContain(`"${log.samples[0].after.trim()}"`);
  });

  test('the SFT adapter: the masked chat loss falls and more test replies are right, as the prose says', () => {
    const log = readLog('chat-sft-lora');
    const right = (score: Record<string, [number, number]>) => Object.values(score).reduce((sum, [r]) => sum + r, 0);
    expect(log.evalAfter.chat).toBeLessThan(log.evalBefore.chat - 5);
    expect(chapter).toContain(`fell from\n  ${two(log.evalBefore.chat)} to ${two(log.evalAfter.chat)}`);
    // word for word: none right before, none after
    expect(right(log.chatTest!.before)).toBe(0);
    expect(right(log.chatTest!.after)).toBe(0);
    expect(chapter).toContain(`right\n  0 of ${log.chatTest!.pairs} times before and 0 of ${log.chatTest!.pairs} after`);
    expect(chapter).toContain(`"${log.samples[0].after.trim()}"`);
    // the form: every chat reply after SFT stops (</s>) within 20 tokens; before, every one runs to the 40-token limit
    for (const sample of log.samples.filter((s) => s.prompt.startsWith('[INST]'))) {
      expect(shipped.tokenizer.encode(sample.after, { bos: false }).length).toBeLessThan(20);
      expect(shipped.tokenizer.encode(sample.before, { bos: false }).length).toBeGreaterThan(30);
    }
  });

  test('the notes start so high because the stories never use their words: no story has "degrees" or "Weather"', () => {
    for (const split of ['train', 'validation', 'test'] as const) {
      for (const story of corpusSet('stories')[split]) expect(/degrees|Weather/.test(story.text as string)).toBe(false);
    }
    expect(corpusSet('chat').train).toHaveLength(2780);
    expect(chapter).toContain('2,780 pairs (the chat set\'s training split)');
    expect(corpusSet('notes').train.filter((note) => (note.text as string).includes('degrees')).length).toBeGreaterThan(1000);
  });

  test('both adapters train 74,752 of the 1,182,592 values (rank 8 on all seven projections of 4 layers)', () => {
    for (const name of ['notes-lora', 'chat-sft-lora']) {
      const log = readLog(name);
      expect(log.trainableParameters).toBe(74_752);
      expect(log.baseParameters).toBe(1_182_592);
    }
    expect(chapter).toContain('74,752 trainable values, 6% of the model');
    expect((100 * 74_752) / 1_182_592).toBeCloseTo(6.3, 1);
  });
});
