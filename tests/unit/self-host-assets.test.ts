// src/styles/self-host-assets.mjs: the build refuses a KaTeX stylesheet from another version than
// the KaTeX that rehype-katex renders with.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { assertOneKatex } from '../../src/styles/self-host-assets.mjs';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function writePackage(dir: string, manifest: Record<string, unknown>, entry?: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  if (entry) writeFileSync(join(dir, entry), 'export default {};\n');
}

/** A project whose own katex is `stylesheet` and whose rehype-katex gets `renderer` (nested when they differ). */
function project(stylesheet: string, renderer: string): string {
  const root = mkdtempSync(join(tmpdir(), 'glass-llama-katex-'));
  made.push(root);
  writePackage(root, { name: 'site', dependencies: { katex: stylesheet, 'rehype-katex': '7.0.1' } });
  writePackage(join(root, 'node_modules', 'katex'), { name: 'katex', version: stylesheet });
  const rehype = join(root, 'node_modules', 'rehype-katex');
  writePackage(rehype, { name: 'rehype-katex', version: '7.0.1', type: 'module', exports: './index.js' }, 'index.js');
  if (renderer !== stylesheet) writePackage(join(rehype, 'node_modules', 'katex'), { name: 'katex', version: renderer });
  return root;
}

test('assertOneKatex returns the one KaTeX when the stylesheet and the renderer agree', () => {
  const root = project('0.16.47', '0.16.47');
  expect(assertOneKatex(root)).toEqual({ version: '0.16.47', dir: join(root, 'node_modules', 'katex') });
});

test('assertOneKatex fails with both versions named when rehype-katex has its own KaTeX', () => {
  const root = project('0.19.1', '0.16.47');
  expect(() => assertOneKatex(root)).toThrow(
    /^KaTeX version mismatch: the stylesheet would come from katex 0\.19\.1 .* but rehype-katex renders with katex 0\.16\.47 .*Set "katex" in package\.json to exactly 0\.16\.47/,
  );
});

test('this repository installs one KaTeX for the stylesheet and the renderer', () => {
  expect(assertOneKatex(join(import.meta.dirname, '..', '..')).dir).toBe(join(import.meta.dirname, '..', '..', 'node_modules', 'katex'));
});
