// The page-weight budget (README, "Budget"): the HTML + CSS + JS that a page ships before any
// widget is near the viewport must be under 60 KB gzipped. Chromium opens the page with an
// IntersectionObserver that never reports anything, so no widget starts even if one sits at the
// top; every document, stylesheet and script the page requested is read from dist/ and gzipped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { chapterPaths, DIST_DIR, openSite, type Site } from './helpers';

/** 60 KB, gzipped. */
const BUDGET_BYTES = 60 * 1024;
/** What the budget covers; fonts, images and the model are outside it. */
const COUNTED = new Set(['document', 'stylesheet', 'script']);

let site: Site;
beforeAll(async () => {
  site = await openSite();
});
afterAll(async () => {
  await site?.close();
});

/** The dist/ file behind a URL path ("/chapters/x/" -> dist/chapters/x/index.html). */
function distFile(pathname: string): string {
  return join(DIST_DIR, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
}

/** Gzipped size (level 9) of each counted file fetched while opening `path`, by URL path. */
async function firstLoadWeights(path: string): Promise<Map<string, number>> {
  const opened = await site.openPage(path, {
    viewport: { width: 1280, height: 900 },
    waitUntil: 'networkidle',
    initScript: () => {
      // Nothing is ever "near the viewport": widgets stay idle, the rest of the page runs as usual.
      window.IntersectionObserver = class {
        observe() {}
        unobserve() {}
        disconnect() {}
        takeRecords() {
          return [];
        }
      } as unknown as typeof IntersectionObserver;
    },
  });
  const statuses = await opened.page.locator('[data-widget]').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.status));
  expect(statuses.every((status) => status === 'idle')).toBe(true);
  const weights = new Map<string, number>();
  for (const { url, resourceType } of opened.requests) {
    if (!COUNTED.has(resourceType)) continue;
    const { pathname } = new URL(url);
    weights.set(pathname, gzipSync(readFileSync(distFile(pathname)), { level: 9 }).length);
  }
  await opened.close();
  return weights;
}

// Three pages at a time (the browser project's maxConcurrency): each load is mostly waiting for
// the network to go quiet.
test.concurrent.each(['/', ...chapterPaths()])('page %s ships under 60 KB of gzipped HTML, CSS and JS before any widget is near', async (path) => {
  const weights = await firstLoadWeights(path);
  const total = [...weights.values()].reduce((sum, bytes) => sum + bytes, 0);
  console.info(`${path}: ${(total / 1024).toFixed(1)} KB gzipped`, Object.fromEntries(weights));
  // The measurement saw the page itself (a sanity check on the method), which carries its styles
  // inline (astro.config.mjs, build.inlineStylesheets): no stylesheet request holds the first paint.
  expect(weights.has(path)).toBe(true);
  expect([...weights.keys()].filter((file) => file.endsWith('.css'))).toEqual([]);
  const styles = [...readFileSync(distFile(path), 'utf8').matchAll(/<style>(.*?)<\/style>/gs)].map(([, css]) => css);
  expect(styles.some((css) => css.includes('.site-header{'))).toBe(true);
  expect(total).toBeLessThan(BUDGET_BYTES);
});
