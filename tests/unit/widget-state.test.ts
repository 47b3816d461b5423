// src/widgets/state.ts: a widget's state from schema defaults, the chapter's prop and the URL.
import { describe, expect, test } from 'vitest';
import { checkPatch, choice, flag, integer, MAX_URL_LENGTH, number, parseIntegerList, resolveState, stateParam, text, unknownSettings, writeState } from '../../src/widgets/state';

const schema = {
  layer: integer(0, 7, 0),
  temperature: number(0.1, 3, 1),
  prompt: text(20, 'Once upon a time'),
  mode: choice(['probabilities', 'logits'] as const, 'probabilities'),
  showBias: flag(false),
};

const search = (query: string) => new URLSearchParams(query);

describe('resolveState', () => {
  test('uses the schema defaults when neither the chapter nor the link sets anything', () => {
    const resolved = resolveState(schema, 'attention', {}, search(''));
    expect(resolved.state).toEqual({ layer: 0, temperature: 1, prompt: 'Once upon a time', mode: 'probabilities', showBias: false });
    expect(resolved.authorProblems).toEqual([]);
    expect(resolved.linkProblems).toEqual([]);
  });

  test("the chapter's state prop overrides the schema, and the link overrides both", () => {
    const resolved = resolveState(
      schema,
      'attention',
      { layer: 2, prompt: 'Hello' },
      search('attention.layer=5&attention.showBias=true&attention.mode=logits&other.layer=1'),
    );
    expect(resolved.defaults).toMatchObject({ layer: 2, prompt: 'Hello' });
    expect(resolved.state).toEqual({ layer: 5, temperature: 1, prompt: 'Hello', mode: 'logits', showBias: true });
  });

  test.each([
    ['attention.layer=9', 'The link sets layer to "9", but it must be a whole number from 0 to 7; showing 0 instead.'],
    ['attention.layer=1.5', 'The link sets layer to "1.5", but it must be a whole number from 0 to 7; showing 0 instead.'],
    ['attention.temperature=abc', 'The link sets temperature to "abc", but it must be a number from 0.1 to 3; showing 1 instead.'],
    // Number() reads all of these as numbers; a link must say exactly what it means.
    ['attention.layer=0x2', 'The link sets layer to "0x2", but it must be a whole number from 0 to 7; showing 0 instead.'],
    ['attention.layer=1e0', 'The link sets layer to "1e0", but it must be a whole number from 0 to 7; showing 0 instead.'],
    ['attention.layer=%203', 'The link sets layer to " 3", but it must be a whole number from 0 to 7; showing 0 instead.'],
    ['attention.layer=', 'The link sets layer to "", but it must be a whole number from 0 to 7; showing 0 instead.'],
    ['attention.layer=%2B3', 'The link sets layer to "+3", but it must be a whole number from 0 to 7; showing 0 instead.'],
    ['attention.temperature=0x1', 'The link sets temperature to "0x1", but it must be a number from 0.1 to 3; showing 1 instead.'],
    ['attention.temperature=', 'The link sets temperature to "", but it must be a number from 0.1 to 3; showing 1 instead.'],
    ['attention.temperature=NaN', 'The link sets temperature to "NaN", but it must be a number from 0.1 to 3; showing 1 instead.'],
    ['attention.temperature=Infinity', 'The link sets temperature to "Infinity", but it must be a number from 0.1 to 3; showing 1 instead.'],
    ['attention.temperature=1%20', 'The link sets temperature to "1 ", but it must be a number from 0.1 to 3; showing 1 instead.'],
    ['attention.mode=bars', 'The link sets mode to "bars", but it must be one of probabilities, logits; showing probabilities instead.'],
    ['attention.showBias=yes', 'The link sets showBias to "yes", but it must be true or false; showing false instead.'],
    [
      `attention.prompt=${'a'.repeat(21)}`,
      `The link sets prompt to "${'a'.repeat(21)}", but it must be at most 20 characters; showing Once upon a time instead.`,
    ],
  ])('a bad link value (%s) falls back to the default with a message', (query, message) => {
    const resolved = resolveState(schema, 'attention', {}, search(query));
    expect(resolved.linkProblems).toEqual([message]);
    expect(resolved.state).toEqual(resolved.defaults);
  });

  test.each([
    ['attention.temperature=0.5', 0.5],
    ['attention.temperature=.5', 0.5],
    ['attention.temperature=2.', 2],
    ['attention.temperature=2e-1', 0.2],
  ])('a number in the link as String() or a person writes it (%s) is read', (query, value) => {
    const resolved = resolveState(schema, 'attention', {}, search(query));
    expect(resolved.linkProblems).toEqual([]);
    expect(resolved.state.temperature).toBe(value);
  });

  test('a misspelt or unknown setting of this widget is a link problem; other widgets\' settings are not read', () => {
    const resolved = resolveState(schema, 'attention', {}, search('attention.layr=2&attention.layr=3&attention-heatmap.layr=2&backend=wasm'));
    expect(resolved.linkProblems).toEqual(['The link sets "layr", which is not a setting of this figure (layer, temperature, prompt, mode, showBias).']);
    expect(resolved.state).toEqual(resolved.defaults);
  });

  test('a setting given twice is reported and the first value is used', () => {
    const resolved = resolveState(schema, 'attention', {}, search('attention.layer=2&attention.layer=3'));
    expect(resolved.linkProblems).toEqual(['The link sets layer 2 times; using the first, "2".']);
    expect(resolved.state.layer).toBe(2);
  });

  test("mistakes in the chapter's state prop are reported as author problems", () => {
    const resolved = resolveState(schema, 'attention', { layer: 12, heads: 2 }, search(''));
    expect(resolved.authorProblems).toEqual([
      'Widget "attention": the chapter sets "heads", which is not one of its settings (layer, temperature, prompt, mode, showBias).',
      'Widget "attention": the chapter sets layer = 12; expected a whole number from 0 to 7.',
    ]);
    expect(resolved.state.layer).toBe(0);
  });
});

