// The exercise kit: the checker, the progress store, the section's markup, and the rules every
// chapter's src/exercises/<chapter-id>.ts must meet (run against each file, with each named
// widget's real schema).
import { describe, expect, test } from 'vitest';
import {
  checkChoice,
  checkNumeric,
  describeSettingGoal,
  exerciseAnchor,
  exerciseProblems,
  goalMet,
  goalProgress,
  parseNumber,
  settingMeetsGoal,
  startState,
} from '../../src/exercises/check';
import { exercisesByChapter, exercisesFor } from '../../src/exercises/catalog';
import { loadProgress, progressKey, progressSummary, resetProgress, saveAnswer, type ProgressStorage } from '../../src/exercises/progress';
import { exercisesHtml, textWithMaths, withExercises } from '../../src/exercises/render';
import type { ChoiceExercise, Exercise, NumericExercise, WidgetExercise } from '../../src/exercises/types';
import { integer, number, choice, flag, text, type StateSchema } from '../../src/widgets/state';
import { widgetRegistry } from '../../src/widgets/registry';

const choiceExercise: ChoiceExercise = {
  kind: 'choice',
  id: 'sharper',
  prompt: 'At $T = 0.5$, does the top token gain or lose probability?',
  choices: ['It gains', 'It loses', 'It stays'],
  answer: 0,
  run: { widget: 'softmax-temperature', state: { temperature: 0.5 } },
  explanation: 'Dividing by $T < 1$ stretches the gaps between logits.',
  source: 'tests/unit/exercises.test.ts',
};
const numericExercise: NumericExercise = {
  kind: 'numeric',
  id: 'head-dim',
  prompt: 'What is $d / h$ for $d = 64$, $h = 8$?',
  answer: 8,
  tolerance: 0,
  explanation: '64 / 8 = 8.',
  source: 'tests/unit/exercises.test.ts',
};
const widgetExercise: WidgetExercise = {
  kind: 'widget',
  id: 'cool-down',
  prompt: 'Make the top token take more than half the mass.',
  widget: 'softmax-temperature',
  start: { temperature: 1 },
  goal: { temperature: { max: 0.6 } },
  explanation: 'Below about 0.6 the top token passes one half.',
  source: 'tests/unit/exercises.test.ts',
};
const schemas: Record<string, StateSchema> = {
  'softmax-temperature': { temperature: number(0.1, 3, 1) },
  demo: { layer: integer(0, 7, 0), mode: choice(['causal', 'none'], 'causal'), on: flag(false), prompt: text(20, 'hi') },
};

describe('parseNumber', () => {
  test('reads plain, grouped, signed and exponent numbers', () => {
    expect(parseNumber('1024')).toBe(1024);
    expect(parseNumber(' 1,024 ')).toBe(1024);
    expect(parseNumber('6 738 415 616')).toBe(6738415616);
    expect(parseNumber('-0.28')).toBe(-0.28);
    expect(parseNumber('\u22120.28')).toBe(-0.28);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('6.7e9')).toBe(6.7e9);
    expect(parseNumber('1,234.5')).toBe(1234.5);
  });
  test('refuses what is not one number', () => {
    for (const typed of ['', '  ', 'abc', '0,5', '12,34', '1.2.3', '5 s', 'NaN', 'Infinity', '1e999', '0x10', '--3', '1 2']) {
      expect(parseNumber(typed), typed).toBeNull();
    }
  });
});

describe('checkChoice and checkNumeric', () => {
  test('a choice is right only at its answer index', () => {
    expect(checkChoice(choiceExercise, 0)).toBe(true);
    expect(checkChoice(choiceExercise, 1)).toBe(false);
    expect(checkChoice(choiceExercise, 2)).toBe(false);
  });
  test('a number is right within the tolerance, inclusive', () => {
    const loose = { ...numericExercise, answer: 0.278, tolerance: 0.005 };
    expect(checkNumeric(loose, 0.278)).toBe(true);
    expect(checkNumeric(loose, 0.283)).toBe(true);
    expect(checkNumeric(loose, 0.2835)).toBe(false);
    expect(checkNumeric(loose, 0.27)).toBe(false);
    expect(checkNumeric(numericExercise, 8)).toBe(true);
    expect(checkNumeric(numericExercise, 8.0001)).toBe(false);
    expect(checkNumeric(numericExercise, Number.NaN)).toBe(false);
  });
});

