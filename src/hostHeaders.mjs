// @ts-check
// The HTTP headers the site needs from whatever serves it, in one place: public/_headers, in the
// format Netlify and Cloudflare Pages read (a path pattern, then indented "Name: value" lines; "*"
// matches any rest of the path; every rule whose pattern matches adds its headers). The preview
// server (scripts/preview.mjs, `npm start`) reads the same file, so a page gets the same headers
// locally as on those hosts.
import { readFileSync } from 'node:fs';

/** @typedef {{ pattern: string, headers: Record<string, string> }} HeaderRule */

/**
 * The rules of a _headers file, in file order.
 * @param {string} text
 * @returns {HeaderRule[]}
 */
export function parseHeaderRules(text) {
  /** @type {HeaderRule[]} */
  const rules = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    if (!/^\s/.test(line)) {
      rules.push({ pattern: line.trim(), headers: {} });
      return;
    }
    const match = /^\s+([A-Za-z0-9-]+):\s*(.+?)\s*$/.exec(line);
    const rule = rules.at(-1);
    if (!match || !rule) throw new Error(`_headers line ${index + 1}: expected an indented "Name: value" under a path, got "${line.trim()}"`);
    rule.headers[match[1]] = match[2];
  });
  return rules;
}

/**
 * Whether a _headers pattern ("/*", "/chapters/*", "/") matches a URL path.
 * @param {string} pattern
 * @param {string} path
 */
export function patternMatches(pattern, path) {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(path);
}

/**
 * The headers for a URL path: those of every matching rule, later rules overriding earlier ones.
 * @param {HeaderRule[]} rules
 * @param {string} path
 * @returns {Record<string, string>}
 */
export function headersFor(rules, path) {
  return Object.assign({}, ...rules.filter((rule) => patternMatches(rule.pattern, path)).map((rule) => rule.headers));
}

/**
 * The rules in the project's public/_headers.
 * @param {URL | string} file
 */
export function readHeaderRules(file) {
  return parseHeaderRules(readFileSync(file, 'utf8'));
}
