// The fine-tunes shipped with the model (public/models/glass-llama/adapters/, runs/; written by
// `npm run train -- --finetune ...`, scripts/finetune.ts): their files and logs are complete, the
// model card and the training chapter state what the logs publish, and AdamW's state is the size
// the chapter says. That the shipped weights reproduce their logs (losses on the regenerated
// validation splits, greedy samples, the chat test and its misses) is `npm run eval`'s check
// (scripts/finetuneEval.ts): a minute of CPU, like the base model's evaluation, not in npm test.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type * as tf from '@tensorflow/tfjs';
import { finetuneCardSection, optimizerStateBytes, type FinetuneLog } from '../../scripts/finetune';
import type { ChatKind, EvalSet } from '../../scripts/finetuneData';
import { generateSet } from '../../scripts/corpus';
import { QUOTED_MISSES } from '../../scripts/finetuneEval';
import { SHIPPED_FINETUNES } from '../../src/chapters/training';
import { LoraAdapter } from '../../src/llama/lora';
import { parseLoraConfig } from '../../src/llama/loraConfig';
import { AdamW } from '../../src/llama/train';
import { useBackend } from './helpers/backends';
import { loadChapterModel, SHIPPED_MODEL_DIR, type ChapterModel } from './helpers/chapter-model';

const ADAPTERS = join(SHIPPED_MODEL_DIR, 'adapters');
const RUNS = join(SHIPPED_MODEL_DIR, 'runs');

function readLog(name: string): FinetuneLog {
  const finetune = SHIPPED_FINETUNES.find((f) => f.name === name)!;
  return JSON.parse(readFileSync(join(finetune.kind === 'lora' ? ADAPTERS : RUNS, name, 'training-log.json'), 'utf8')) as FinetuneLog;
}

let shipped: ChapterModel;
const generated = new Map<EvalSet, ReturnType<typeof generateSet>>();

/** A corpus set as `npm run corpus` writes it, regenerated in memory once. */
function corpusSet(set: EvalSet): ReturnType<typeof generateSet> {
  if (!generated.has(set)) generated.set(set, generateSet(set));
  return generated.get(set)!;
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
      } else {
        expect(log.options.lora).toBeNull();
        expect(log.weightsShipped).toBe(true);
        expect(existsSync(join(RUNS, name, 'model.safetensors'))).toBe(true);
        expect(existsSync(join(RUNS, name, 'config.json'))).toBe(true);
      }
    }
  });
});

