// Reading time from a chapter's MDX source: prose words only, 220 words a minute, rounded up.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { proseWords, readingMinutes, WORDS_PER_MINUTE } from '../../src/layouts/readingTime';

describe('proseWords', () => {
  test('counts the prose and leaves out frontmatter, imports, components, code and display maths', () => {
    const mdx = [
      '---',
      'title: Tokens here',
      'order: 2',
      '---',
      "import Widget from '../components/Widget.astro';",
      '',
      'A model reads *tokens*, not letters: $x_1$ is one.',
      '',
      '<Widget name="TokenPlayground" state={{ text: "many words in here" }} />',
      '',
      '$$',
      'p_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}',
      '$$',
      '',
      '```ts',
      'const ignored = words.in.code;',
      '```',
      '<Notes>',
      'Two more.',
      '</Notes>',
    ].join('\n');
    // "A model reads *tokens*, not letters: $x_1$ is one." = 9 words; "Two more." = 2.
    expect(proseWords(mdx)).toBe(11);
  });

  test('a word is anything with a letter or digit (CJK counts, lone punctuation does not)', () => {
    expect(proseWords('中文 字 — 42 ... ok')).toBe(4);
  });
});

describe('readingMinutes', () => {
  test('rounds up at 220 words a minute and never says 0', () => {
    expect(WORDS_PER_MINUTE).toBe(220);
    expect(readingMinutes('')).toBe(1);
    expect(readingMinutes('word '.repeat(220))).toBe(1);
    expect(readingMinutes('word '.repeat(221))).toBe(2);
  });

  test('the decoding chapter reads in a plausible number of minutes', () => {
    const source = readFileSync(resolve(import.meta.dirname, '../../content/07-decoding.mdx'), 'utf8');
    const words = proseWords(source);
    expect(words).toBeGreaterThan(1500);
    expect(readingMinutes(source)).toBe(Math.ceil(words / 220));
  });
});
