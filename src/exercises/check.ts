// The exercise checker: pure functions from (exercise, the reader's answer) to right or wrong, the
// parsing of a typed number, the test of a widget's state against a goal, and the checks every
// chapter's exercise file must pass (tests/unit/exercises.test.ts runs them on every file).
// No DOM, no storage: the page (src/exercises/client.ts) and the tests share this module.
import type { ChoiceExercise, Exercise, NumericExercise, SettingGoal, WidgetSettings } from './types';
import type { Setting, StateSchema } from '../widgets/state';
import { resolveState, stateParam } from '../widgets/state';

/** An exercise id: lowercase letters, digits and dashes, starting with a letter (it is in the link). */
export const EXERCISE_ID = /^[a-z][a-z0-9-]*$/;

/** The fewest exercises a chapter has. */
export const MIN_EXERCISES = 3;

/** The element id (and link fragment) of an exercise: /chapters/<chapter>/#exercise-<id>. */
export function exerciseAnchor(id: string): string {
  return `exercise-${id}`;
}

/**
 * A number as a reader types it: "1024", "1,024", "1 024", "6.7e9", "-0.28", "−0.28" (a typographic
 * minus); null for anything that is not one finite number (a unit after it, two numbers, "NaN").
 * A comma is read as a thousands separator only in groups of three digits, so "0,5" is refused
 * rather than read as 5.
 */
export function parseNumber(typed: string): number | null {
  const text = typed.trim().replace(/\u2212/g, '-').replace(/[\u00a0\u202f]/g, ' ');
  if (text === '') return null;
  const grouped = /^[-+]?\d{1,3}([, ]\d{3})+(\.\d+)?$/;
  const plain = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i;
  let digits: string;
  if (grouped.test(text)) digits = text.replace(/[, ]/g, '');
  else if (plain.test(text)) digits = text;
  else return null;
  const value = Number(digits);
  return Number.isFinite(value) ? value : null;
}

/** Whether choice `picked` (an index into `choices`) is the right one. */
export function checkChoice(exercise: ChoiceExercise, picked: number): boolean {
  return picked === exercise.answer;
}

/** Whether `given` is within the exercise's tolerance of its answer. */
export function checkNumeric(exercise: NumericExercise, given: number): boolean {
  return Number.isFinite(given) && Math.abs(given - exercise.answer) <= exercise.tolerance;
}

/** Whether one setting's value meets its goal: equal, or inside [min, max] for a range. */
export function settingMeetsGoal(value: string | number | boolean | undefined, goal: SettingGoal): boolean {
  if (typeof goal === 'object') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    return (goal.min === undefined || value >= goal.min) && (goal.max === undefined || value <= goal.max);
  }
  return value === goal;
}

export interface GoalPart {
  setting: string;
  met: boolean;
  /** The goal in words: "temperature ≤ 0.3", "mode = causal". */
  wanted: string;
}

/** The goal in words for one setting. */
export function describeSettingGoal(setting: string, goal: SettingGoal): string {
  if (typeof goal !== 'object') return `${setting} = ${String(goal)}`;
  if (goal.min !== undefined && goal.max !== undefined) return `${setting} from ${goal.min} to ${goal.max}`;
  if (goal.min !== undefined) return `${setting} ≥ ${goal.min}`;
  return `${setting} ≤ ${goal.max}`;
}

/** Each setting of `goal`, whether the widget's `state` meets it, in the goal's order. */
export function goalProgress(goal: Record<string, SettingGoal>, state: Readonly<WidgetSettings>): GoalPart[] {
  return Object.entries(goal).map(([setting, wanted]) => ({
    setting,
    met: settingMeetsGoal(state[setting], wanted),
    wanted: describeSettingGoal(setting, wanted),
  }));
}

/** Whether the widget's state meets every setting of the goal. */
export function goalMet(goal: Record<string, SettingGoal>, state: Readonly<WidgetSettings>): boolean {
  return goalProgress(goal, state).every((part) => part.met);
}

/** The whole state a widget starts from: its schema defaults, overridden by `settings`. */
export function startState(schema: StateSchema, settings: WidgetSettings = {}): WidgetSettings {
  const defaults = Object.fromEntries(Object.entries(schema).map(([name, setting]) => [name, setting.default]));
  return { ...defaults, ...settings };
}

/** Whether `$` delimiters pair up (an odd count leaves maths unrendered). Escaped `\$` do not count. */
function balancedMaths(text: string): boolean {
  return (text.replace(/\\\$/g, '').match(/\$/g)?.length ?? 0) % 2 === 0;
}

