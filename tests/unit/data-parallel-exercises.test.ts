// Every answer of src/exercises/14-data-parallel.ts, checked against the chapter's maths and engine.
import { describe, expect, test } from 'vitest';
import { PARAMETER_PRESETS } from '../../src/chapters/anatomy';
import { compareRuns, DEVICE_MEMORY_BYTES, memoryPerDevice, NOTES_SINGLE_MACHINE_LOG, NOTES_TWO_MACHINE_LOG, readTrainerLog, STRATEGIES } from '../../src/chapters/dataParallel';
import exercises from '../../src/exercises/14-data-parallel';
import { globalBatchSize } from '../../src/llama/dataParallel';

const byId = (id: string) => exercises.find((e) => e.id === id)!;
const config = (id: string) => PARAMETER_PRESETS.find((p) => p.id === id)!.config;

describe('data-parallel exercises', () => {
  test('one of each kind, unique ids, widgets that exist with settings they have', () => {
    expect(new Set(exercises.map((e) => e.kind))).toEqual(new Set(['choice', 'numeric', 'widget']));
    expect(new Set(exercises.map((e) => e.id)).size).toBe(exercises.length);
    const settings: Record<string, string[]> = { 'dp-ranks': ['ranks', 'sameData', 'steps'], 'dp-log-reader': ['baseDevices', 'scaledDevices'], 'dp-memory': ['model', 'devices', 'microBatch', 'sequence', 'recompute'] };
    for (const exercise of exercises) {
      const uses = exercise.kind === 'widget' ? [{ widget: exercise.widget, state: { ...exercise.start, ...exercise.goal } }] : exercise.run ? [exercise.run] : [];
      for (const { widget, state } of uses) for (const key of Object.keys(state)) expect(settings[widget]).toContain(key);
    }
  });
  test('speedup per epoch done', () => {
    const exercise = byId('speedup-per-epoch');
    const { epochSpeedup } = compareRuns(readTrainerLog(NOTES_SINGLE_MACHINE_LOG), readTrainerLog(NOTES_TWO_MACHINE_LOG), 1, 2);
    expect(exercise.kind === 'numeric' && Math.abs(epochSpeedup - exercise.answer) <= exercise.tolerance).toBe(true);
  });
  test('global batch', () => {
    const exercise = byId('global-batch');
    expect(exercise.kind === 'numeric' && exercise.answer).toBe(globalBatchSize(32, 2, 4));
  });
  test('ZeRO-3 model states of Llama 2 7B on 8 devices', () => {
    const exercise = byId('zero3-states');
    const m = memoryPerDevice({ config: config('llama-2-7b'), strategy: 'zero3', devices: 8, microBatch: 1, sequence: 4096, recompute: false });
    expect(exercise.kind === 'numeric' && Math.abs((m.weights + m.gradients + m.optimizer) / 1e9 - exercise.answer) <= exercise.tolerance).toBe(true);
  });
  test('Llama 2 70B on 16 devices with recomputation: ZeRO-3, TP and PP fit 80 GB, DP and ZeRO-1/2 do not', () => {
    const fits = STRATEGIES.filter(
      (strategy) => memoryPerDevice({ config: config('llama-2-70b'), strategy, devices: 16, microBatch: 1, sequence: 4096, recompute: true }).total <= DEVICE_MEMORY_BYTES,
    );
    expect(fits).toEqual(['zero3', 'tp', 'pp']);
  });
  test('the same-data choice: equal local losses (the rank test checks it on the model)', () => {
    const exercise = byId('same-loss-bug');
    expect(exercise.kind === 'choice' && exercise.choices[exercise.answer]).toBe('They are equal at every step');
  });
});