describe('the chat SFT, as an adapter and as a full fine-tune', () => {
  test('the model card lists every shipped fine-tune from its log, and compares the two chat fine-tunes', () => {
    const card = readFileSync(join(SHIPPED_MODEL_DIR, 'README.md'), 'utf8');
    const section = finetuneCardSection(SHIPPED_MODEL_DIR);
    expect(card.endsWith(section)).toBe(true);
    for (const folder of ['adapters/chat-sft-lora', 'adapters/notes-lora', 'runs/chat-sft-full']) expect(section).toContain(`### ${folder}\n`);
    expect(section).toContain('| chat test replies right after | 28/30 | 29/30 |');
    expect(section).toContain('| AdamW state (bytes) | 1,196,032 | 9,460,736 |');
  });

  test('the wrong chat replies that npm run eval reproduces are as many as the logs count, and the chapter quotes them', () => {
    const chapter = readFileSync('content/12-training.mdx', 'utf8').replace(/\s+/g, ' ');
    const quoted: Record<keyof typeof QUOTED_MISSES, string[]> = {
      'chat-sft-lora': ['about Louis and Louis', 'next to an orange on the even better.'],
      'chat-sft-full': ['about Benny and Benny'],
    };
    for (const [name, misses] of Object.entries(QUOTED_MISSES) as [keyof typeof QUOTED_MISSES, string[]][]) {
      const { after } = readLog(name).chatTest!;
      const wrong = Object.values(after).reduce((sum, [right, of]) => sum + of - right, 0);
      expect(misses, name).toHaveLength(wrong);
      for (const fragment of quoted[name]) {
        expect(chapter, `the chapter quotes "${fragment}"`).toContain(fragment);
        expect(misses.some((miss) => miss.includes(fragment)), `${name} missed with "${fragment}"`).toBe(true);
      }
    }
  });

  test('AdamW keeps 8 bytes (m and v in F32) per trained value: the adapter\'s state is an eighth of the full fine-tune\'s', () => {
    const lora = readLog('chat-sft-lora');
    const full = readLog('chat-sft-full');
    const stateBytes = (params: Map<string, tf.Variable | tf.Tensor>) => {
      const optimizer = new AdamW(params);
      const bytes = [...optimizer.stateToWeightMap().values()].reduce((sum, w) => sum + w.data.byteLength, 0);
      optimizer.dispose();
      return bytes;
    };
    const adapter = LoraAdapter.init(shipped.model.config, parseLoraConfig(lora.options.lora!), 7, { trainable: true });
    try {
      expect(stateBytes(adapter.params)).toBe(optimizerStateBytes(lora.trainableParameters));
    } finally {
      adapter.dispose();
    }
    expect(stateBytes(shipped.model.params)).toBe(optimizerStateBytes(full.trainableParameters));
    expect(optimizerStateBytes(full.trainableParameters)).toBe(8 * 1_182_592);
  });
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

  test('the SFT adapter: the masked chat loss falls and most test replies are right, as the prose says', () => {
    const log = readLog('chat-sft-lora');
    const right = (score: Record<string, [number, number]>) => Object.values(score).reduce((sum, [r]) => sum + r, 0);
    const perKind = (score: Record<ChatKind, [number, number]>) => (Object.keys(score) as ChatKind[]).map((kind) => `${kind} ${score[kind][0]} of ${score[kind][1]}`).join(', ');
    expect(log.evalAfter.chat).toBeLessThan(log.evalBefore.chat - 5);
    expect(chapter).toContain(`fell from\n  ${two(log.evalBefore.chat)} to ${two(log.evalAfter.chat)}`);
    // word for word: none right before, most after
    expect(right(log.chatTest!.before)).toBe(0);
    expect(right(log.chatTest!.after)).toBeGreaterThan(log.chatTest!.pairs / 2);
    expect(chapter).toContain(`right\n  0 of ${log.chatTest!.pairs} times before and ${right(log.chatTest!.after)} of ${log.chatTest!.pairs} after (${perKind(log.chatTest!.after)})`);
    expect(chapter).toContain(`"${log.samples[0].after.trim()}"`);
    expect(chapter).toContain(`The stories' loss moved from ${two(log.evalBefore.stories)} to\n  ${two(log.evalAfter.stories)}`);
    // "nearly as much as the notes adapter's": more than two thirds of its rise, less than all of it
    const notes = readLog('notes-lora');
    const rise = log.evalAfter.stories - log.evalBefore.stories;
    const notesRise = notes.evalAfter.stories - notes.evalBefore.stories;
    expect(rise).toBeLessThan(notesRise);
    expect(rise).toBeGreaterThan((2 / 3) * notesRise);
    expect(log.samples[4].prompt).toBe('Once upon a time');
    expect(chapter).toContain(`"Once upon a time${log.samples[4].after.trim()}"`);
    expect(chapter).toContain('"about Louis and\n  Louis"');
    expect(chapter).toContain('"next to an orange on the even better."');
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

  test('the notes adapter trains 74,752 values (rank 8), the SFT adapter 149,504 (rank 16), of 1,182,592, on all seven projections of 4 layers', () => {
    // rank r on an (out x in) projection adds r * (in + out) values. Per layer, hidden 128,
    // key/value width 2 heads x 32 = 64, intermediate 352: q and o 2 * (128 + 128) = 512, k and v
    // 2 * (128 + 64) = 384, gate, up and down 3 * (128 + 352) = 1440; 2336 per unit of rank per
    // layer, 9344 over 4 layers
    const config = shipped.model.config;
    const kv = (config.num_key_value_heads * config.hidden_size) / config.num_attention_heads;
    const perRank = config.num_hidden_layers * (2 * 2 * config.hidden_size + 2 * (config.hidden_size + kv) + 3 * (config.hidden_size + config.intermediate_size));
    expect(perRank).toBe(9344);
    expect(readLog('notes-lora').trainableParameters).toBe(8 * perRank);
    expect(readLog('chat-sft-lora').trainableParameters).toBe(16 * perRank);
    for (const name of ['notes-lora', 'chat-sft-lora', 'chat-sft-full']) expect(readLog(name).baseParameters).toBe(1_182_592);
    expect(readLog('chat-sft-full').trainableParameters).toBe(1_182_592);
    expect(chapter).toContain('74,752 trainable values, 6.3% of the model');
    expect(chapter).toContain('149,504 trainable values, 12.6%');
    expect((100 * 74_752) / 1_182_592).toBeCloseTo(6.3, 1);
    expect((100 * 149_504) / 1_182_592).toBeCloseTo(12.6, 1);
  });

  test('the table of adapter against full fine-tune has the logs\' numbers', () => {
    const lora = readLog('chat-sft-lora');
    const full = readLog('chat-sft-full');
    const right = (log: FinetuneLog) => Object.values(log.chatTest!.after).reduce((sum, [r]) => sum + r, 0);
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    expect(lora.options.steps).toBe(full.options.steps);
    expect(lora.options.seed).toBe(full.options.seed);
    expect(lora.options.batchSize).toBe(full.options.batchSize);
    expect(lora.options.seqLength).toBe(full.options.seqLength);
    const rows = [
      `| values trained | ${lora.trainableParameters.toLocaleString('en-US')} | ${full.trainableParameters.toLocaleString('en-US')} |`,
      `| AdamW state ($m$ and $v$, float32) | ${mb(optimizerStateBytes(lora.trainableParameters))} MB | ${mb(optimizerStateBytes(full.trainableParameters))} MB |`,
      `| held-out chat answers, loss | ${two(lora.evalBefore.chat)} → ${two(lora.evalAfter.chat)} | ${two(full.evalBefore.chat)} → ${two(full.evalAfter.chat)} |`,
      `| held-out stories, loss | ${two(lora.evalBefore.stories)} → ${two(lora.evalAfter.stories)} | ${two(full.evalBefore.stories)} → ${two(full.evalAfter.stories)} |`,
      `| test replies right | ${right(lora)} of ${lora.chatTest!.pairs} | ${right(full)} of ${full.chatTest!.pairs} |`,
      `| shipped file | ${mb(statSync(join(ADAPTERS, 'chat-sft-lora', 'adapter_model.safetensors')).size)} MB (float32 adapter) | ${mb(statSync(join(RUNS, 'chat-sft-full', 'model.safetensors')).size)} MB (float16 model) |`,
    ];
    expect(lora.options.peakLearningRate).toBe(3e-3);
    expect(full.options.peakLearningRate).toBe(3e-4);
    expect(chapter).toContain('| peak learning rate | $3 \\cdot 10^{-3}$ | $3 \\cdot 10^{-4}$ |');
    for (const row of rows) expect(chapter).toContain(row);
    // the prose under the table
    expect(chapter).toContain(`Its chat loss ended at\n${two(full.evalAfter.chat)} against the adapter's ${two(lora.evalAfter.chat)}; it answered ${right(full)} of the 30 test prompts`);
    expect(chapter).toContain(`the\nstories' loss rose to ${two(full.evalAfter.stories)}, against the adapter's ${two(lora.evalAfter.stories)}.`);
    expect(full.evalAfter.chat).toBeLessThan(lora.evalAfter.chat);
    expect(full.evalAfter.stories).toBeLessThan(lora.evalAfter.stories);
    expect(chapter).toContain('our full fine-tune on the same chat pairs forgot less');
    expect(chapter).toContain(`"Once upon a time${full.samples[4].after.trim()}"`);
    // "about an eighth of the optimizer state and a file a quarter the size"
    expect(lora.trainableParameters / full.trainableParameters).toBeCloseTo(1 / 8, 2);
    const fileRatio = statSync(join(ADAPTERS, 'chat-sft-lora', 'adapter_model.safetensors')).size / statSync(join(RUNS, 'chat-sft-full', 'model.safetensors')).size;
    expect(fileRatio).toBeCloseTo(1 / 4, 1);
    expect(chapter).toContain(`- Full: chat loss ${two(full.evalAfter.chat)} (adapter ${two(lora.evalAfter.chat)}), stories ${two(full.evalAfter.stories)} (adapter ${two(lora.evalAfter.stories)})`);
    // the slide
    expect(chapter).toContain(`- ${full.trainableParameters.toLocaleString('en-US')} values trained against ${lora.trainableParameters.toLocaleString('en-US')}`);
    expect(chapter).toContain(`- AdamW state: ${mb(optimizerStateBytes(full.trainableParameters))} MB against ${mb(optimizerStateBytes(lora.trainableParameters))} MB`);
  });
});
