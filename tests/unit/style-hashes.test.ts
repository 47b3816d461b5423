// src/layouts/styleAttributeHashes.ts: the CSP hashes of style attributes in rendered HTML.
import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import { inlineHash, styleAttributeHashes } from '../../src/layouts/styleAttributeHashes';

const sha256 = (text: string) => `sha256-${createHash('sha256').update(text).digest('base64')}`;

test('hashes each distinct style attribute value once, as the browser sees it', () => {
  const html =
    '<span class="strut" style="height:0.6833em;"></span><span style="height:0.6833em;"></span>' +
    `<span style='top:-3em'></span><span style="font-family:&quot;KaTeX_Main&quot;"></span>`;
  expect(styleAttributeHashes(html)).toEqual([
    sha256('height:0.6833em;'),
    sha256('top:-3em'),
    sha256('font-family:"KaTeX_Main"'),
  ]);
});

test('a known value: the sha256 of the empty string', () => {
  expect(styleAttributeHashes('<p style=""></p>')).toEqual(['sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=']);
  expect(inlineHash('')).toBe('sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
});

test('ignores data-style and other attributes that merely end in "style"', () => {
  expect(styleAttributeHashes('<p data-style="x" mystyle="y"></p>')).toEqual([]);
});
