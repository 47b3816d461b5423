// @ts-check
// rehype plugin for the chapters: the first use of each glossary term in a chapter's prose becomes
// a link to its glossary entry, with the one-line definition as a tooltip that shows on hover and
// on keyboard focus (src/glossary/tooltips.ts; Escape hides it). Headings, links, code, maths,
// tables and components (widgets, slide points, speaker notes) are left alone; only text inside
// paragraphs and list items is linked.
//
//   <span class="term"><a class="term__link" href="/glossary/#softmax" aria-describedby="term-tip-softmax">softmax</a
//   ><span class="term__tip" id="term-tip-softmax" role="tooltip" data-pagefind-ignore hidden>Turns scores …</span></span>

/** @typedef {{ id: string, term: string, definition: string, match: string[], caseSensitive?: boolean }} Term */

const SKIP_TAGS = new Set(['a', 'code', 'pre', 'kbd', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'svg', 'math', 'script', 'style', 'button', 'label']);
const PROSE_TAGS = new Set(['p', 'li']);

/** @param {string} text */
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * One regular expression per term: any of its phrases as whole words, longest first.
 * @param {Term} term
 */
export function termPattern(term) {
  const phrases = [...term.match].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(`(?<![\\p{L}\\p{N}_-])(?:${phrases.join('|')})(?![\\p{L}\\p{N}_-])`, term.caseSensitive ? 'u' : 'iu');
}

/** @param {any} node */
function isSkipped(node) {
  if (node.type === 'mdxJsxFlowElement' || node.type === 'mdxJsxTextElement') return true;
  if (node.type !== 'element') return false;
  if (SKIP_TAGS.has(node.tagName)) return true;
  const classes = node.properties?.className;
  return Array.isArray(classes) && classes.some((name) => String(name).startsWith('katex'));
}

/**
 * @param {Term} term
 * @param {string} text the words as they appear in the chapter
 */
function termNode(term, text) {
  const tipId = `term-tip-${term.id}`;
  return {
    type: 'element',
    tagName: 'span',
    properties: { className: ['term'] },
    children: [
      { type: 'element', tagName: 'a', properties: { className: ['term__link'], href: `/glossary/#${term.id}`, ariaDescribedBy: tipId }, children: [{ type: 'text', value: text }] },
      {
        type: 'element',
        tagName: 'span',
        properties: { className: ['term__tip'], id: tipId, role: 'tooltip', dataPagefindIgnore: '', hidden: true },
        children: [{ type: 'text', value: term.definition }],
      },
    ],
  };
}

/**
 * Links the first use of each term in `tree` (a chapter's hast). Returns the ids linked, in order.
 * @param {any} tree
 * @param {Term[]} terms
 */
export function linkFirstUses(tree, terms) {
  const waiting = new Map(terms.map((term) => [term.id, { term, pattern: termPattern(term) }]));
  /** @type {string[]} */
  const linked = [];

  /**
   * Links the first waiting term in the text node parent.children[i]; returns how many nodes
   * replaced it, so the caller goes on with the text after the link.
   * @param {any} parent @param {number} i
   */
  function linkInText(parent, i) {
    const child = parent.children[i];
    let best = null;
    for (const entry of waiting.values()) {
      const match = entry.pattern.exec(child.value);
      if (match && (best === null || match.index < best.match.index)) best = { entry, match };
    }
    if (best === null) return 1;
    const { entry, match } = best;
    const before = child.value.slice(0, match.index);
    const after = child.value.slice(match.index + match[0].length);
    const pieces = [];
    if (before) pieces.push({ type: 'text', value: before });
    pieces.push(termNode(entry.term, match[0]));
    parent.children.splice(i, 1, ...pieces, ...(after ? [{ type: 'text', value: after }] : []));
    waiting.delete(entry.term.id);
    linked.push(entry.term.id);
    return pieces.length; // the text after the link (if any) is looked at next
  }

  /** Visits children in document order, so "first use" means first in reading order. @param {any} node @param {boolean} inProse */
  function visit(node, inProse) {
    if (isSkipped(node)) return;
    const prose = inProse || (node.type === 'element' && PROSE_TAGS.has(node.tagName));
    const children = node.children ?? [];
    for (let i = 0; i < children.length && waiting.size > 0; ) {
      const child = children[i];
      if (child.type === 'text') {
        i += prose ? linkInText(node, i) : 1;
      } else {
        visit(child, prose);
        i += 1;
      }
    }
  }
  visit(tree, false);
  return linked;
}

/**
 * The plugin: only for the chapters (content/*.mdx).
 * @param {{ terms: Term[] }} options
 */
export function rehypeGlossary({ terms }) {
  /** @param {any} tree @param {{ path?: string }} file */
  return (tree, file) => {
    if (!/[\\/]content[\\/][^\\/]+\.mdx$/.test(file.path ?? '')) return;
    linkFirstUses(tree, terms);
  };
}
