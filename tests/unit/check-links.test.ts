// Cross-references are checked at build (src/links/checkLinks.mjs): a small built site with one
// link of each kind that can break.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { anchorHrefs, brokenLinks, idsIn } from '../../src/links/checkLinks.mjs';

const dist = mkdtempSync(join(tmpdir(), 'glass-llama-links-'));
afterAll(() => rmSync(dist, { recursive: true, force: true }));
function put(file: string, html: string): void {
  mkdirSync(dirname(join(dist, file)), { recursive: true });
  writeFileSync(join(dist, file), html);
}

describe('brokenLinks', () => {
  test('names each link that reaches no page or no #fragment, and passes the rest', () => {
    put('index.html', '<a href="/chapters/03-rope/">RoPE</a> <a href="https://example.com/x">out</a> <a href="mailto:a@b.c">mail</a>');
    put(
      'chapters/03-rope/index.html',
      [
        '<h2 id="the-base">The base</h2>',
        '<a href="#the-base">ok</a>',
        '<a href="/chapters/02-attention/">see the attention chapter</a>',
        '<a href="?w.layer=2&#38;w.head=1#the-base">ok, with a query</a>',
        '<a href="#no-such-section">broken fragment</a>',
        '<a href="../03-rope/#the-base">ok, relative</a>',
        '<a href="/models/config.json">ok, a file</a>',
        '<p data-widget-id="figure">not an id</p><a href="#figure">broken: data-widget-id is not an id</a>',
      ].join('\n'),
    );
    put('models/config.json', '{}');
    expect(brokenLinks(dist)).toEqual([
      '/chapters/03-rope/ links to /chapters/02-attention/, but the build has no page /chapters/02-attention/.',
      '/chapters/03-rope/ links to #no-such-section, but /chapters/03-rope/ has no element with id "no-such-section".',
      '/chapters/03-rope/ links to #figure, but /chapters/03-rope/ has no element with id "figure".',
    ]);
  });
});

describe('reading the HTML', () => {
  test('hrefs with entities decoded, ids but not data-*-id', () => {
    expect(anchorHrefs(`<a class="x" href="/a?b=1&amp;c=2">x</a><a href='#y'>y</a><link href="/no">`)).toEqual(['/a?b=1&c=2', '#y']);
    expect([...idsIn('<h2 id="a">A</h2><p data-widget-id="b" id="c&#38;d"></p>')]).toEqual(['a', 'c&d']);
  });
});