describe('writeState', () => {
  test('writes only the settings that differ from the chapter defaults, under the widget id', () => {
    const { defaults } = resolveState(schema, 'attention', { layer: 2 }, search(''));
    const url = new URL('https://example.org/chapters/04/?other.layer=1&attention.layer=3#heads');
    expect(writeState(url, 'attention', schema, { ...defaults, layer: 2, temperature: 0.5 }, defaults)).toEqual([]);
    expect(url.href).toBe('https://example.org/chapters/04/?other.layer=1&attention.temperature=0.5#heads');
    expect(stateParam('attention', 'layer')).toBe('attention.layer');
  });

  test('a URL that would pass the limit leaves out the longest text setting and says which', () => {
    const long = { prompt: text(100_000, '') , layer: integer(0, 7, 0) };
    const url = new URL('https://example.org/chapters/04/');
    const state = { prompt: 'word '.repeat(20_000), layer: 3 };
    expect(writeState(url, 'attention', long, state, { prompt: '', layer: 0 })).toEqual(['prompt']);
    expect(url.href).toBe('https://example.org/chapters/04/?attention.layer=3');
    // A prompt that fits stays in the link.
    const fits = new URL('https://example.org/chapters/04/');
    expect(writeState(fits, 'attention', long, { prompt: 'a'.repeat(1900), layer: 3 }, { prompt: '', layer: 0 })).toEqual([]);
    expect(fits.href.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
    expect(fits.searchParams.get('attention.prompt')).toBe('a'.repeat(1900));
  });
});

describe('parseIntegerList', () => {
  test.each([
    ['', []],
    ['12,7,300', [12, 7, 300]],
    ['1, 2', [1, 2]],
    [' , ', null],
    ['1,,2', null],
    ['1,', null],
    ['0x10', null],
    ['1e2', null],
    ['-1', null],
    ['512', null],
  ])('%j -> %j (ids 0 to 511)', (text, ids) => {
    expect(parseIntegerList(text, 0, 511)).toEqual(ids);
  });
});

test('unknownSettings names the settings of this widget that its schema lacks, once each', () => {
  expect(unknownSettings(new URLSearchParams('w.layer=1&w.colour=red&w.colour=blue&v.colour=1'), 'w', ['layer'])).toEqual(['colour']);
});

describe('checkPatch', () => {
  test('accepts a valid patch and throws on a value the schema does not allow', () => {
    expect(() => checkPatch(schema, 'attention', { layer: 3, mode: 'logits' })).not.toThrow();
    expect(() => checkPatch(schema, 'attention', { layer: 8 })).toThrow(
      'Widget "attention": setState got layer = 8; expected a whole number from 0 to 7.',
    );
  });
});
