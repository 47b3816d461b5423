// The answers of the exercises of chapters 1 to 11 (src/exercises/<chapter-id>.ts), each checked
// against the maths of its chapter or the engine, computed here independently in float64 where the
// maths is short. A chapter's facts about the shipped model come from its own tested constants
// (SHIPPED_HEAD_FACTS and the like, asserted on the weights by that chapter's tests).
import { describe, expect, test } from 'vitest';
import type { ChoiceExercise, Exercise, NumericExercise, WidgetExercise } from '../../src/exercises/types';
import { exercisesFor } from '../../src/exercises/catalog';

function exercise<Kind extends Exercise['kind']>(chapterId: string, id: string, kind: Kind): Extract<Exercise, { kind: Kind }> {
  const found = exercisesFor(chapterId).find((candidate) => candidate.id === id);
  if (!found) throw new Error(`${chapterId} has no exercise "${id}"`);
  if (found.kind !== kind) throw new Error(`${chapterId} "${id}" is a ${found.kind}, not a ${kind}`);
  return found as Extract<Exercise, { kind: Kind }>;
}
const choice = (chapterId: string, id: string): ChoiceExercise => exercise(chapterId, id, 'choice');
const numeric = (chapterId: string, id: string): NumericExercise => exercise(chapterId, id, 'numeric');
const widget = (chapterId: string, id: string): WidgetExercise => exercise(chapterId, id, 'widget');

/** float64 softmax, written out. */
function softmax(logits: readonly number[]): number[] {
  const largest = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - largest));
  const total = exps.reduce((sum, e) => sum + e, 0);
  return exps.map((e) => e / total);
}

describe('01-how-to-read', async () => {
  const { EXAMPLE_LOGITS, schema } = await import('../../components/SoftmaxTemperature');
  const logits = EXAMPLE_LOGITS.map((token) => token.logit);
  const at = (temperature: number) => softmax(logits.map((z) => z / temperature));
  const moon = EXAMPLE_LOGITS.findIndex((token) => token.label === 'moon');
  const mat = EXAMPLE_LOGITS.findIndex((token) => token.label === 'mat');

  test('hotter-moon: p(moon) rises from T = 1 to T = 3 (0.011 to 0.076)', () => {
    const question = choice('01-how-to-read', 'hotter-moon');
    expect(at(1)[moon]).toBeCloseTo(0.0113, 4);
    expect(at(3)[moon]).toBeCloseTo(0.076, 3);
    expect(at(1)[mat]).toBeCloseTo(0.458, 3);
    expect(at(3)[mat]).toBeCloseTo(0.261, 3);
    expect(question.choices[question.answer]).toBe('It rises');
    expect(question.run?.state.temperature).toBe(3);
  });

  test('mat-at-one: softmax(z)[mat] = 0.458', () => {
    const question = numeric('01-how-to-read', 'mat-at-one');
    expect(Math.abs(at(1)[mat] - question.answer)).toBeLessThanOrEqual(question.tolerance / 2);
    expect(question.prompt).toContain(`$z = (${logits.map((z) => z.toFixed(1)).join(', ')})$`);
  });

  test('mat-majority: every slider step up to T = 0.6 gives p(mat) > 0.6, every step above does not', () => {
    const question = widget('01-how-to-read', 'mat-majority');
    const step = 0.05; // the slider's step (components/SoftmaxTemperature.ts)
    const steps = Array.from({ length: Math.round((schema.temperature.max - schema.temperature.min) / step) + 1 }, (_, i) => schema.temperature.min + i * step);
    for (const temperature of steps) {
      const meets = temperature <= (question.goal.temperature as { max: number }).max + 1e-9;
      expect(at(temperature)[mat] > 0.6, `T = ${temperature}`).toBe(meets);
    }
    expect(at(0.6)[mat]).toBeCloseTo(0.623, 3);
    expect(at(0.65)[mat]).toBeCloseTo(0.595, 3);
  });
});
