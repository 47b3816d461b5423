// The text faces of the reading pages (home, chapters, glossary, search): Source Serif 4 for the
// prose, Inter for the interface, JetBrains Mono for code. A reading page draws them only when it
// is controlled by the site's service worker, which has the font files in its cache by then (it
// precaches the whole site in the background on the first visit: src/offline/). The first page of
// a first visit is drawn in the system faces of the stacks in global.css (Iowan Old Style,
// Palatino, Georgia; system-ui; ui-monospace) and never changes face under the reader; every page
// after it has the web faces from its first paint.
//
// Why: on a first visit over a slow phone network the four files (190 KB) are most of what the
// page waits for. Requested by the first layout, they arrive seconds after the text, and each
// arrival lays out the first screen again ("Fonts changed", 75-85 ms of main thread each at
// Lighthouse's 4x CPU, counted as blocking time), or, when they arrive before the first paint, the
// first paint waits for them. Lighthouse mobile on the 19 chapters, 3 runs each (npm run lighthouse
// -- --runs 3): see the README's "Page speed".
//
// The slides and the embed pages keep the faces in their stylesheet (src/styles/fonts.css): a
// classroom deck is not a first visit on a phone, and an embed's committed height is measured with
// these faces (an embed is framed by another site, where no service worker of ours runs).

/** One @font-face of src/styles/fonts.css (tests/unit/text-fonts.test.ts keeps the two the same). */
export interface TextFace {
  family: string;
  url: string;
  style: 'normal' | 'italic';
  weight: string;
  display: 'optional' | 'swap';
}

export const TEXT_FACES: readonly TextFace[] = [
  { family: 'Source Serif 4', url: '/fonts/source-serif-4-latin-wght-normal.woff2', style: 'normal', weight: '200 900', display: 'optional' },
  { family: 'Source Serif 4', url: '/fonts/source-serif-4-latin-wght-italic.woff2', style: 'italic', weight: '200 900', display: 'optional' },
  { family: 'Inter', url: '/fonts/inter-latin-wght-normal.woff2', style: 'normal', weight: '100 900', display: 'swap' },
  { family: 'JetBrains Mono', url: '/fonts/jetbrains-mono-latin-wght-normal.woff2', style: 'normal', weight: '100 800', display: 'swap' },
];

/**
 * Runs inline in <head>, before the first layout: on a page the service worker controls, adds the
 * text faces to document.fonts (as the stylesheet's @font-face rules would). Kept as a string
 * because it is inlined verbatim and allowed by its sha256 in the CSP.
 */
export const applyTextFontsScript =
  'try{var c=navigator.serviceWorker&&navigator.serviceWorker.controller;' +
  `if(c)${JSON.stringify(TEXT_FACES.map((face) => [face.family, face.url, face.style, face.weight, face.display]))}` +
  '.forEach(function(f){document.fonts.add(new FontFace(f[0],"url("+f[1]+")",{style:f[2],weight:f[3],display:f[4]}))})}catch(e){}';
