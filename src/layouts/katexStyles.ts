// KaTeX's stylesheet, inlined in the <head> of every page with math so the first paint needs no
// stylesheet request (the math is laid out by it, so it is render-blocking either way). The
// variant with font-display: swap draws text in a fallback until a KaTeX font arrives. Its
// url(fonts/...) are relative to the stylesheet; inlined, they must name /katex/fonts/, where
// src/styles/self-host-assets.mjs copies the woff2 files (the only format copied: every browser
// that can run the model reads woff2, so the woff and ttf fallbacks are dropped from each src).
import katexSwapCss from 'katex/dist/katex-swap.min.css?raw';

/** `css` with its font URLs made absolute (/katex/fonts/) and only the woff2 source of each font. */
export function inlinableKatexCss(css: string): string {
  return css
    .replace(/,url\(fonts\/[^)]+\.woff\) format\("woff"\)/g, '')
    .replace(/,url\(fonts\/[^)]+\.ttf\) format\("truetype"\)/g, '')
    .replace(/url\(fonts\//g, 'url(/katex/fonts/');
}

export const katexCss = inlinableKatexCss(katexSwapCss);
