// A widget's state: a few named, typed settings (layer, head, prompt, temperature ...) that the
// chapter sets as defaults and the reader's link can override, e.g.
//   /chapters/04-attention/?attention.layer=2&attention.prompt=Once+upon+a+time
// Each widget declares its settings with the builders below; values from the URL are checked
// against the declaration and a bad one falls back to the default with a message that says why.
import { kitStrings } from './strings';

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

/** A whole number as a link writes it: digits with an optional minus sign; no spaces, hex or exponent. */
const INTEGER_TEXT = /^-?\d+$/;
/** A decimal number as a link writes it (String(0.0000001) is "1e-7", so an exponent is allowed); no spaces or hex. */
const NUMBER_TEXT = /^-?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i;

/** A number setting's value from the URL (strict text) or the chapter (a number), or NaN. */
function numberFrom(raw: unknown, pattern: RegExp): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && pattern.test(raw)) return Number(raw);
  return Number.NaN;
}

/** Check one value (a string from the URL, or a typed value from the chapter) against its setting. */
function check(setting: Setting, raw: unknown): Checked {
  switch (setting.kind) {
    case 'integer':
    case 'number': {
      const wholeNeeded = setting.kind === 'integer';
      // Number() would read "0x10" as 16, "1e2" as 100 and " 3" as 3: a link says exactly what it means.
      const value = numberFrom(raw, wholeNeeded ? INTEGER_TEXT : NUMBER_TEXT);
      const range = `${wholeNeeded ? 'a whole number' : 'a number'} from ${setting.min} to ${setting.max}`;
      if (!Number.isFinite(value)) return { ok: false, expected: range };
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

/** Settings named for widget `id` in `search` (`${id}.name`) that are not among `settings`: misspelt or unknown. */
export function unknownSettings(search: URLSearchParams, id: string, settings: string[]): string[] {
  const prefix = `${id}.`;
  const names = [...search.keys()].filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length));
  return [...new Set(names)].filter((name) => !settings.includes(name));
}

/**
 * The widget's starting state: schema default, then the chapter's `state` prop, then the URL.
 * Unknown names in the chapter's prop are author problems; in the link (`${widgetId}.layr=2`),
 * unknown and repeated settings are link problems. Parameters of other widgets are not read.
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
  const settings = Object.keys(schema);

  for (const name of Object.keys(authored)) {
    if (!(name in schema)) {
      authorProblems.push(`Widget "${widgetId}": the chapter sets "${name}", which is not one of its settings (${settings.join(', ')}).`);
    }
  }
  for (const name of unknownSettings(search, widgetId, settings)) {
    linkProblems.push(kitStrings.linkUnknownSetting(quote(name), settings));
  }
  for (const [name, setting] of Object.entries(schema)) {
    defaults[name] = setting.default;
    if (name in authored) {
      const result = check(setting, authored[name]);
      if (result.ok) defaults[name] = result.value;
      else authorProblems.push(`Widget "${widgetId}": the chapter sets ${name} = ${quote(authored[name])}; expected ${result.expected}.`);
    }
    state[name] = defaults[name];
    const fromLink = search.getAll(stateParam(widgetId, name));
    if (fromLink.length === 0) continue;
    if (fromLink.length > 1) {
      linkProblems.push(kitStrings.linkRepeatedSetting(name, fromLink.length, quote(fromLink[0])));
    }
    const result = check(setting, fromLink[0]);
    if (result.ok) state[name] = result.value;
    else linkProblems.push(kitStrings.linkBadValue(name, quote(fromLink[0]), result.expected, quote(String(defaults[name]))));
  }
  return { state: state as StateOf<Schema>, defaults: defaults as StateOf<Schema>, authorProblems, linkProblems };
}

/**
 * A list of whole numbers in [min, max] as a link writes it ("12,7,300"; spaces around the commas
 * are allowed), or null when any item is not one (" , " is two empty items, not two zeros).
 * The empty string is the empty list.
 */
export function parseIntegerList(text: string, min: number, max: number): number[] | null {
  if (text === '') return [];
  const items = text.split(',').map((item) => item.trim());
  if (!items.every((item) => INTEGER_TEXT.test(item))) return null;
  const values = items.map(Number);
  return values.every((value) => value >= min && value <= max) ? values : null;
}

/**
 * The longest URL a widget writes. Browsers take far longer ones, but servers refuse long request
 * lines (a 72 KB link gets "431 Request Header Fields Too Large"), and links are pasted into chats
 * and slides; about 2,000 characters is what every server and tool accepts.
 */
export const MAX_URL_LENGTH = 2000;

/**
 * Write `state` into `url`'s search parameters (only the settings that differ from the chapter's
 * defaults, so a plain link stays plain). When the URL would be longer than `maxLength`, this
 * widget's longest text settings are left out (the link then shows the chapter's default for
 * them). Returns the names of the settings left out.
 */
export function writeState<Schema extends StateSchema>(
  url: URL,
  widgetId: string,
  schema: Schema,
  state: StateOf<Schema>,
  defaults: StateOf<Schema>,
  maxLength = MAX_URL_LENGTH,
): string[] {
  for (const name of Object.keys(schema)) {
    const param = stateParam(widgetId, name);
    if (state[name] === defaults[name]) url.searchParams.delete(param);
    else url.searchParams.set(param, String(state[name]));
  }
  const leftOut: string[] = [];
  const longestFirst = Object.keys(schema)
    .filter((name) => url.searchParams.has(stateParam(widgetId, name)))
    .sort((a, b) => String(state[b]).length - String(state[a]).length);
  for (const name of longestFirst) {
    if (url.href.length <= maxLength) break;
    url.searchParams.delete(stateParam(widgetId, name));
    leftOut.push(name);
  }
  return leftOut;
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
