// A chapter's rendered HTML cut into slides. A new slide starts at every top-level section
// heading (<h2>, <h3>) and at every explicit break (components/SlideBreak.astro). Speaker notes
// (components/Notes.astro) are taken out of the slide they sit in and returned beside it.
// The reading view renders the same MDX and simply hides the breaks and the notes.

export interface Slide {
  /** The slide's HTML, notes removed. */
  html: string;
  /** The speaker notes' HTML ('' when the slide has none). */
  notes: string;
}

/** Marker attributes rendered by SlideBreak.astro and Notes.astro. */
export const SLIDE_BREAK_ATTRIBUTE = 'data-slide-break';
export const NOTES_ATTRIBUTE = 'data-speaker-notes';

const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const TAG = /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w:-]*)((?:"[^"]*"|'[^']*'|[^'">])*)>/g;
const NOTES = new RegExp(`<aside\\b[^>]*\\b${NOTES_ATTRIBUTE}\\b[^>]*>([\\s\\S]*?)<\\/aside>`, 'g');

/** Offsets in `html` where a top-level heading or slide break begins, and where breaks end. */
function boundaries(html: string): { start: number; end: number; isBreak: boolean }[] {
  const found: { start: number; end: number; isBreak: boolean }[] = [];
  let depth = 0;
  for (const match of html.matchAll(TAG)) {
    const [whole, closing, rawName, attributes] = match;
    if (rawName === undefined) continue; // a comment
    const name = rawName.toLowerCase();
    const start = match.index;
    if (closing) {
      depth = Math.max(0, depth - 1);
      continue;
    }
    if (depth === 0 && (name === 'h2' || name === 'h3')) found.push({ start, end: start, isBreak: false });
    if (name === 'hr' && attributes.includes(SLIDE_BREAK_ATTRIBUTE)) found.push({ start, end: start + whole.length, isBreak: true });
    if (!VOID_ELEMENTS.has(name) && !attributes.trimEnd().endsWith('/')) depth++;
  }
  return found;
}

/** Cut `html` (a chapter body) into slides; empty pieces (e.g. before the first heading) are dropped. */
export function splitIntoSlides(html: string): Slide[] {
  const cuts = boundaries(html);
  const pieces: string[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(html.slice(from, cut.start));
    from = cut.isBreak ? cut.end : cut.start;
  }
  pieces.push(html.slice(from));
  return pieces
    .map((piece) => {
      const notes = [...piece.matchAll(NOTES)].map((match) => match[1].trim()).join('\n');
      return { html: piece.replace(NOTES, '').trim(), notes };
    })
    .filter((slide) => slide.html !== '' || slide.notes !== '');
}
