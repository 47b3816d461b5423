// The glossary (src/glossary): its terms, and the first use of each in a chapter linked to it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { linkFirstUses, termPattern } from '../../src/glossary/rehypeGlossary.mjs';
import { explainedAt, GLOSSARY, glossaryHref } from '../../src/glossary/terms';

const text = (value: string) => ({ type: 'text', value });
const el = (tagName: string, children: unknown[], properties: Record<string, unknown> = {}) => ({ type: 'element', tagName, properties, children });
const terms = [
  { id: 'softmax', term: 'softmax', definition: 'Scores to probabilities.', match: ['softmax'] },
  { id: 'rope', term: 'RoPE', definition: 'Rotations.', match: ['RoPE', 'rotary position embeddings'], caseSensitive: true },
  { id: 'kv-cache', term: 'KV cache', definition: 'Kept keys and values.', match: ['KV cache'], caseSensitive: true },
];

describe('linkFirstUses', () => {
  test('links the first use in reading order, once per chapter, and only in paragraphs and list items', () => {
    const tree = el('root', [
      el('h2', [text('Softmax and RoPE')]),
      el('p', [text('Attention uses a '), el('em', [text('softmax')]), text(' and the softmax again; ropes are not RoPE.')]),
      el('ul', [el('li', [text('A KV cache, and a kv cache.')])]),
      el('p', [el('code', [text('softmax')]), el('span', [text('RoPE')], { className: ['katex'] })]),
      { type: 'mdxJsxFlowElement', name: 'Notes', children: [el('p', [text('KV cache')])] },
    ]);
    expect(linkFirstUses(tree, terms)).toEqual(['softmax', 'rope', 'kv-cache']);
    const html = JSON.stringify(tree);
    // The em's "softmax" is the first use; "ropes" is not "RoPE"; "kv cache" is not "KV cache".
    const paragraph = (tree as any).children[1];
    expect(paragraph.children[1].children[0].children[0].properties).toEqual({
      className: ['term__link'],
      href: '/glossary/#softmax',
      ariaDescribedBy: 'term-tip-softmax',
    });
    expect(paragraph.children.map((child: any) => child.value ?? child.tagName)).toEqual([
      'Attention uses a ',
      'em',
      ' and the softmax again; ropes are not ',
      'span',
      '.',
    ]);
    expect(paragraph.children[3].children[1]).toEqual({
      type: 'element',
      tagName: 'span',
      properties: { className: ['term__tip'], id: 'term-tip-rope', role: 'tooltip', dataPagefindIgnore: '', hidden: true },
      children: [{ type: 'text', value: 'Rotations.' }],
    });
    expect((tree as any).children[2].children[0].children.map((child: any) => child.value ?? child.tagName)).toEqual(['A ', 'span', ', and a kv cache.']);
    // Headings, code, maths and components keep their text.
    expect(html.match(/term__link/g)).toHaveLength(3);
  });

  test('a term is a whole word: "logits" is not inside "sublogits", hyphenated words stay whole', () => {
    const pattern = termPattern({ id: 'logit', term: 'logit', definition: '', match: ['logit', 'logits'] });
    expect('the logits here'.match(pattern)?.[0]).toBe('logits');
    expect(pattern.test('sublogits')).toBe(false);
    expect(pattern.test('logit-lens')).toBe(false);
    expect('Logit'.match(pattern)?.[0]).toBe('Logit');
  });
});

describe('GLOSSARY', () => {
  test('every term has a unique id, a one-line definition and a chapter that exists', () => {
    const ids = GLOSSARY.map((term) => term.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const term of GLOSSARY) {
      expect(term.definition.length, term.id).toBeLessThanOrEqual(160);
      expect(term.definition, term.id).not.toContain('\n');
      expect(term.match.length, term.id).toBeGreaterThan(0);
      const file = resolve(import.meta.dirname, '../../content', `${term.chapter}.mdx`);
      expect(() => readFileSync(file), term.id).not.toThrow();
    }
    expect(glossaryHref(GLOSSARY.find((term) => term.id === 'rope')!)).toBe('/glossary/#rope');
    expect(explainedAt(GLOSSARY.find((term) => term.id === 'top-p')!)).toBe('/chapters/07-decoding/#truncation-top-k-top-p-min-p-typical');
  });
});
