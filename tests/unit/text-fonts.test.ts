// The text faces of the reading pages (src/layouts/textFonts.ts): the four faces of the slides' and
// embeds' stylesheet, read from it, each file self-hosted, added by the inline script only on a
// page the service worker controls.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { expect, test } from 'vitest';
import { fontFacesOf, textFontsScript } from '../../src/layouts/textFonts';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** What the build reads (src/layouts/textFonts.ts imports fonts.css with ?raw, which vitest would empty). */
const TEXT_FACES = fontFacesOf(readFileSync(join(REPO_ROOT, 'src/styles/fonts.css'), 'utf8'));
const applyTextFontsScript = textFontsScript(TEXT_FACES);

test('the faces are read from the @font-face rules of src/styles/fonts.css, and each file is in public/fonts/', () => {
  expect(TEXT_FACES).toEqual([
    { family: 'Source Serif 4', url: '/fonts/source-serif-4-latin-wght-normal.woff2', style: 'normal', weight: '200 900', display: 'optional' },
    { family: 'Source Serif 4', url: '/fonts/source-serif-4-latin-wght-italic.woff2', style: 'italic', weight: '200 900', display: 'optional' },
    { family: 'Inter', url: '/fonts/inter-latin-wght-normal.woff2', style: 'normal', weight: '100 900', display: 'swap' },
    { family: 'JetBrains Mono', url: '/fonts/jetbrains-mono-latin-wght-normal.woff2', style: 'normal', weight: '100 800', display: 'swap' },
  ]);
  for (const face of TEXT_FACES) expect(existsSync(join(REPO_ROOT, 'public', face.url)), face.url).toBe(true);
  // A rule that lost a descriptor stops the build rather than adding a face the stylesheet does not have.
  expect(() => fontFacesOf("@font-face {\n  font-family: 'X';\n  src: url('/fonts/x.woff2');\n}")).toThrow('an @font-face rule of fonts.css has no font-style');
  expect(() => fontFacesOf("@font-face {\n  font-family: 'X';\n  src: local('X');\n}")).toThrow("an @font-face rule of fonts.css has no url() in its src: local('X')");
  // Double quotes or none read the same as the stylesheet's single quotes.
  expect(fontFacesOf('@font-face { font-family: "X"; src: url("/fonts/x.woff2") format("woff2"); font-style: normal; font-weight: 400; font-display: swap; }')[0].url).toBe('/fonts/x.woff2');
  expect(fontFacesOf('@font-face { font-family: X; src: url(/fonts/y.woff2); font-style: normal; font-weight: 400; font-display: swap; }')[0]).toEqual({ family: 'X', url: '/fonts/y.woff2', style: 'normal', weight: '400', display: 'swap' });
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
