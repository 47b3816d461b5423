// src/runtime/limits.ts: the input lengths the worker refuses before any tensor exists.
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/llama/config';
import { checkInputLength, formatCount, lengthLimit } from '../../src/runtime/limits';

const config = parseConfig({
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  vocab_size: 32,
  max_position_embeddings: 256,
});
const row = (length: number) => new Array<number>(length).fill(1);

describe('checkInputLength', () => {
  test('a text longer than the context is refused with its token count and the limit', () => {
    expect(() => checkInputLength([row(1612)], lengthLimit(config))).toThrow('This text is 1,612 tokens; the model reads at most 256.');
    expect(() => checkInputLength([row(256)], lengthLimit(config))).not.toThrow();
    expect(() => checkInputLength([row(257)], lengthLimit(config))).toThrow('This text is 257 tokens; the model reads at most 256.');
  });

  test('in a batch, the first row that is too long is named (counting from 1)', () => {
    expect(() => checkInputLength([row(3), row(300), row(400)], lengthLimit(config))).toThrow(
      'Row 2 is 300 tokens; the model reads at most 256.',
    );
  });

  test('room kept for new tokens shrinks the limit', () => {
    expect(() => checkInputLength([row(250), row(4)], lengthLimit(config), 10)).toThrow(
      'Row 1 is 250 tokens; with 10 new tokens the model reads at most 246.',
    );
    expect(() => checkInputLength([row(246)], lengthLimit(config), 10)).not.toThrow();
  });

  test('a forward with its RoPE scaling changed may run eight contexts, no more', () => {
    const extended = lengthLimit(config, { extendedContext: true });
    expect(extended.tokens).toBe(2048);
    expect(() => checkInputLength([row(2048)], extended)).not.toThrow();
    expect(() => checkInputLength([row(6891)], extended)).toThrow(
      'This text is 6,891 tokens; the model reads at most 2,048 with its RoPE scaling changed (8 times its context of 256).',
    );
  });

  test('many short rows are refused by their total positions (rows x longest row)', () => {
    const rows = Array.from({ length: 65 }, () => row(256));
    expect(() => checkInputLength(rows, lengthLimit(config))).toThrow(
      'These 65 rows of up to 256 tokens are 16,640 positions; one request holds at most 16,384.',
    );
    expect(() => checkInputLength(rows.slice(1), lengthLimit(config))).not.toThrow();
  });

  test('formatCount groups thousands', () => {
    expect([formatCount(7), formatCount(24002), formatCount(1234567)]).toEqual(['7', '24,002', '1,234,567']);
  });
});
