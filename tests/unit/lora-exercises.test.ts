// The LoRA chapter's exercises (src/exercises/13-lora.ts): every answer against the chapter maths
// or the shipped model and adapter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import exercises from '../../src/exercises/13-lora';
import { compareFineTuning, loraParameterCount, loraPreset, maxAbsDifference } from '../../src/chapters/lora';
import { loadAdapter } from '../../src/llama/lora';
import { inspectLoraUpdate } from '../../src/llama/loraInspect';
import { LlamaModel } from '../../src/llama/model';
import { Sessions } from '../../src/runtime/sessions';
import { schema as calculatorSchema } from '../../components/LoraCalculator';
import { schema as labSchema } from '../../components/LoraLab';
import { schema as inspectorSchema } from '../../components/LoraUpdateInspector';
import { LORA_NAME_ADAPTER_DIR } from '../../scripts/lora-name-adapter';
import { useBackend } from './helpers/backends';
import { loadChapterModel, type ChapterModel } from './helpers/chapter-model';

const byId = (id: string) => exercises.find((exercise) => exercise.id === id)!;
const SCHEMAS: Record<string, Record<string, unknown>> = { 'lora-calculator': calculatorSchema, 'lora-lab': labSchema, 'lora-update-inspector': inspectorSchema };

describe('LoRA exercises', () => {
  let chapter: ChapterModel;
  beforeAll(async () => {
    await useBackend('wasm');
    chapter = loadChapterModel();
  });
  afterAll(async () => {
    chapter.model.dispose();
    await useBackend('cpu');
  });

  test('three kinds at least, unique ids, and every widget setting they name is one the widget has', () => {
    expect(new Set(exercises.map((e) => e.kind))).toEqual(new Set(['numeric', 'choice', 'widget']));
    expect(new Set(exercises.map((e) => e.id)).size).toBe(exercises.length);
    for (const exercise of exercises) {
      const states = exercise.kind === 'widget' ? [{ widget: exercise.widget, state: { ...exercise.start, ...exercise.goal } }] : exercise.run ? [exercise.run] : [];
      for (const { widget, state } of states) for (const key of Object.keys(state)) expect(Object.keys(SCHEMAS[widget]), `${exercise.id}: ${key}`).toContain(key);
    }
  });

  test('r 8 on q_proj and v_proj of our model: 14,336 values', () => {
    const exercise = byId('qv-rank-8-ours');
    expect(exercise.kind === 'numeric' && exercise.answer).toBe(loraParameterCount(loraPreset('glass-llama').config, 8, ['q_proj', 'v_proj']).trainable);
  });

  test('a fresh adapter gives exactly the base logits', () => {
    const exercise = byId('first-step-difference');
    const sessions = new Sessions(() => chapter.model);
    sessions.fork('fresh');
    sessions.attachLora({ session: 'fresh', config: { r: 4, lora_alpha: 32, target_modules: ['q_proj', 'v_proj', 'down_proj'] }, seed: 3 });
    const ids = chapter.tokenizer.encode('Once upon a time', { bos: true });
    const logits = (model: LlamaModel) => tf.tidy(() => model.forward(tf.tensor2d([ids], undefined, 'int32')).logits.dataSync());
    expect(maxAbsDifference(logits(sessions.model('fresh')), logits(chapter.model))).toBe(0);
    sessions.dropAll();
    expect(exercise.kind === 'choice' && exercise.answer).toBe(0);
  });

  test("the shipped adapter's layer 0 q_proj update has 4 non-zero singular values", () => {
    const exercise = byId('rank-of-update');
    const files = {
      'adapter_config.json': readFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_config.json'), 'utf8'),
      'adapter_model.safetensors': new Uint8Array(readFileSync(join(LORA_NAME_ADAPTER_DIR, 'adapter_model.safetensors'))),
    };
    const adapter = loadAdapter(chapter.model.config, files);
    const adapted = LlamaModel.fromWeights(chapter.model.config, chapter.model.toWeightMap());
    adapted.attachAdapter(adapter);
    const seen = inspectLoraUpdate(adapted, chapter.tokenizer.encode('Once upon a time', { bos: true }), 0, 'q_proj');
    expect(exercise.kind === 'choice' && exercise.choices[exercise.answer]).toBe(String(seen.rank));
    expect(seen.singularValues.every((value) => value > 1e-3 * seen.singularValues[0])).toBe(true);
    adapted.dispose();
    adapter.dispose();
  });

  test('Llama 2 7B, bf16, AdamW, q and v: under 14.1 GB up to r = 74, over at 75', () => {
    const exercise = byId('llama2-7b-memory-budget');
    const total = (r: number) => compareFineTuning(loraPreset('llama-2-7b').config, r, ['q_proj', 'v_proj'], 'bf16', 'adamw').lora.total;
    expect(exercise.kind === 'widget' && exercise.goal.r).toEqual({ min: 64, max: 74 });
    for (let r = 64; r <= 74; r++) expect(total(r)).toBeLessThan(14.1e9);
    expect(total(75)).toBeGreaterThan(14.1e9);
    expect((total(74) / 1e9).toFixed(3)).toBe('14.098');
    expect((total(75) / 1e9).toFixed(3)).toBe('14.106');
  });
});
