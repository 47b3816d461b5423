// The text faces of the reading pages (src/layouts/textFonts.ts): the same four faces as the
// stylesheet of the slides and embeds, each file self-hosted, added by the inline script only on a
// page the service worker controls.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { expect, test } from 'vitest';
import { applyTextFontsScript, TEXT_FACES } from '../../src/layouts/textFonts';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

test('the faces are the @font-face rules of src/styles/fonts.css, and each file is in public/fonts/', () => {
  const css = readFileSync(join(REPO_ROOT, 'src/styles/fonts.css'), 'utf8');
  const rules = [...css.matchAll(/@font-face\s*{([^}]*)}/g)].map(([, body]) => {
    const value = (name: string) => new RegExp(`${name}:\\s*([^;]+);`).exec(body)![1].trim();
    return {
      family: value('font-family').replace(/'/g, ''),
      url: /url\('([^']+)'\)/.exec(body)![1],
      style: value('font-style'),
      weight: value('font-weight'),
      display: value('font-display'),
    };
  });
  expect(rules).toHaveLength(4);
  expect(TEXT_FACES).toEqual(rules);
  for (const face of TEXT_FACES) expect(existsSync(join(REPO_ROOT, 'public', face.url)), face.url).toBe(true);
});

/** Runs the inline script with a service worker controller or none; returns the faces it added. */
function run(controller: object | null): string[] {
  const added: string[] = [];
  class FontFace {
    constructor(family: string, source: string, descriptors: Record<string, string>) {
      added.push(`${family} | ${source} | ${descriptors.style} ${descriptors.weight} ${descriptors.display}`);
    }
  }
  runInNewContext(applyTextFontsScript, {
    navigator: { serviceWorker: { controller } },
    document: { fonts: { add: () => undefined } },
    FontFace,
  });
  return added;
}

test('a page the service worker controls gets the four faces; a first visit gets none', () => {
  expect(run({})).toEqual([
    'Source Serif 4 | url(/fonts/source-serif-4-latin-wght-normal.woff2) | normal 200 900 optional',
    'Source Serif 4 | url(/fonts/source-serif-4-latin-wght-italic.woff2) | italic 200 900 optional',
    'Inter | url(/fonts/inter-latin-wght-normal.woff2) | normal 100 900 swap',
    'JetBrains Mono | url(/fonts/jetbrains-mono-latin-wght-normal.woff2) | normal 100 800 swap',
  ]);
  expect(run(null)).toEqual([]);
  // A browser without service workers (or FontFace) runs the page in the system faces, no error.
  expect(() => runInNewContext(applyTextFontsScript, { navigator: {}, document: {} })).not.toThrow();
  expect(() => runInNewContext(applyTextFontsScript, { navigator: { serviceWorker: { controller: {} } }, document: {} })).not.toThrow();
});
