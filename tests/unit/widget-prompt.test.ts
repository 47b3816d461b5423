// src/widgets/prompt.ts: what the kit's prompt boxes do to typed text and what they say about it.
import { describe, expect, test } from 'vitest';
import { cleanPrompt, promptProblem } from '../../src/widgets/prompt';

describe('promptProblem', () => {
  test('an empty or blank prompt is refused in words', () => {
    expect(promptProblem('', 1, 256)).toBe('The prompt is empty: type a few words.');
    expect(promptProblem(' \n\t ', 1, 256)).toBe('The prompt is empty: type a few words.');
  });
  test('a prompt longer than the context names both lengths; one that fits exactly passes', () => {
    expect(promptProblem('x', 300, 256)).toBe('The prompt is 300 tokens long, but the model reads at most 256 (its context). Shorten it.');
    expect(promptProblem('x', 257, 256)).toBe('The prompt is 257 tokens long, but the model reads at most 256 (its context). Shorten it.');
    expect(promptProblem('x', 256, 256)).toBeNull();
    expect(promptProblem('Once upon a time', 5, 256)).toBeNull();
  });
});

describe('cleanPrompt', () => {
  test('control characters are dropped; tab, newline, emoji and CJK are kept', () => {
    expect(cleanPrompt('a\u0000b\u0007c\nd 🦙 猫')).toBe('abc\nd 🦙 猫');
    expect(cleanPrompt('a\tb\u001Fc\u007Fd\re')).toBe('a\tbcde');
  });
});
