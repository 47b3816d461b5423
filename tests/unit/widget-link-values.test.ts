// Every widget's number, whole-number, choice and flag settings against hostile link values: each
// value is refused with a note naming the setting, the value and what it must be, and the widget
// keeps its default. This is the kit's resolver (src/widgets/state.ts) on every real schema, so it
// runs here, in Node; widget-kit.test.ts shows one such note on an embed page and loads only the
// widgets with a text setting (the part a widget draws itself) with hostile text.
import { describe, expect, test } from 'vitest';
import { widgetNames, widgetRegistry } from '../../src/widgets/registry';
import { resolveState, stateParam, type Setting, type StateSchema } from '../../src/widgets/state';

/** Values no number, whole-number, choice or flag setting accepts. */
const NOT_A_VALUE = ['', 'NaN', '1e400', '0x10', ' 3', '🦙', '<b>x</b>', '\u202Eabc', '9'.repeat(400)];

/** What a setting must be, in the note's words, written out here (not read from the resolver). */
function mustBe(setting: Setting): string {
  switch (setting.kind) {
    case 'integer':
      return `a whole number from ${setting.min} to ${setting.max}`;
    case 'number':
      return `a number from ${setting.min} to ${setting.max}`;
    case 'choice':
      return `one of ${setting.choices.join(', ')}`;
    case 'flag':
      return 'true or false';
    case 'text':
      return `at most ${setting.maxLength} characters`;
  }
}

const shown = (value: string) => (value.length > 40 ? `${value.slice(0, 40)}…` : value);

const schemas = await Promise.all(widgetNames.map(async (name) => [name, ((await widgetRegistry[name]()) as { schema: StateSchema }).schema] as const));

describe('hostile link values, every widget and setting', () => {
  test('the widgets have 150 or more settings to check, most of them not text', () => {
    const settings = schemas.flatMap(([, schema]) => Object.values(schema));
    expect(settings.length).toBeGreaterThanOrEqual(150);
    expect(settings.filter((s) => s.kind !== 'text').length).toBeGreaterThan(settings.length / 2);
  });

  test.each(schemas)('%s: each non-text setting refuses each value with a note and keeps its default', (name, schema) => {
    for (const [setting, declared] of Object.entries(schema)) {
      if (declared.kind === 'text') continue;
      for (const value of NOT_A_VALUE) {
        // a "choice" of '' or of '9…9' cannot be one of the choices: every choice list here is words
        const search = new URLSearchParams([[stateParam(name, setting), value]]);
        const { state, linkProblems } = resolveState(schema, name, {}, search);
        expect(state[setting], `${name}.${setting} = ${JSON.stringify(value)}`).toBe(declared.default);
        expect(linkProblems).toEqual([
          `The link sets ${setting} to "${shown(value)}", but it must be ${mustBe(declared)}; showing ${shown(String(declared.default))} instead.`,
        ]);
      }
    }
  });

  test.each(schemas.filter(([, schema]) => Object.values(schema).some((s) => s.kind === 'text')))(
    '%s: a text setting one character over its length is refused; at its length it is taken as it is',
    (name, schema) => {
      for (const [setting, declared] of Object.entries(schema)) {
        if (declared.kind !== 'text') continue;
        const hostile = '<img src=x onerror=alert(1)>🦙猫\u200B\u0007';
        const atLength = hostile.repeat(Math.ceil(declared.maxLength / hostile.length)).slice(0, declared.maxLength);
        const taken = resolveState(schema, name, {}, new URLSearchParams([[stateParam(name, setting), atLength]]));
        expect(taken.state[setting]).toBe(atLength);
        expect(taken.linkProblems).toEqual([]);
        const over = `${atLength}x`;
        const refused = resolveState(schema, name, {}, new URLSearchParams([[stateParam(name, setting), over]]));
        expect(refused.state[setting]).toBe(declared.default);
        expect(refused.linkProblems).toEqual([
          `The link sets ${setting} to "${shown(over)}", but it must be at most ${declared.maxLength} characters; showing ${shown(declared.default)} instead.`,
        ]);
      }
    },
  );
});
