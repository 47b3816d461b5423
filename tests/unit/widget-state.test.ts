// src/widgets/state.ts: a widget's state from schema defaults, the chapter's prop and the URL.
import { describe, expect, test } from 'vitest';
import { checkPatch, choice, flag, integer, number, resolveState, stateParam, text, writeState } from '../../src/widgets/state';

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
    writeState(url, 'attention', schema, { ...defaults, layer: 2, temperature: 0.5 }, defaults);
    expect(url.href).toBe('https://example.org/chapters/04/?other.layer=1&attention.temperature=0.5#heads');
    expect(stateParam('attention', 'layer')).toBe('attention.layer');
  });
});

describe('checkPatch', () => {
  test('accepts a valid patch and throws on a value the schema does not allow', () => {
    expect(() => checkPatch(schema, 'attention', { layer: 3, mode: 'logits' })).not.toThrow();
    expect(() => checkPatch(schema, 'attention', { layer: 8 })).toThrow(
      'Widget "attention": setState got layer = 8; expected a whole number from 0 to 7.',
    );
  });
});
