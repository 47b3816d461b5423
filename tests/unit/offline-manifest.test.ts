// The service worker's manifest (src/offline/serviceWorkerBuild.mjs) for a small built site.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fileUrl, offlineManifest } from '../../src/offline/serviceWorkerBuild.mjs';

const dist = mkdtempSync(join(tmpdir(), 'glass-llama-dist-'));
afterAll(() => rmSync(dist, { recursive: true, force: true }));
function put(file: string, text = file): void {
  mkdirSync(dirname(join(dist, file)), { recursive: true });
  writeFileSync(join(dist, file), text);
}
for (const file of [
  'index.html',
  'chapters/03-rope/index.html',
  '_astro/page.abc.js',
  '_astro/worker-C9wFFuuM.js',
  'models/glass-llama/model.safetensors',
  'models/glass-llama/config.json',
  'tfjs/tfjs-backend-wasm.wasm',
  'pagefind/pagefind.js',
  'pagefind/pagefind-ui.js',
  'test/runtime/index.html',
  '_headers',
  'sw.js',
]) {
  put(file);
}

describe('offlineManifest', () => {
  test('precaches the pages and small files, leaves the model files for first use, skips test pages', () => {
    const manifest = offlineManifest(dist);
    // In the order of the files' paths in dist/ ("index.html" after "chapters/").
    expect(manifest.precache).toEqual([
      '/_astro/page.abc.js',
      '/chapters/03-rope/',
      '/',
      '/models/glass-llama/config.json',
      '/pagefind/pagefind.js',
    ]);
    expect(manifest.onDemand).toEqual([
      '/_astro/worker-C9wFFuuM.js',
      '/models/glass-llama/model.safetensors',
      '/tfjs/tfjs-backend-wasm.wasm',
    ]);
    expect(manifest.version).toMatch(/^[0-9a-f]{16}$/);
  });

  test('its version changes when any listed file changes, and only then', () => {
    const before = offlineManifest(dist).version;
    put('test/runtime/index.html', 'changed test page');
    expect(offlineManifest(dist).version).toBe(before);
    put('models/glass-llama/model.safetensors', 'new weights');
    expect(offlineManifest(dist).version).not.toBe(before);
  });

  test('fileUrl gives the URL a page asks for', () => {
    expect(fileUrl('index.html')).toBe('/');
    expect(fileUrl('chapters/x/index.html')).toBe('/chapters/x/');
    expect(fileUrl('pagefind/index.html.pf')).toBe('/pagefind/index.html.pf');
  });
});
