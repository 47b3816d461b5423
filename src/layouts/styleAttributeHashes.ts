// The Content-Security-Policy allows an inline style="..." attribute only if the sha256 of its
// exact value is listed (style-src 'unsafe-hashes' 'sha256-...'). KaTeX (strut heights) and Shiki
// (token colours) write such attributes into the chapter HTML, so the chapter layout renders the
// chapter body first, hashes every style attribute value found in it, and adds those hashes to
// the page's policy with Astro.csp.insertStyleHash. An attribute injected later is refused.
import { createHash } from 'node:crypto';

const STYLE_ATTRIBUTE = /\sstyle=(?:"([^"]*)"|'([^']*)')/g;

const HTML_ENTITIES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };

/** The attribute value as the browser sees it after parsing (entities decoded). */
function decodeAttribute(raw: string): string {
  return raw.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] === '#') {
      const codePoint = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return String.fromCodePoint(codePoint);
    }
    return HTML_ENTITIES[body.toLowerCase()] ?? entity;
  });
}

/** CSP source expressions ('sha256-<base64>') for every distinct style attribute value in `html`. */
export function styleAttributeHashes(html: string): `sha256-${string}`[] {
  const values = new Set<string>();
  for (const match of html.matchAll(STYLE_ATTRIBUTE)) values.add(decodeAttribute(match[1] ?? match[2]));
  return [...values].map((value) => `sha256-${createHash('sha256').update(value, 'utf8').digest('base64')}` as const);
}

/** CSP source expression for an inline <script> or <style> body. */
export function inlineHash(content: string): `sha256-${string}` {
  return `sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}`;
}
