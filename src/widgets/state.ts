// A widget's state: a few named, typed settings (layer, head, prompt, temperature ...) that the
// chapter sets as defaults and the reader's link can override, e.g.
//   /chapters/04-attention/?attention.layer=2&attention.prompt=Once+upon+a+time
// Each widget declares its settings with the builders below; values from the URL are checked
// against the declaration and a bad one falls back to the default with a message that says why.

export interface IntegerSetting {
  kind: 'integer';
  min: number;
  max: number;
  default: number;
}
export interface NumberSetting {
  kind: 'number';
  min: number;
  max: number;
  default: number;
}
export interface TextSetting {
  kind: 'text';
  maxLength: number;
  default: string;
}
export interface ChoiceSetting<Choice extends string = string> {
  kind: 'choice';
  choices: readonly Choice[];
  default: Choice;
}
export interface FlagSetting {
  kind: 'flag';
  default: boolean;
}
export type Setting = IntegerSetting | NumberSetting | TextSetting | ChoiceSetting | FlagSetting;

/** A widget's declaration of its settings: name -> setting. */
export type StateSchema = Record<string, Setting>;

/** The state object a schema describes, e.g. { layer: number; prompt: string }. */
export type StateOf<Schema extends StateSchema> = {
  [Name in keyof Schema]: Schema[Name] extends ChoiceSetting<infer Choice>
    ? Choice
    : Schema[Name] extends FlagSetting
      ? boolean
      : Schema[Name] extends TextSetting
        ? string
        : number;
};

/** A whole number in [min, max]. */
export const integer = (min: number, max: number, defaultValue: number): IntegerSetting => ({ kind: 'integer', min, max, default: defaultValue });
/** A real number in [min, max]. */
export const number = (min: number, max: number, defaultValue: number): NumberSetting => ({ kind: 'number', min, max, default: defaultValue });
/** Free text of at most maxLength characters (a prompt). */
export const text = (maxLength: number, defaultValue: string): TextSetting => ({ kind: 'text', maxLength, default: defaultValue });
/** One of a fixed list of names. */
export const choice = <Choice extends string>(choices: readonly Choice[], defaultValue: Choice): ChoiceSetting<Choice> => ({
  kind: 'choice',
  choices,
  default: defaultValue,
});
/** On or off. */
export const flag = (defaultValue: boolean): FlagSetting => ({ kind: 'flag', default: defaultValue });

type Checked = { ok: true; value: number | string | boolean } | { ok: false; expected: string };

/** Check one value (a string from the URL, or a typed value from the chapter) against its setting. */
function check(setting: Setting, raw: unknown): Checked {
  switch (setting.kind) {
    case 'integer':
    case 'number': {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      const wholeNeeded = setting.kind === 'integer';
      const range = `${wholeNeeded ? 'a whole number' : 'a number'} from ${setting.min} to ${setting.max}`;
      if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, expected: range };
      if (wholeNeeded && !Number.isInteger(value)) return { ok: false, expected: range };
      if (value < setting.min || value > setting.max) return { ok: false, expected: range };
      return { ok: true, value };
    }
    case 'text':
      if (typeof raw !== 'string') return { ok: false, expected: 'text' };
      if (raw.length > setting.maxLength) return { ok: false, expected: `at most ${setting.maxLength} characters` };
      return { ok: true, value: raw };
    case 'choice':
      if (typeof raw !== 'string' || !setting.choices.includes(raw)) {
        return { ok: false, expected: `one of ${setting.choices.join(', ')}` };
      }
      return { ok: true, value: raw };
    case 'flag':
      if (raw === true || raw === 'true' || raw === '1') return { ok: true, value: true };
      if (raw === false || raw === 'false' || raw === '0') return { ok: true, value: false };
      return { ok: false, expected: 'true or false' };
  }
}

function quote(raw: unknown): string {
  const shown = typeof raw === 'string' ? raw : JSON.stringify(raw);
  return shown.length > 40 ? `${shown.slice(0, 40)}…` : shown;
}

/** The URL search parameter that holds `name` for widget `widgetId`. */
export function stateParam(widgetId: string, name: string): string {
  return `${widgetId}.${name}`;
}

export interface ResolvedState<Schema extends StateSchema> {
  state: StateOf<Schema>;
  /** The chapter's own defaults (schema defaults overridden by the MDX `state` prop). */
  defaults: StateOf<Schema>;
  /** Mistakes in the chapter's `state` prop: a bug in the chapter, logged as a console error. */
  authorProblems: string[];
  /** Bad values in the reader's link: shown to the reader as a note, the default is used. */
  linkProblems: string[];
}

/**
 * The widget's starting state: schema default, then the chapter's `state` prop, then the URL.
 * Unknown names in the chapter's prop are reported; unknown URL parameters belong to other widgets.
 */
export function resolveState<Schema extends StateSchema>(
  schema: Schema,
  widgetId: string,
  authored: Record<string, unknown>,
  search: URLSearchParams,
): ResolvedState<Schema> {
  const defaults: Record<string, unknown> = {};
  const state: Record<string, unknown> = {};
  const authorProblems: string[] = [];
  const linkProblems: string[] = [];

  for (const name of Object.keys(authored)) {
    if (!(name in schema)) {
      authorProblems.push(`Widget "${widgetId}": the chapter sets "${name}", which is not one of its settings (${Object.keys(schema).join(', ')}).`);
    }
  }
  for (const [name, setting] of Object.entries(schema)) {
    defaults[name] = setting.default;
    if (name in authored) {
      const result = check(setting, authored[name]);
      if (result.ok) defaults[name] = result.value;
      else authorProblems.push(`Widget "${widgetId}": the chapter sets ${name} = ${quote(authored[name])}; expected ${result.expected}.`);
    }
    state[name] = defaults[name];
    const fromLink = search.get(stateParam(widgetId, name));
    if (fromLink !== null) {
      const result = check(setting, fromLink);
      if (result.ok) state[name] = result.value;
      else linkProblems.push(`The link sets ${name} to "${quote(fromLink)}", but it must be ${result.expected}; showing ${String(defaults[name])} instead.`);
    }
  }
  return { state: state as StateOf<Schema>, defaults: defaults as StateOf<Schema>, authorProblems, linkProblems };
}

/**
 * Write `state` into `url`'s search parameters (only the settings that differ from the chapter's
 * defaults, so a plain link stays plain). Returns the same URL object for chaining.
 */
export function writeState<Schema extends StateSchema>(
  url: URL,
  widgetId: string,
  schema: Schema,
  state: StateOf<Schema>,
  defaults: StateOf<Schema>,
): URL {
  for (const name of Object.keys(schema)) {
    const param = stateParam(widgetId, name);
    if (state[name] === defaults[name]) url.searchParams.delete(param);
    else url.searchParams.set(param, String(state[name]));
  }
  return url;
}

/**
 * Check a patch from the widget itself (a slider moved) before it is stored. Throws on a value
 * outside the declaration: that is a bug in the widget, not something to hide.
 */
export function checkPatch<Schema extends StateSchema>(schema: Schema, widgetId: string, patch: Partial<StateOf<Schema>>): void {
  for (const [name, value] of Object.entries(patch)) {
    const setting = schema[name];
    if (!setting) throw new Error(`Widget "${widgetId}": setState got "${name}", which is not one of its settings.`);
    const result = check(setting, value);
    if (!result.ok) throw new Error(`Widget "${widgetId}": setState got ${name} = ${quote(value)}; expected ${result.expected}.`);
  }
}
