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

import fontsCss from '../styles/fonts.css?raw';

/** One @font-face rule of src/styles/fonts.css. */
export interface TextFace {
  family: string;
  url: string;
  style: string;
  weight: string;
  display: string;
}

/** The @font-face rules of a stylesheet written as fonts.css writes them (one descriptor a line). */
export function fontFacesOf(css: string): TextFace[] {
  return [...css.matchAll(/@font-face\s*{([^}]*)}/g)].map(([, body]) => {
    const value = (name: string) => {
      const found = new RegExp(`${name}:\\s*([^;]+);`).exec(body);
      if (!found) throw new Error(`an @font-face rule of fonts.css has no ${name}`);
      return found[1].trim();
    };
    const url = /url\(\s*['"]?([^'")\s]+)['"]?\s*\)/.exec(value('src'));
    if (!url) throw new Error(`an @font-face rule of fonts.css has no url() in its src: ${value('src')}`);
    return {
      family: value('font-family').replace(/['"]/g, ''),
      url: url[1],
      style: value('font-style'),
      weight: value('font-weight'),
      display: value('font-display'),
    };
  });
}

/**
 * The script that runs inline in <head>, before the first layout: on a page the service worker
 * controls, it adds `faces` to document.fonts (as the stylesheet's @font-face rules would). A
 * string, because it is inlined verbatim and allowed by its sha256 in the CSP.
 */
export function textFontsScript(faces: readonly TextFace[]): string {
  return (
    'try{var c=navigator.serviceWorker&&navigator.serviceWorker.controller;' +
    `if(c)${JSON.stringify(faces.map((face) => [face.family, face.url, face.style, face.weight, face.display]))}` +
    '.forEach(function(f){document.fonts.add(new FontFace(f[0],"url("+f[1]+")",{style:f[2],weight:f[3],display:f[4]}))})}catch(e){}'
  );
}

/** The reading pages' script, for the faces of src/styles/fonts.css (the one place they are written). */
export const applyTextFontsScript = textFontsScript(fontFacesOf(fontsCss));
