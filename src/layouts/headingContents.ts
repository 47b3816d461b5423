// The table of contents shows each section heading as the reader sees it. Astro's heading list
// (MarkdownHeading.text) concatenates every text node of the heading, so a heading with KaTeX in
// it reads "square root of dkd_kdk" (the MathML, the TeX annotation and the drawn formula in a
// row). The chapter layout has the rendered chapter body, so the contents take each heading's
// own markup from it instead: the formula is drawn, and its MathML gives screen readers "d k".

/** A section of the contents: Astro's heading, with its markup from the rendered body. */
export interface ContentsEntry {
  depth: number;
  slug: string;
  /** The heading's inner HTML (text and KaTeX markup), with any link tags dropped (the entry is a link). */
  html: string;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The inner HTML of the `<h{depth} id="{slug}">` element in `body`; the heading's plain text
 * (escaped) when the body has no such element. Links inside the heading are unwrapped, since a
 * link may not contain another.
 */
export function headingContents(body: string, heading: { depth: number; slug: string; text: string }): ContentsEntry {
  const tag = `h${heading.depth}`;
  const pattern = new RegExp(`<${tag}\\s[^>]*?\\bid=(?:"${escapeRegExp(heading.slug)}"|'${escapeRegExp(heading.slug)}')[^>]*>([\\s\\S]*?)</${tag}>`);
  const inner = pattern.exec(body)?.[1];
  const html = inner === undefined ? escapeHtml(heading.text) : inner.replace(/<\/?a(?:\s[^>]*)?>/g, '');
  return { depth: heading.depth, slug: heading.slug, html };
}
