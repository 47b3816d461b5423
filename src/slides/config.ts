// The deck's reveal.js settings, shared by the deck script (browser) and the deck page, which lists
// the CSP hashes of the styles reveal.js writes when it prints (printStyleHashes.ts, build time).
/** The slide canvas in CSS pixels (16:9); reveal.js scales it to fit any screen or projector. */
export const SLIDE_WIDTH = 1280;
export const SLIDE_HEIGHT = 720;
/** Space around the canvas, as a fraction of its size. */
export const SLIDE_MARGIN = 0.04;

/**
 * The two <style> elements reveal.js 5 adds in print mode (its PrintView.activate): the page
 * size, and a cap on media sizes. Their text depends only on the settings above, so their
 * hashes can be listed in the page's Content-Security-Policy at build time.
 */
export function revealPrintStyles(): string[] {
  const pageWidth = Math.floor(SLIDE_WIDTH * (1 + SLIDE_MARGIN));
  const pageHeight = Math.floor(SLIDE_HEIGHT * (1 + SLIDE_MARGIN));
  return [
    `@page{size:${pageWidth}px ${pageHeight}px; margin: 0px;}`,
    `.reveal section>img, .reveal section>video, .reveal section>iframe{max-width: ${SLIDE_WIDTH}px; max-height:${SLIDE_HEIGHT}px}`,
  ];
}

/** The BroadcastChannel that every window showing deck `chapterId` joins. */
export function deckChannelName(chapterId: string): string {
  return `glass-llama-slides:${chapterId}`;
}
