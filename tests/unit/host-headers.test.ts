// src/hostHeaders.mjs: the rules of public/_headers, which the preview server and the hosts apply.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { headersFor, parseHeaderRules, patternMatches, readHeaderRules } from '../../src/hostHeaders.mjs';

test('parseHeaderRules reads paths and their indented headers, skipping comments and blank lines', () => {
  expect(parseHeaderRules('# comment\n/*\n  A: 1\n\n/chapters/*\n  B: two words\n  C: x\n')).toEqual([
    { pattern: '/*', headers: { A: '1' } },
    { pattern: '/chapters/*', headers: { B: 'two words', C: 'x' } },
  ]);
});

test('parseHeaderRules names the line of a header with no path above it', () => {
  expect(() => parseHeaderRules('  A: 1\n')).toThrow('_headers line 1: expected an indented "Name: value" under a path, got "A: 1"');
});

test('patternMatches: "*" matches any rest of the path, other characters match themselves', () => {
  expect(patternMatches('/*', '/anything/at/all')).toBe(true);
  expect(patternMatches('/chapters/*', '/chapters/01-how-to-read/')).toBe(true);
  expect(patternMatches('/chapters/*', '/embed/x/')).toBe(false);
  expect(patternMatches('/', '/')).toBe(true);
  expect(patternMatches('/', '/embed/')).toBe(false);
  expect(patternMatches('/index.html', '/indexXhtml')).toBe(false);
});

const rules = readHeaderRules(join(import.meta.dirname, '..', '..', 'public', '_headers'));

test('public/_headers: chapters, decks and the home page may be framed only by the site', () => {
  const closed = { 'Access-Control-Allow-Origin': '*', 'Content-Security-Policy': "frame-ancestors 'self'", 'X-Frame-Options': 'SAMEORIGIN' };
  for (const path of ['/', '/index.html', '/chapters/03-rope/', '/slides/03-rope/', '/slides/03-rope/presenter/']) expect(headersFor(rules, path), path).toEqual(closed);
});

test('public/_headers: embeds, oEmbed answers and assets are readable from any origin and frameable', () => {
  for (const path of ['/embed/rope-stretch/', '/oembed/rope-stretch.json', '/embed.js', '/models/glass-llama/model.safetensors', '/tfjs/tfjs-backend-wasm.wasm']) {
    expect(headersFor(rules, path), path).toEqual({ 'Access-Control-Allow-Origin': '*' });
  }
});

test('public/_headers: the hashed bundles are cached for a year, the fonts and KaTeX for a week, pages and the model not at all', () => {
  expect(headersFor(rules, '/_astro/registry.B_wwtmOl.js')['Cache-Control']).toBe('public, max-age=31536000, immutable');
  expect(headersFor(rules, '/fonts/inter-latin-wght-normal.woff2')['Cache-Control']).toBe('public, max-age=604800');
  expect(headersFor(rules, '/katex/fonts/KaTeX_Main-Regular.woff2')['Cache-Control']).toBe('public, max-age=604800');
  for (const path of ['/', '/chapters/03-rope/', '/models/glass-llama/model.safetensors', '/embed.js']) expect(headersFor(rules, path)['Cache-Control'], path).toBeUndefined();
});
