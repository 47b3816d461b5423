// @ts-check
// The site's public URL, from the SITE_URL environment variable at build time: the oEmbed answers
// and the embed pages' discovery links name the site by it, so a build for
// https://glass-llama.example.org says so instead of pointing consumers at localhost.

/** Where `npm start` serves the site: the URL when SITE_URL is not set. */
export const DEFAULT_SITE_URL = 'http://localhost:4321';

/**
 * The origin SITE_URL names (a trailing slash is fine); DEFAULT_SITE_URL when it is unset or empty.
 * Throws with the expected form for anything else, so a typo fails the build.
 * @param {string | undefined} value
 */
export function siteUrl(value) {
  if (!value) return DEFAULT_SITE_URL;
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`SITE_URL must be an absolute http(s) URL such as https://glass-llama.example.org, got "${value}".`);
  }
  if (!/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new Error(`SITE_URL must be the site's origin (http or https, no path, query or fragment: the site is served from its root), got "${value}".`);
  }
  return url.origin;
}
