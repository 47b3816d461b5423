// src/styles/self-host-assets.mjs: the build refuses a KaTeX stylesheet from another version than
// the KaTeX that rehype-katex renders with, and the copy into public/ is safe for two Astro processes at once.
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

test('four processes copying the fonts into one public/ at once all succeed and leave one whole copy; a font KaTeX no longer ships goes', async () => {
  // npm test runs `astro sync` (the type check) beside `astro build`: both copy at start-up.
  const { execFile } = await import('node:child_process');
  const { readdirSync, readFileSync } = await import('node:fs');
  const { createRequire } = await import('node:module');
  const { dirname } = await import('node:path');
  const repo = join(import.meta.dirname, '..', '..');
  const publicDir = mkdtempSync(join(tmpdir(), 'glass-llama-public-'));
  made.push(publicDir);
  mkdirSync(join(publicDir, 'katex', 'fonts'), { recursive: true });
  writeFileSync(join(publicDir, 'katex', 'fonts', 'KaTeX_Gone-Regular.woff2'), 'old');
  const script = `import(${JSON.stringify(join(repo, 'src', 'styles', 'self-host-assets.mjs'))}).then((m) => m.copySelfHostedAssets(${JSON.stringify(publicDir)}, ${JSON.stringify(repo)}))`;
  const exits = await Promise.all(
    [1, 2, 3, 4].map(() => new Promise<string>((done) => execFile(process.execPath, ['-e', script], (error, _out, stderr) => done(error ? `failed: ${stderr}` : 'ok')))),
  );
  expect(exits).toEqual(['ok', 'ok', 'ok', 'ok']);
  const katexFonts = join(dirname(createRequire(join(repo, 'package.json')).resolve('katex/package.json')), 'dist', 'fonts');
  const shipped = readdirSync(katexFonts).filter((file) => file.endsWith('.woff2')).sort();
  expect(shipped.length).toBe(20);
  expect(readdirSync(join(publicDir, 'katex', 'fonts')).sort()).toEqual(shipped);
  for (const file of shipped) expect(readFileSync(join(publicDir, 'katex', 'fonts', file)).equals(readFileSync(join(katexFonts, file)))).toBe(true);
  expect(readdirSync(join(publicDir, 'fonts')).sort()).toEqual(['inter-latin-wght-normal.woff2', 'jetbrains-mono-latin-wght-normal.woff2', 'source-serif-4-latin-wght-italic.woff2', 'source-serif-4-latin-wght-normal.woff2']);
  expect(readdirSync(join(publicDir, 'katex'))).toEqual(expect.arrayContaining(['katex.min.css', 'fonts']));
});
