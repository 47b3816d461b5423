/**
 * Exercises: the data every chapter writes, one file per chapter: src/exercises/<chapter-id>.ts
 * exporting `default` an `Exercise[]` (at least three per chapter). The course kit (src/exercises/*,
 * components for rendering) draws them at the end of the chapter, before the Summary, keeps the
 * reader's progress in localStorage (with a reset), and gives each exercise a link
 * (/chapters/<chapter-id>/#exercise-<id>).
 *
 * Text fields are plain text; `$...$` is KaTeX inline maths. Every answer must be checked by a
 * unit test against the engine, the shipped weights or the chapter's maths (like any other number
 * the chapter states): say in `source` which test.
 *
 * Kinds:
 * - 'choice' (predict, then run): the reader picks an answer, then the widget runs with `run.state`
 *   so they see whether the model agrees. `answer` is the index in `choices`.
 * - 'numeric': the reader types a number; right when |given - answer| <= tolerance.
 * - 'widget': the reader must bring a live widget into a state: every key of `goal` is one of the
 *   widget's settings (its URL state, src/widgets/state.ts) and must equal the value given, or lie
 *   in [min, max] for numbers. The widget starts from `start` (settings not named: its defaults).
 */
export type WidgetSettings = Record<string, string | number | boolean>;

export interface ExerciseBase {
  /** Unique in its chapter: lowercase letters, digits and dashes (it is in the link). */
  id: string;
  /** The question. */
  prompt: string;
  /** Shown after an answer: why the right answer is right (the derivation or what the model did). */
  explanation: string;
  /** Which test checks the answer, e.g. 'tests/unit/rope-chapter.test.ts'. */
  source: string;
}

export interface ChoiceExercise extends ExerciseBase {
  kind: 'choice';
  choices: string[];
  answer: number;
  /** The widget (registry name, e.g. 'softmax-temperature') and the state it runs with after the answer. */
  run?: { widget: string; state: WidgetSettings };
}

export interface NumericExercise extends ExerciseBase {
  kind: 'numeric';
  answer: number;
  tolerance: number;
  unit?: string;
  run?: { widget: string; state: WidgetSettings };
}

export type SettingGoal = string | number | boolean | { min?: number; max?: number };

export interface WidgetExercise extends ExerciseBase {
  kind: 'widget';
  widget: string;
  start?: WidgetSettings;
  goal: Record<string, SettingGoal>;
}

export type Exercise = ChoiceExercise | NumericExercise | WidgetExercise;
