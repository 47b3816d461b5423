// The page-weight budget (README, "Budget"): the HTML + CSS + JS that a page ships before any
// widget is near the viewport must be under 60 KB gzipped. The sweep measures it on the load it
// sweeps (home page and chapters): the page opens with every IntersectionObserver held back
// (holdObserversScript), so no widget starts even if one sits at the top; once the network is quiet
// every document, stylesheet and script requested so far is read from dist/ and gzipped; then the
// observers are released and the widgets start as they would have.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DIST_DIR } from './build';
import type { OpenedPage } from './page';

/** 60 KB, gzipped. */
export const BUDGET_BYTES = 60 * 1024;
/** What the budget covers; fonts, images and the model are outside it. */
const COUNTED = new Set(['document', 'stylesheet', 'script']);

/** The pages under the budget: the home page and every chapter. */
export const hasBudget = (path: string): boolean => path === '/' || /^\/chapters\/[^/]+\/$/.test(path);

/**
 * Runs in the page before its scripts (OpenPageOptions.initScript): every IntersectionObserver
 * the page creates observes nothing until window.__glassLlamaReleaseObservers() is called; then
 * each gets a real observer for the targets it was given, which reports them at once, as a
 * fresh observer does. Nothing is "near the viewport" before that, so no widget starts.
 */
export function holdObserversScript(): void {
  const Native = window.IntersectionObserver;
  /** Each held observer's way to become a real one. */
  const held: (() => void)[] = [];
  let holding = true;
  class HeldObserver {
    readonly root: Element | Document | null;
    readonly rootMargin: string;
    readonly thresholds: readonly number[];
    private native: IntersectionObserver | null = null;
    private readonly targets = new Set<Element>();
    constructor(callback: IntersectionObserverCallback, options?: IntersectionObserverInit) {
      this.root = options?.root ?? null;
      this.rootMargin = options?.rootMargin ?? '0px';
      this.thresholds = ([] as number[]).concat(options?.threshold ?? 0);
      const attach = () => {
        this.native = new Native(callback, options);
        for (const target of this.targets) this.native.observe(target);
      };
      if (holding) held.push(attach);
      else attach();
    }
    observe(target: Element) {
      this.targets.add(target);
      this.native?.observe(target);
    }
    unobserve(target: Element) {
      this.targets.delete(target);
      this.native?.unobserve(target);
    }
    disconnect() {
      this.targets.clear();
      this.native?.disconnect();
    }
    takeRecords() {
      return this.native?.takeRecords() ?? [];
    }
  }
  window.IntersectionObserver = HeldObserver as unknown as typeof IntersectionObserver;
  (window as unknown as { __glassLlamaReleaseObservers: () => void }).__glassLlamaReleaseObservers = () => {
    holding = false;
    for (const attach of held.splice(0)) attach();
  };
}

/** The dist/ file behind a URL path ("/chapters/x/" -> dist/chapters/x/index.html). */
function distFile(pathname: string): string {
  return join(DIST_DIR, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
}

/**
 * On a page opened with holdObserversScript: waits for the network to go quiet, measures the
 * gzipped size (level 9) of each counted file requested so far, by URL path, and releases the
 * observers. Returns the sizes and the problems (over budget, a stylesheet request, a widget
 * that started); [] = within budget.
 */
export async function measureFirstLoad(opened: OpenedPage, path: string): Promise<{ weights: Map<string, number>; problems: string[] }> {
  const { page } = opened;
  await page.waitForLoadState('networkidle');
  const problems: string[] = [];
  const statuses = await page.locator('[data-widget]').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.status));
  if (!statuses.every((status) => status === 'idle')) problems.push(`budget: a widget started before any was near the viewport (${statuses.join(', ')})`);
  const weights = new Map<string, number>();
  for (const { url, resourceType } of opened.requests) {
    if (!COUNTED.has(resourceType)) continue;
    const { pathname } = new URL(url);
    weights.set(pathname, gzipSync(readFileSync(distFile(pathname)), { level: 9 }).length);
  }
  await page.evaluate(() => (window as unknown as { __glassLlamaReleaseObservers: () => void }).__glassLlamaReleaseObservers());
  const total = [...weights.values()].reduce((sum, bytes) => sum + bytes, 0);
  // The measurement saw the page itself (a sanity check on the method), which carries its styles
  // inline (astro.config.mjs, build.inlineStylesheets): no stylesheet request holds the first paint.
  if (!weights.has(path)) problems.push(`budget: the measurement did not see the page ${path} itself`);
  const stylesheets = [...weights.keys()].filter((file) => file.endsWith('.css'));
  if (stylesheets.length > 0) problems.push(`budget: the first paint waits for stylesheets ${stylesheets.join(', ')} (styles are inlined)`);
  const styles = [...readFileSync(distFile(path), 'utf8').matchAll(/<style>(.*?)<\/style>/gs)].map(([, css]) => css);
  if (!styles.some((css) => css.includes('.site-header{'))) problems.push('budget: the site header\'s styles are not inline in the page');
  if (total >= BUDGET_BYTES) {
    const files = [...weights].map(([file, bytes]) => `${file} ${(bytes / 1024).toFixed(1)} KB`).join(', ');
    problems.push(`budget: ${(total / 1024).toFixed(1)} KB gzipped of HTML, CSS and JS before any widget is near, over ${BUDGET_BYTES / 1024} KB (${files})`);
  }
  return { weights, problems };
}
