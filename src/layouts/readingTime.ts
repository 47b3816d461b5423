// Reading time of a chapter, from its MDX source: the prose words at 220 words a minute (a common
// figure for adults reading non-fiction), rounded up. Imports, component tags, code blocks and
// display maths are left out; the time to play with widgets is not counted.

export const WORDS_PER_MINUTE = 220;

/** The words a reader reads in an MDX source. */
export function proseWords(mdx: string): number {
  const prose = mdx
    .replace(/^---\n[\s\S]*?\n---\n/, '') // frontmatter
    .replace(/^```[\s\S]*?^```/gm, ' ') // code blocks
    .replace(/\$\$[\s\S]*?\$\$/g, ' ') // display maths
    .replace(/^(import|export) .*$/gm, ' ') // MDX imports
    .replace(/<[A-Z][^<>]*\/>/g, ' ') // self-closing components (<Widget ... />)
    .replace(/<\/?[A-Za-z][^>]*>/g, ' '); // other tags (their text content stays)
  return prose.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
}

/** Whole minutes to read `mdx`, at least 1. */
export function readingMinutes(mdx: string): number {
  return Math.max(1, Math.ceil(proseWords(mdx) / WORDS_PER_MINUTE));
}