function goalFitsSetting(setting: Setting, goal: SettingGoal): string | null {
  if (typeof goal === 'object') {
    if (setting.kind !== 'integer' && setting.kind !== 'number') return `a range goal on a ${setting.kind} setting`;
    if (goal.min === undefined && goal.max === undefined) return 'a range goal with neither min nor max';
    if (goal.min !== undefined && goal.max !== undefined && goal.min > goal.max) return `min ${goal.min} above max ${goal.max}`;
    const low = goal.min ?? setting.min;
    const high = goal.max ?? setting.max;
    if (high < setting.min || low > setting.max) return `a range outside the setting's ${setting.min} to ${setting.max}`;
    return null;
  }
  const search = new URLSearchParams([[stateParam('goal', 'value'), String(goal)]]);
  const resolved = resolveState({ value: setting }, 'goal', {}, search);
  if (resolved.linkProblems.length > 0 || resolved.state.value !== goal) return `${JSON.stringify(goal)}, which the setting cannot take`;
  return null;
}

function settingsProblems(schema: StateSchema, settings: WidgetSettings, what: string): string[] {
  const resolved = resolveState(schema, 'exercise', settings, new URLSearchParams());
  return resolved.authorProblems.map((problem) => `${what}: ${problem.replace(/^Widget "exercise": the chapter sets/, 'sets')}`);
}

/**
 * Everything wrong with a chapter's exercises, as sentences naming the exercise (empty when all is
 * well): ids, counts and kinds, choices and answers, tolerances, unbalanced maths, and for every
 * widget named (`run.widget`, `widget`) that it exists in `schemas` and that its settings and goal
 * fit its schema, and that a widget exercise does not start at its goal already.
 */
export function exerciseProblems(exercises: readonly Exercise[], schemas: Readonly<Record<string, StateSchema>>): string[] {
  const problems: string[] = [];
  if (exercises.length < MIN_EXERCISES) problems.push(`${exercises.length} exercises; a chapter has at least ${MIN_EXERCISES}.`);
  for (const kind of ['choice', 'numeric', 'widget'] as const) {
    if (!exercises.some((exercise) => exercise.kind === kind)) problems.push(`no exercise of kind '${kind}'; a chapter has one of each kind.`);
  }
  const seen = new Set<string>();
  for (const exercise of exercises) {
    const name = `Exercise "${exercise.id}"`;
    if (!EXERCISE_ID.test(exercise.id)) problems.push(`${name}: an id is lowercase letters, digits and dashes, starting with a letter.`);
    if (seen.has(exercise.id)) problems.push(`${name}: the id is used twice.`);
    seen.add(exercise.id);
    for (const field of ['prompt', 'explanation', 'source'] as const) {
      if (exercise[field].trim() === '') problems.push(`${name}: ${field} is empty.`);
    }
    const texts = [exercise.prompt, exercise.explanation, ...(exercise.kind === 'choice' ? exercise.choices : [])];
    if (!texts.every(balancedMaths)) problems.push(`${name}: a text has an unpaired $ (maths is $...$).`);
    if (!/^tests\/unit\/[\w.-]+\.test\.ts$/.test(exercise.source)) problems.push(`${name}: source names the unit test that checks it (tests/unit/<name>.test.ts).`);

    const runOrWidget = exercise.kind === 'widget' ? { widget: exercise.widget, state: exercise.start ?? {} } : exercise.run;
    const schema = runOrWidget ? schemas[runOrWidget.widget] : undefined;
    if (runOrWidget && !schema) problems.push(`${name}: no widget named "${runOrWidget.widget}".`);
    if (runOrWidget && schema) problems.push(...settingsProblems(schema, runOrWidget.state, name));

    switch (exercise.kind) {
      case 'choice':
        if (exercise.choices.length < 2) problems.push(`${name}: a choice needs at least two choices.`);
        if (new Set(exercise.choices).size !== exercise.choices.length) problems.push(`${name}: two choices read the same.`);
        if (!Number.isInteger(exercise.answer) || exercise.answer < 0 || exercise.answer >= exercise.choices.length) {
          problems.push(`${name}: answer ${exercise.answer} is not the index of a choice (0 to ${exercise.choices.length - 1}).`);
        }
        if (!exercise.run) problems.push(`${name}: a choice is predict-then-run, so it names the widget to run (run).`);
        break;
      case 'numeric':
        if (!Number.isFinite(exercise.answer)) problems.push(`${name}: the answer is not a finite number.`);
        if (!(exercise.tolerance >= 0) || !Number.isFinite(exercise.tolerance)) problems.push(`${name}: the tolerance is not a finite number ≥ 0.`);
        break;
      case 'widget': {
        const goalNames = Object.keys(exercise.goal);
        if (goalNames.length === 0) problems.push(`${name}: the goal names no setting.`);
        if (!schema) break;
        for (const setting of goalNames) {
          if (!(setting in schema)) {
            problems.push(`${name}: the goal names "${setting}", which is not a setting of ${exercise.widget} (${Object.keys(schema).join(', ')}).`);
            continue;
          }
          const misfit = goalFitsSetting(schema[setting], exercise.goal[setting]);
          if (misfit) problems.push(`${name}: the goal for ${setting} is ${misfit}.`);
        }
        if (goalNames.length > 0 && goalNames.every((setting) => setting in schema) && goalMet(exercise.goal, startState(schema, exercise.start))) {
          problems.push(`${name}: the widget starts at the goal already; nothing to do.`);
        }
        break;
      }
    }
  }
  return problems;
}
