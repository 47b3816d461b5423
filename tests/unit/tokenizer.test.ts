import { readFileSync } from 'node:fs';
import llamaTokenizer from 'llama-tokenizer-js';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateSet } from '../../scripts/corpus';
import { CORPUS_SETS } from '../../scripts/corpus/splits';
import { StreamDecoder, Tokenizer, type TokenizerJSON } from '../../src/llama/tokenizer';

const shippedJson = JSON.parse(readFileSync('public/models/glass-llama/tokenizer.json', 'utf8')) as TokenizerJSON;
const BYTES = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);

describe('Tokenizer on a tiny vocabulary', () => {
  // ids: 0 <unk>, 1 <s>, 2 </s>, 3..258 bytes, then the pieces below
  const pieces = ['<unk>', '<s>', '</s>', ...BYTES, '▁', 'a', 'b', 'ab', '▁ab', '▁a'];
  const id = (piece: string) => pieces.indexOf(piece);
  let tokenizer: Tokenizer;
  beforeAll(() => {
    tokenizer = Tokenizer.fromJSON({
      pieces,
      llamaIds: pieces.map((_, i) => 1000 + i),
      // rank 0 first: a+b, then ▁+ab, then ▁+a
      merges: [[id('a'), id('b')], [id('▁'), id('ab')], [id('▁'), id('a')]],
      unkId: 0,
      bosId: 1,
      eosId: 2,
    });
  });

  test('merges by rank, the best-ranked pair first', () => {
    // "▁ab": a+b (rank 0) beats ▁+a (rank 2), then ▁+ab (rank 1) gives one piece
    expect(tokenizer.encode('ab')).toEqual([1, id('▁ab')]);
    // "▁aa": only ▁+a applies
    expect(tokenizer.encode('aa', { bos: false })).toEqual([id('▁a'), id('a')]);
  });

  test('characters outside the vocabulary fall back to their UTF-8 bytes', () => {
    expect(tokenizer.encode('é', { bos: false })).toEqual([id('▁'), 3 + 0xc3, 3 + 0xa9]);
    expect(tokenizer.decode(tokenizer.encode('é'))).toBe('é');
  });

  test('fromJSON names the field that is wrong', () => {
    expect(() => Tokenizer.fromJSON({ pieces: [], merges: [] })).toThrow(/"llamaIds" must be an array/);
    expect(() => Tokenizer.fromJSON({ pieces: ['a'], llamaIds: [], merges: [] })).toThrow(/same length/);
    expect(() => Tokenizer.fromJSON({ pieces: ['a'], llamaIds: [0], merges: [], unkId: 0, bosId: 0, eosId: 0 })).toThrow(/<0x00>/);
  });
});

describe('the shipped tokenizer (pruned Llama-2)', () => {
  const tokenizer = Tokenizer.fromJSON(shippedJson);

  test('keeps <unk>, <s>, </s> and all 256 bytes at their Llama-2 ids, and under 10% of the vocabulary', () => {
    expect(tokenizer.pieces.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(tokenizer.pieces.slice(3, 259)).toEqual(BYTES);
    expect(tokenizer.llamaIds.slice(0, 259)).toEqual(Array.from({ length: 259 }, (_, i) => i));
    expect(tokenizer.vocabSize).toBe(shippedJson.pieces.length);
    expect(tokenizer.vocabSize / 32000).toBeLessThan(0.1);
    expect([tokenizer.bosId, tokenizer.eosId, tokenizer.unkId]).toEqual([1, 2, 0]);
  });

  test('encodes corpus text exactly as Llama-2 does (ids mapped through llamaIds)', () => {
    for (const set of CORPUS_SETS) {
      const examples = generateSet(set).test.slice(0, 60);
      for (const { text } of examples as { text: string }[]) {
        const ours = tokenizer.encode(text).map((id) => tokenizer.llamaIds[id]);
        expect(ours, text.slice(0, 60)).toEqual(llamaTokenizer.encode(text));
      }
    }
  });

  test('"Once upon a time" is the five Llama-2 tokens everyone knows', () => {
    const ids = tokenizer.encode('Once upon a time');
    expect(ids.map((id) => tokenizer.idToPiece(id))).toEqual(['<s>', '▁Once', '▁upon', '▁a', '▁time']);
    expect(ids.map((id) => tokenizer.llamaIds[id])).toEqual([1, 9038, 2501, 263, 931]);
  });

  test.each([
    ['English', 'Lily had a red ball. "Thank you, Tom!" she said.'],
    ['Chinese', '从前，有一个小女孩叫小美。龘靐齉'],
    ['emoji', 'I 💜 llamas 🦙🦙 and 👩‍👩‍👧 families'],
    ['control characters', 'tab\there\nnew line\r\u0000nul\u0007bell\u001b[0m'],
    ['spaces', '  two leading, three   inside and trailing  '],
    ['a literal ▁', 'the ▁ mark and ▁▁ twice'],
    ['mixed scripts', 'Привет, مرحبا, नमस्ते, こんにちは'],
  ])('round-trips %s exactly', (_, text) => {
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  test('unknown characters become byte tokens: an emoji is 4 bytes, a rare Chinese character 3', () => {
    expect(tokenizer.encode('🦙', { bos: false }).slice(1).map((id) => tokenizer.idToPiece(id))).toEqual(['<0xF0>', '<0x9F>', '<0xA6>', '<0x99>']);
    expect(tokenizer.encode('龘', { bos: false }).slice(1).map((id) => tokenizer.byteOf(id))).toEqual([0xe9, 0xbe, 0x98]);
  });

  test('decode skips <s> and </s> and drops only the dummy-prefix space', () => {
    expect(tokenizer.decode([...tokenizer.encode('Hi there'), tokenizer.eosId])).toBe('Hi there');
  });

  test('StreamDecoder emits a character split over byte tokens only when it is complete', () => {
    const decoder = new StreamDecoder(tokenizer);
    const ids = tokenizer.encode('龘🦙!', { bos: false });
    const emitted = ids.map((id) => decoder.push(id));
    // "▁", then 3 bytes of 龘, then 4 bytes of 🦙, then "!"
    expect(emitted).toEqual([' ', '', '', '龘', '', '', '', '🦙', '!']);
    expect(decoder.flush()).toBe('');
  });

  test('StreamDecoder never emits a replacement character and joins back to the text', () => {
    const text = 'Mia said, "你好 🦙!" and Tom waved.';
    const decoder = new StreamDecoder(tokenizer);
    const parts = tokenizer.encode(text).map((id) => decoder.push(id));
    expect(parts.join('').includes('\uFFFD')).toBe(false);
    expect(parts.join('') + decoder.flush()).toBe(' ' + text);
  });

  test('StreamDecoder.flush gives back an unfinished character as U+FFFD', () => {
    const decoder = new StreamDecoder(tokenizer);
    expect(decoder.push(3 + 0xe4)).toBe('');
    expect(decoder.flush()).toBe('\uFFFD');
  });
});