describe('widget goals', () => {
  test('equal values and ranges', () => {
    expect(settingMeetsGoal(0.6, { max: 0.6 })).toBe(true);
    expect(settingMeetsGoal(0.61, { max: 0.6 })).toBe(false);
    expect(settingMeetsGoal(3, { min: 2, max: 4 })).toBe(true);
    expect(settingMeetsGoal(1, { min: 2 })).toBe(false);
    expect(settingMeetsGoal('0.5', { max: 0.6 })).toBe(false);
    expect(settingMeetsGoal('causal', 'causal')).toBe(true);
    expect(settingMeetsGoal(true, true)).toBe(true);
    expect(settingMeetsGoal('true', true)).toBe(false);
    expect(settingMeetsGoal(undefined, 3)).toBe(false);
  });
  test('goalProgress says each setting in words, and goalMet needs all', () => {
    const goal = { layer: 3, mode: 'none', temperature: { min: 0.2, max: 0.4 } };
    expect(goalProgress(goal, { layer: 3, mode: 'causal', temperature: 0.3 })).toEqual([
      { setting: 'layer', met: true, wanted: 'layer = 3' },
      { setting: 'mode', met: false, wanted: 'mode = none' },
      { setting: 'temperature', met: true, wanted: 'temperature from 0.2 to 0.4' },
    ]);
    expect(goalMet(goal, { layer: 3, mode: 'causal', temperature: 0.3 })).toBe(false);
    expect(goalMet(goal, { layer: 3, mode: 'none', temperature: 0.3 })).toBe(true);
    expect(describeSettingGoal('t', { min: 1 })).toBe('t ≥ 1');
    expect(describeSettingGoal('t', { max: 1 })).toBe('t ≤ 1');
  });
  test('startState is the schema defaults under the start settings', () => {
    expect(startState(schemas.demo, { layer: 2 })).toEqual({ layer: 2, mode: 'causal', on: false, prompt: 'hi' });
  });
});

describe('exerciseProblems', () => {
  test('a good set has none', () => {
    expect(exerciseProblems([choiceExercise, numericExercise, widgetExercise], schemas)).toEqual([]);
  });
  test('names each mistake', () => {
    const bad: Exercise[] = [
      { ...choiceExercise, answer: 3 },
      { ...choiceExercise, id: 'Bad Id', run: { widget: 'nope', state: {} } },
      { ...numericExercise, id: 'sharper', tolerance: -1, prompt: 'costs $5' },
      { ...widgetExercise, goal: { temperature: { max: 2 } } },
      { ...widgetExercise, id: 'w2', widget: 'demo', start: { layer: 9 }, goal: { layer: 'two', colour: 1, on: { min: 1 } } },
    ];
    const problems = exerciseProblems(bad, schemas);
    expect(problems).toEqual([
      'Exercise "sharper": answer 3 is not the index of a choice (0 to 2).',
      'Exercise "Bad Id": an id is lowercase letters, digits and dashes, starting with a letter.',
      'Exercise "Bad Id": no widget named "nope".',
      'Exercise "sharper": the id is used twice.',
      'Exercise "sharper": a text has an unpaired $ (maths is $...$).',
      'Exercise "sharper": the tolerance is not a finite number ≥ 0.',
      'Exercise "cool-down": the widget starts at the goal already; nothing to do.',
      'Exercise "w2": sets layer = 9; expected a whole number from 0 to 7.',
      'Exercise "w2": the goal for layer is "two", which the setting cannot take.',
      'Exercise "w2": the goal names "colour", which is not a setting of demo (layer, mode, on, prompt).',
      'Exercise "w2": the goal for on is a range goal on a flag setting.',
    ]);
  });
  test('counts and kinds', () => {
    expect(exerciseProblems([choiceExercise, { ...choiceExercise, id: 'b' }], schemas)).toEqual([
      '2 exercises; a chapter has at least 3.',
      "no exercise of kind 'numeric'; a chapter has one of each kind.",
      "no exercise of kind 'widget'; a chapter has one of each kind.",
    ]);
  });
});

