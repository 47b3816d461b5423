// @ts-check
// Cross-references are checked when the site is built: every link from one page of the site to
// another ("see the RoPE chapter", a figure's "#attention-heatmap", the chapter list) must reach a
// page that was built, and its #fragment an element with that id there. A broken link stops
// `astro build` with the page, the link and what is missing.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @param {string} dir
 * @param {string} [root]
 * @returns {string[]} HTML files under dir, relative ("chapters/x/index.html")
 */
function htmlFiles(dir, root = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return htmlFiles(path, root);
    return name.endsWith('.html') ? [relative(root, path).split(sep).join('/')] : [];
  });
}

/**
 * The href values of <a> elements in an HTML text (links to other sites and mailto: included;
 * the caller keeps what it checks).
 * @param {string} html
 */
export function anchorHrefs(html) {
  return [...html.matchAll(/<a\b[^>]*?\shref=(?:"([^"]*)"|'([^']*)')/gi)].map((match) => decodeEntities(match[1] ?? match[2]));
}

/** @param {string} text */
function decodeEntities(text) {
  return text
    .replace(/&#(\d+);/g, (_, code) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * The ids in an HTML text.
 * @param {string} html
 */
export function idsIn(html) {
  return new Set([...html.matchAll(/\sid=(?:"([^"]*)"|'([^']*)')/gi)].map((match) => decodeEntities(match[1] ?? match[2])));
}

/**
 * The broken internal links of a built site, as sentences.
 * @param {string} dist
 * @returns {string[]}
 */
export function brokenLinks(dist) {
  const pages = htmlFiles(dist);
  /** @type {Map<string, Set<string>>} */
  const idCache = new Map();
  const idsOf = (/** @type {string} */ file) => {
    if (!idCache.has(file)) idCache.set(file, idsIn(readFileSync(join(dist, file), 'utf8')));
    return /** @type {Set<string>} */ (idCache.get(file));
  };
  const problems = [];
  for (const page of pages) {
    const pageUrl = new URL(`/${page.replace(/(^|\/)index\.html$/, '$1')}`, 'http://site.invalid');
    for (const href of anchorHrefs(readFileSync(join(dist, page), 'utf8'))) {
      if (href === '' || /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue; // other sites, mailto:
      const target = new URL(href, pageUrl);
      const path = decodeURIComponent(target.pathname);
      const candidates = path.endsWith('/') ? [`${path}index.html`] : [path, `${path}/index.html`, `${path}.html`];
      const file = candidates.map((candidate) => candidate.slice(1)).find((candidate) => existsSync(join(dist, candidate)) && statSync(join(dist, candidate)).isFile());
      if (file === undefined) {
        problems.push(`${pageUrl.pathname} links to ${href}, but the build has no page ${path}.`);
        continue;
      }
      const fragment = decodeURIComponent(target.hash.slice(1));
      if (fragment !== '' && file.endsWith('.html') && !idsOf(file).has(fragment)) {
        problems.push(`${pageUrl.pathname} links to ${href}, but ${path} has no element with id "${fragment}".`);
      }
    }
  }
  return problems;
}

/** @returns {import('astro').AstroIntegration} */
export function checkLinks() {
  return {
    name: 'glass-llama:check-links',
    hooks: {
      'astro:build:done': ({ dir, logger }) => {
        const problems = brokenLinks(fileURLToPath(dir));
        if (problems.length > 0) {
          throw new Error(`${problems.length} broken link${problems.length === 1 ? '' : 's'} in the built site:\n- ${problems.join('\n- ')}`);
        }
        logger.info('every link between pages of the site reaches its page and its #fragment');
      },
    },
  };
}
