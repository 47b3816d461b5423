// The search page's pure parts: the query from the URL, the status sentences, excerpts as text.
import { describe, expect, test } from 'vitest';
import { cleanQuery, excerptPieces, marksMatchQuery, queryFromUrl, SEARCH_MAX_LENGTH, statusText } from '../../src/search/searchText';

describe('the query', () => {
  test('comes from ?q=, with control characters dropped and spaces collapsed', () => {
    expect(queryFromUrl('?q=%20KV%09cache%0A%0A')).toBe('KV cache');
    expect(queryFromUrl('?q=a%00b%E2%80%8Bc')).toBe('a b c');
    expect(queryFromUrl('')).toBe('');
    expect(queryFromUrl('?q=注意力 🦙')).toBe('注意力 🦙');
  });
  test('is cut at the maximum length', () => {
    expect(cleanQuery('x'.repeat(500))).toHaveLength(SEARCH_MAX_LENGTH);
    expect(SEARCH_MAX_LENGTH).toBe(200);
  });
});

describe('statusText', () => {
  test('says what was found, in a sentence', () => {
    expect(statusText('', 0)).toBe('Type a word or a phrase to search every chapter.');
    expect(statusText('zzz', 0)).toBe('No chapter mentions “zzz”. Try fewer or shorter words.');
    expect(statusText('rope', 1)).toBe('1 chapter mentions “rope”.');
    expect(statusText('the', 7)).toBe('7 chapters mention “the”.');
  });
});

describe('excerptPieces', () => {
  test('splits marks from plain text and decodes the escaped characters', () => {
    expect(excerptPieces('the <mark>KV</mark> cache &lt;grows&gt; &amp; <mark>grows</mark>.')).toEqual([
      { text: 'the ', marked: false },
      { text: 'KV', marked: true },
      { text: ' cache <grows> & ', marked: false },
      { text: 'grows', marked: true },
      { text: '.', marked: false },
    ]);
  });
  test('drops any other tag, so nothing is ever inserted as HTML', () => {
    expect(excerptPieces('a <img src=x onerror=alert(1)>b <mark><b>c</b></mark>')).toEqual([
      { text: 'a b ', marked: false },
      { text: 'c', marked: true },
    ]);
  });
});

describe('marksMatchQuery', () => {
  test('keeps a result whose marks start like a query word, drops partial matches of short words', () => {
    expect(marksMatchQuery(['Rotary', 'rotation'], 'rotary')).toBe(true);
    expect(marksMatchQuery(['KV'], 'kv cache')).toBe(true);
    expect(marksMatchQuery(['repetition'], 'Repetition penalties')).toBe(true);
    expect(marksMatchQuery(['x', 'x'], 'xylophone')).toBe(false);
    expect(marksMatchQuery(['q'], 'qqxjzvw')).toBe(false);
    expect(marksMatchQuery([], 'anything')).toBe(false);
  });
});
