// src/layouts/katexStyles.ts: KaTeX's stylesheet as the pages inline it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { expect, test } from 'vitest';
import { inlinableKatexCss } from '../../src/layouts/katexStyles';

const katexDist = join(dirname(createRequire(import.meta.url).resolve('katex/package.json')), 'dist');
const katexFonts = join(katexDist, 'fonts');
// Read from disk: vitest hands CSS imports (even ?raw) to tests as empty strings.
const katexCss = inlinableKatexCss(readFileSync(join(katexDist, 'katex-swap.min.css'), 'utf8'));

test('inlinableKatexCss keeps only the woff2 source of a font and makes its URL absolute', () => {
  const face =
    '@font-face{font-family:KaTeX_AMS;src:url(fonts/KaTeX_AMS-Regular.woff2) format("woff2"),url(fonts/KaTeX_AMS-Regular.woff) format("woff"),url(fonts/KaTeX_AMS-Regular.ttf) format("truetype")}';
  expect(inlinableKatexCss(face)).toBe('@font-face{font-family:KaTeX_AMS;src:url(/katex/fonts/KaTeX_AMS-Regular.woff2) format("woff2")}');
});

test("KaTeX's stylesheet, made inlinable, names 20 KaTeX woff2 fonts under /katex/fonts/, each one KaTeX ships, and keeps font-display: swap", () => {
  const urls = [...katexCss.matchAll(/url\(([^)]+)\)/g)].map((match) => match[1]);
  expect(urls).toHaveLength(20);
  for (const url of urls) {
    expect(url).toMatch(/^\/katex\/fonts\/KaTeX_[A-Za-z0-9_-]+\.woff2$/);
    expect(existsSync(join(katexFonts, url.slice('/katex/fonts/'.length))), url).toBe(true);
  }
  expect(katexCss.match(/@font-face\{/g)).toHaveLength(20);
  expect(katexCss.match(/font-display:swap/g)).toHaveLength(20);
  expect(katexCss).toContain('.katex{');
});
