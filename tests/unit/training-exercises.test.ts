// The training chapter's exercises (src/exercises/12-training.ts): every answer against the
// chapter's maths, the engine's schedule and the shipped race and logs.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import exercises from '../../src/exercises/12-training';
import { adamWScalarStep, formatRate, maskedLosses, type LrRaceFile } from '../../src/chapters/training';
import { learningRateAt } from '../../src/llama/train';
import { schema as raceSchema } from '../../components/TrainLrRace';
import { PRESETS, schema as beforeAfterSchema } from '../../components/TrainBeforeAfter';

const byId = (id: string) => exercises.find((exercise) => exercise.id === id)!;

describe('training exercises', () => {
  test('at least three, of every kind, with unique ids', () => {
    expect(exercises.length).toBeGreaterThanOrEqual(3);
    expect(new Set(exercises.map((e) => e.kind))).toEqual(new Set(['choice', 'numeric', 'widget']));
    expect(new Set(exercises.map((e) => e.id)).size).toBe(exercises.length);
  });

  test('the first AdamW step is the formula’s', () => {
    const exercise = byId('adamw-first-step');
    expect(exercise.kind === 'numeric' && exercise.answer).toBeCloseTo(
      adamWScalarStep({ weight: 1, gradient: 0.5, m: 0, v: 0, t: 1, learningRate: 0.1, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 }).weight,
      6,
    );
  });

  test('the half-way learning rate is the schedule’s, and the shipped log’s', () => {
    const exercise = byId('halfway-learning-rate');
    const rate = learningRateAt(1030, { peakLearningRate: 3e-3, warmupSteps: 60, totalSteps: 2000, finalFraction: 0.1 });
    expect(exercise.kind === 'numeric' && exercise.answer).toBeCloseTo(rate * 1e3, 9);
    const log = JSON.parse(readFileSync('public/models/glass-llama/training-log.json', 'utf8')) as { entries: { step: number; learningRate: number }[] };
    expect(log.entries.find((e) => e.step === 1030)!.learningRate).toBeCloseTo(rate, 15);
  });

  test('the masked loss is maskedLosses’', () => {
    const exercise = byId('masked-loss');
    expect(exercise.kind === 'numeric' && exercise.answer).toBe(maskedLosses([1, 2, 3, 4], [0, 0, 0, 1, 1]).masked);
  });

  test('the race’s winner among the three rates is the one with the lowest held-out loss in the shipped race, and the run state is valid', () => {
    const exercise = byId('race-largest-rate');
    if (exercise.kind !== 'choice') throw new Error('expected a choice exercise');
    const race = JSON.parse(readFileSync('public/models/glass-llama/runs/lr-race.json', 'utf8')) as LrRaceFile;
    const held = exercise.choices.map((choice) => race.runs.find((run) => formatRate(run.learningRate) === choice)!.heldOutAfter);
    expect(held.indexOf(Math.min(...held))).toBe(exercise.answer);
    for (const key of ['a', 'b', 'c'] as const) expect(raceSchema[key].choices).toContain(exercise.run!.state[key]);
  });

  test('the widget goal is reachable: a preset prompt and a model of the figure', () => {
    const exercise = byId('ask-the-notes-adapter');
    if (exercise.kind !== 'widget') throw new Error('expected a widget exercise');
    expect(PRESETS).toContain(exercise.goal.prompt);
    expect(beforeAfterSchema.model.choices).toContain(exercise.goal.model);
  });
});
