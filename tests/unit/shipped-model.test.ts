/**
 * The shipped model, public/models/glass-llama/, checked from its files: they load and agree with
 * each other, it beats a bigram model on held-out stories, it writes corpus English, and it copies
 * character names. Nothing here trains.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BigramModel, continueText, fitBigram, loadShippedModel, MODEL_DIR, NAME_RECALL_TARGET, nameRecall, storyExamples, validationBatches, type ShippedModel } from '../../scripts/eval';
import { expectedWeightShapes } from '../../src/llama/weights';
import { readSafetensors } from '../../src/llama/safetensors';
import { evaluateLoss } from '../../src/llama/train';
import { useBackend } from './helpers/backends';

const configJson = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8'));
let shipped: ShippedModel;

beforeAll(async () => {
  await useBackend('wasm');
  shipped = loadShippedModel();
});

afterAll(() => shipped?.model.dispose());

describe('BigramModel', () => {
  test('is (count + alpha) / (row total + alpha V) and its loss averages the counted targets', () => {
    const bigram = new BigramModel(4, 1).fit([[1, 2, 2, 3], [1, 2]]); // pairs: 1->2 twice, 2->2, 2->3
    expect(Math.exp(bigram.logProb(1, 2))).toBeCloseTo((2 + 1) / (2 + 4), 12);
    expect(Math.exp(bigram.logProb(2, 3))).toBeCloseTo((1 + 1) / (2 + 4), 12);
    expect(Math.exp(bigram.logProb(3, 0))).toBeCloseTo(1 / 4, 12); // unseen row: uniform
    const loss = bigram.loss([{ inputs: [[1, 2]], targets: [[2, 3]], lossMask: [[1, 0]] }]);
    expect(loss).toBeCloseTo(-Math.log(0.5), 12);
  });
});

describe('shipped files', () => {
  test('config.json is a Hugging Face LlamaConfig', () => {
    expect(configJson.architectures).toEqual(['LlamaForCausalLM']);
    expect(configJson.model_type).toBe('llama');
    expect(configJson.torch_dtype).toBe('float16');
    expect(configJson.hidden_act).toBe('silu');
    expect(configJson.tie_word_embeddings).toBe(false);
    expect(configJson.num_key_value_heads).toBeLessThan(configJson.num_attention_heads); // grouped-query attention
    expect(configJson.max_position_embeddings).toBeGreaterThanOrEqual(128);
    expect(configJson).not.toHaveProperty('rope_layout');
  });

  test('model.safetensors is F16, under 4 MB, with every HF tensor at the shape the config implies', () => {
    const bytes = readFileSync(join(MODEL_DIR, 'model.safetensors'));
    expect(statSync(join(MODEL_DIR, 'model.safetensors')).size).toBeLessThan(4 * 1024 * 1024);
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    const weights = readSafetensors(bytes);
    const expected = expectedWeightShapes(shipped.config);
    expect([...weights.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, shape] of expected) {
      expect(weights.get(name)!.shape, name).toEqual(shape);
      expect(header[name].dtype, name).toBe('F16');
    }
  });

  test('the tokenizer and the model agree on the vocabulary, and the card states it', () => {
    expect(shipped.tokenizer.vocabSize).toBe(configJson.vocab_size);
    const card = readFileSync(join(MODEL_DIR, 'README.md'), 'utf8');
    expect(card).toContain(`${configJson.vocab_size} of Llama-2's 32000 pieces are kept`);
    const log = JSON.parse(readFileSync(join(MODEL_DIR, 'training-log.json'), 'utf8'));
    expect(log.entries.length).toBeGreaterThan(10);
    expect(log.config.hidden_size).toBe(configJson.hidden_size);
  });
});

describe('shipped model', () => {
  test('has a lower validation loss than a bigram model fitted on the training split', () => {
    const batches = validationBatches(shipped.tokenizer, shipped.config.max_position_embeddings);
    const before = tf.memory().numTensors;
    const modelLoss = evaluateLoss(shipped.model, batches);
    expect(tf.memory().numTensors).toBe(before);
    const bigramLoss = fitBigram(shipped.tokenizer).loss(batches);
    console.log(`validation loss: model ${modelLoss.toFixed(3)}, bigram ${bigramLoss.toFixed(3)} nats/token`);
    expect(modelLoss).toBeLessThan(bigramLoss);
  }, 600_000);

  test('continues "Once upon a time" greedily with corpus words only', async () => {
    const vocabulary = new Set<string>();
    for (const { text } of storyExamples('train').slice(0, 20000)) for (const word of text.match(/[A-Za-z']+/g)!) vocabulary.add(word);
    const text = await continueText(shipped, 'Once upon a time', 0, 80);
    console.log(text);
    expect(text.startsWith('Once upon a time')).toBe(true);
    const words = text.match(/[A-Za-z']+/g)!;
    expect(words.length).toBeGreaterThan(20);
    expect(words.filter((word) => !vocabulary.has(word))).toEqual([]);
  }, 600_000);

  // Issue 4's target: at least 70% (npm run eval also fails below it). The figure must also be the
  // one the model card and eval.json publish, and so must the head that looks back at the name.
  test('name recall at the second mention of a character, on 200 held-out stories, is at least 70% and the figure eval.json states', async () => {
    const stated = JSON.parse(readFileSync(join(MODEL_DIR, 'eval.json'), 'utf8'));
    const { accuracy, cases, lookupHeads } = await nameRecall(shipped, storyExamples('test').slice(0, 200));
    console.log(`name recall: ${(100 * accuracy).toFixed(1)}% of ${cases.length} names (target ${100 * NAME_RECALL_TARGET}%)`);
    expect(accuracy).toBeGreaterThanOrEqual(NAME_RECALL_TARGET);
    expect(cases.length).toBe(stated.nameRecallCases);
    expect(accuracy).toBeCloseTo(stated.nameRecall, 3);
    expect(lookupHeads[0]).toEqual({ ...stated.nameLookupHeads[0], attention: expect.closeTo(stated.nameLookupHeads[0].attention, 3) });
  }, 600_000);
});