describe('progress', () => {
  function memoryStorage(): ProgressStorage & { data: Map<string, string> } {
    const data = new Map<string, string>();
    return {
      data,
      getItem: (key) => data.get(key) ?? null,
      setItem: (key, value) => void data.set(key, value),
      removeItem: (key) => void data.delete(key),
    };
  }
  test('answers are kept per chapter and reset forgets only that chapter', () => {
    const storage = memoryStorage();
    saveAnswer(storage, '01-a', 'x', { correct: true, answer: 2 });
    saveAnswer(storage, '01-a', 'y', { correct: false, answer: 0.5 });
    saveAnswer(storage, '02-b', 'x', { correct: false, answer: { temperature: 0.3 } });
    expect(loadProgress(storage, '01-a')).toEqual({ x: { correct: true, answer: 2 }, y: { correct: false, answer: 0.5 } });
    expect(progressSummary(loadProgress(storage, '01-a'), ['x', 'y', 'z'])).toEqual({ answered: 2, right: 1 });
    expect(JSON.parse(storage.data.get(progressKey('02-b'))!)).toEqual({ x: { correct: false, answer: { temperature: 0.3 } } });
    resetProgress(storage, '01-a');
    expect(loadProgress(storage, '01-a')).toEqual({});
    expect(loadProgress(storage, '02-b')).toEqual({ x: { correct: false, answer: { temperature: 0.3 } } });
  });
  test('a broken or edited store reads as no progress, keeping well-formed entries', () => {
    const storage = memoryStorage();
    storage.data.set(progressKey('c'), '{not json');
    expect(loadProgress(storage, 'c')).toEqual({});
    storage.data.set(progressKey('c'), JSON.stringify({ a: { correct: 'yes', answer: 1 }, b: { correct: true, answer: 3 }, d: null }));
    expect(loadProgress(storage, 'c')).toEqual({ b: { correct: true, answer: 3 } });
  });
  test('a store that throws (a sandboxed frame) keeps nothing and breaks nothing', () => {
    const refusing: ProgressStorage = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      removeItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
    };
    expect(saveAnswer(refusing, 'c', 'a', { correct: true, answer: 1 })).toEqual({ a: { correct: true, answer: 1 } });
    expect(loadProgress(refusing, 'c')).toEqual({});
    expect(() => resetProgress(refusing, 'c')).not.toThrow();
    expect(loadProgress(null, 'c')).toEqual({});
  });
});

describe('render', () => {
  test('text is escaped and $...$ is drawn by KaTeX', () => {
    const html = textWithMaths('a <b> & $x^2$ costs \\$5');
    expect(html.startsWith('a &lt;b&gt; &amp; <span class="katex">')).toBe(true);
    expect(html).toContain('<annotation encoding="application/x-tex">x^2</annotation>');
    expect(html.endsWith(' costs $5')).toBe(true);
    expect(() => textWithMaths('one $ alone')).toThrow('unpaired $');
  });
  test('the section goes before the Summary, or at the end without one', () => {
    const body = '<h2 id="intro">Intro</h2><p>x</p><h2 id="summary">Summary</h2><p>y</p>';
    expect(withExercises(body, '<section>E</section>')).toBe('<h2 id="intro">Intro</h2><p>x</p><section>E</section><h2 id="summary">Summary</h2><p>y</p>');
    expect(withExercises('<p>x</p>', '<section>E</section>')).toBe('<p>x</p><section>E</section>');
    expect(withExercises(body, '')).toBe(body);
    expect(exercisesHtml('01-a', [])).toBe('');
  });
  test('each exercise has its link target, its data and a control per kind', () => {
    const html = exercisesHtml('01-a', [choiceExercise, numericExercise, widgetExercise]);
    expect(html).toContain(`<li class="exercise exercise--choice" id="${exerciseAnchor('sharper')}"`);
    expect(html).toContain('href="#exercise-head-dim"');
    expect(html.match(/type="radio"/g)).toHaveLength(3);
    expect(html.match(/inputmode="decimal"/g)).toHaveLength(1);
    expect(html.match(/data-exercise-goal/g)).toHaveLength(1);
    const data = /id="exercise-cool-down"[^>]*data-exercise="([^"]*)"/.exec(html)![1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    expect(JSON.parse(data)).toEqual(widgetExercise);
  });
});

describe('every chapter file', () => {
  test('catalog keys are chapter ids and a chapter without a file has none', () => {
    for (const id of Object.keys(exercisesByChapter)) expect(id).toMatch(/^\d\d-[a-z0-9-]+$/);
    expect(exercisesFor('00-no-such-chapter')).toEqual([]);
  });
  test.each(Object.keys(exercisesByChapter))('%s meets the rules, with its widgets’ real schemas', async (chapterId) => {
    const exercises = exercisesFor(chapterId);
    const named = new Set(exercises.flatMap((exercise) => (exercise.kind === 'widget' ? [exercise.widget] : exercise.run ? [exercise.run.widget] : [])));
    const realSchemas: Record<string, StateSchema> = {};
    for (const name of named) if (widgetRegistry[name]) realSchemas[name] = (await widgetRegistry[name]()).schema;
    expect(exerciseProblems(exercises, realSchemas)).toEqual([]);
    // the page renders every text (KaTeX throws on bad maths)
    expect(() => exercisesHtml(chapterId, exercises)).not.toThrow();
  });
});
