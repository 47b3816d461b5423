// The parts of the search page that need no browser: reading the query, the status sentences and
// turning Pagefind's excerpts (text with <mark> around the matched words) into safe pieces.

/** Longer queries are cut here (the input's maxlength says the same). */
export const SEARCH_MAX_LENGTH = 200;

/** The query from a page URL's ?q=, cleaned: control characters dropped, spaces collapsed, cut. */
export function queryFromUrl(search: string): string {
  return cleanQuery(new URLSearchParams(search).get('q') ?? '');
}

export function cleanQuery(raw: string): string {
  return raw
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, SEARCH_MAX_LENGTH);
}

/** What the status line says for a query and its number of results. */
export function statusText(query: string, results: number): string {
  if (query === '') return 'Type a word or a phrase to search every chapter.';
  if (results === 0) return `No chapter mentions “${query}”. Try fewer or shorter words.`;
  return `${results} ${results === 1 ? 'chapter mentions' : 'chapters mention'} “${query}”.`;
}

export const INDEX_MISSING =
  'The search index is not here. It is made by the build: run `npm start` (not `astro dev`), then search again.';

export interface ExcerptPiece {
  text: string;
  marked: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27|nbsp);/g, (_, name: string) => ENTITIES[name]);
}

/**
 * Pagefind's excerpt is HTML-escaped text with <mark>…</mark> around the matches. Split it into
 * plain-text pieces, so the page builds text nodes and never inserts the excerpt as HTML. Any
 * other tag is dropped.
 */
export function excerptPieces(excerpt: string): ExcerptPiece[] {
  const pieces: ExcerptPiece[] = [];
  const pattern = /<mark>([\s\S]*?)<\/mark>/g;
  let last = 0;
  const push = (raw: string, marked: boolean) => {
    const text = decodeEntities(raw.replace(/<[^>]*>/g, ''));
    if (text !== '') pieces.push({ text, marked });
  };
  for (let match = pattern.exec(excerpt); match; match = pattern.exec(excerpt)) {
    push(excerpt.slice(last, match.index), false);
    push(match[1], true);
    last = match.index + match[0].length;
  }
  push(excerpt.slice(last), false);
  return pieces;
}

/**
 * Whether a result really contains a query word. Pagefind also returns pages for a partial match
 * of a short indexed word, such as the x of a formula for "xylophone"; a result counts only when
 * one of its marked words starts with the first four letters of a query word (all of it when
 * shorter).
 */
export function marksMatchQuery(marked: string[], query: string): boolean {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const heads = words.map((word) => word.slice(0, 4));
  return marked.some((mark) => {
    const text = mark.toLowerCase();
    return heads.some((head) => text.startsWith(head));
  });
}
