// A chapter's rendered HTML made into slides. The chapter is cut into sections at every top-level
// heading (<h2>, <h3>) and at every explicit break (components/SlideBreak.astro). A section's
// slide is its heading as the title, its short points (components/SlidePoints.astro) and its
// figures (components/Widget.astro); the rest of the section is prose for the reading view and
// stays out of the deck. Speaker notes (components/Notes.astro) go beside the slide they sit on.
// The reading view renders the same MDX and simply hides the points, the breaks and the notes.

export interface Slide {
  /** The title's inner HTML: the section's heading, or after a break the heading above it; '' before the first heading. */
  title: string;
  /** What the slide shows under its title, in order: its points (out of the reading view's hidden block) and its figures (each in a box that deck.ts fits to the slide). */
  body: string;
  /** The speaker notes' HTML ('' when the slide has none). */
  notes: string;
}

/** Marker attributes rendered by SlideBreak.astro, Notes.astro and SlidePoints.astro. */
export const SLIDE_BREAK_ATTRIBUTE = 'data-slide-break';
export const NOTES_ATTRIBUTE = 'data-speaker-notes';
export const POINTS_ATTRIBUTE = 'data-slide-points';
/** Widget.astro's marker on the figure it renders. */
const WIDGET_ATTRIBUTE = 'data-widget';

const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const TAG = /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w:-]*)((?:"[^"]*"|'[^']*'|[^'">])*)>/g;

/** One element at the top level of the chapter body: its tag name, opening tag's attributes and inner HTML. */
interface TopLevelElement {
  name: string;
  attributes: string;
  outer: string;
  inner: string;
}

function hasAttribute(attributes: string, attribute: string): boolean {
  return new RegExp(`(^|\\s)${attribute}(?=[\\s=/]|$)`).test(attributes);
}

/** The top-level elements of `html` in order; text and comments between them are skipped. */
function topLevelElements(html: string): TopLevelElement[] {
  const found: TopLevelElement[] = [];
  let depth = 0;
  let open: { name: string; attributes: string; start: number; innerStart: number } | null = null;
  for (const match of html.matchAll(TAG)) {
    const [whole, closing, rawName, attributes] = match;
    if (rawName === undefined) continue; // a comment
    const name = rawName.toLowerCase();
    const start = match.index;
    const end = start + whole.length;
    if (closing) {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && open) {
        found.push({ name: open.name, attributes: open.attributes, outer: html.slice(open.start, end), inner: html.slice(open.innerStart, start) });
        open = null;
      }
      continue;
    }
    const selfClosing = VOID_ELEMENTS.has(name) || attributes.trimEnd().endsWith('/');
    if (depth === 0) {
      if (selfClosing) found.push({ name, attributes, outer: whole, inner: '' });
      else open = { name, attributes, start, innerStart: end };
    }
    if (!selfClosing) depth++;
  }
  return found;
}

/** Make `html` (a chapter body) into slides; a stretch with nothing to show and no notes (e.g. prose before the first heading) gives none. */
export function splitIntoSlides(html: string): Slide[] {
  const slides: Slide[] = [];
  let current: Slide = { title: '', body: '', notes: '' };
  const finish = () => {
    if (current.title !== '' || current.body !== '' || current.notes !== '') slides.push(current);
  };
  for (const element of topLevelElements(html)) {
    const { name, attributes } = element;
    if (name === 'h2' || name === 'h3') {
      finish();
      current = { title: element.inner.trim(), body: '', notes: '' };
    } else if (name === 'hr' && hasAttribute(attributes, SLIDE_BREAK_ATTRIBUTE)) {
      finish();
      current = { title: current.title, body: '', notes: '' };
    } else if (hasAttribute(attributes, NOTES_ATTRIBUTE)) {
      current.notes += (current.notes ? '\n' : '') + element.inner.trim();
    } else if (hasAttribute(attributes, POINTS_ATTRIBUTE)) {
      current.body += `<div class="slide-points">${element.inner.trim()}</div>`;
    } else if (hasAttribute(attributes, WIDGET_ATTRIBUTE)) {
      current.body += `<div class="slide__figure">${element.outer}</div>`;
    }
  }
  finish();
  return slides;
}

/** A chapter's deck: the title slide's extras (points and notes of the text before the first heading) and the slides after it. */
export interface ChapterDeck {
  opening: { body: string; notes: string };
  slides: Slide[];
}

export function chapterDeck(html: string): ChapterDeck {
  const slides = splitIntoSlides(html);
  const first = slides[0];
  if (first && first.title === '') return { opening: { body: first.body, notes: first.notes }, slides: slides.slice(1) };
  return { opening: { body: '', notes: '' }, slides };
}
