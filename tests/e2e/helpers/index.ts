/**
 * The browser test rig: a real Chromium against the built site.
 *
 * Widget contracts: tests/e2e/contracts/<widget-id>.ts, one per widget (a missing one fails), each
 * exporting `contract: WidgetContract` that compares what the widget shows at its default state on
 * its embed page with the engine in Node; site.test.ts runs it after the embed page's sweep
 * (helpers/contracts.ts: contractFor, widgetContractProblems, lazyNodeEngine; contractParts.ts: shared readers).
 *
 *   import { openSite, problemsOnPage } from './helpers';
 *
 *   let site: Site;
 *   beforeAll(async () => { site = await openSite(); });   // serves dist/, launches Chromium
 *   afterAll(() => site.close());
 *
 *   test('the attention chapter has no problems', async () => {
 *     const opened = await site.openPage('/chapters/04-attention/');
 *     expect(await problemsOnPage(opened)).toEqual([]);
 *     await opened.close();
 *   });
 *
 * Exports
 * - buildOnce(): string -- `astro build` once per `npm test` (the browser project's globalSetup
 *   calls it; GLASS_LLAMA_SKIP_BUILD=1 reuses dist/). Returns the dist directory.
 * - serveDist({ root?, mounts? }): Promise<{ url, close }> -- static server on 127.0.0.1, free port.
 * - launchChromium({ webgpu? = true }): Promise<Browser> -- Chromium from CHROME_PATH or
 *   /usr/bin/chromium with a SwiftShader WebGPU adapter; throws with install steps if missing.
 *   In the browser test run it connects to the run's shared browser of that kind (started by
 *   globalSetup: startSharedBrowsers); close() then closes this file's contexts only.
 * - openPage(browser, origin, path, { viewport?, colorScheme?, waitUntil? }): Promise<OpenedPage>
 *   -- { page, context, response, consoleErrors, pageErrors, offOriginRequests, requests, close }.
 * - openSite({ webgpu?, mounts? }): Promise<Site> -- serveDist + launchChromium in one, with
 *   site.openPage(path, options) and site.close().
 * - runAxe(page): Promise<Result[]>, seriousViolations(violations), describeViolations(violations).
 * - problemsOnPage(opened): Promise<string[]> -- waits for every started widget to finish
 *   drawing, then: status 200, no console/page error, no other origin, no raw math, no sideways
 *   scroll (document scrollWidth <= viewport), no serious/critical axe violation. [] means the
 *   page passes.
 * - mathLayoutProblems(opened): Promise<string[]> -- KaTeX sub/superscripts smaller than their
 *   base, display formulas inside their column (or scrolling in their own box).
 * - startAllWidgets(page): scroll each widget into view and wait until it has drawn (its mount()
 *   resolved: data-drawn) or failed; returns [{ id, status, message }].
 * - widgetsStartedHaveFinished(page): wait until every started widget has drawn or failed.
 * - chapterPaths(): string[] -- every built chapter page, e.g. '/chapters/01-how-to-read/'.
 * - builtPagePaths(): string[] -- every HTML page in dist/, e.g. '/', '/slides/03-rope/presenter/'.
 * - sweepPage(openPage, path): Promise<SweepResult> -- loads a built page once, draws its widgets,
 *   and runs every page check in both themes at both widths (phone 390 px dark, desktop 1280 px
 *   light; an embed at the oEmbed width, light, then a 320 px phone, dark); returns { problems, opened,
 *   widgets, embedHeight } with the page left open. pageKind(path), sweepUrl(path),
 *   sweepViews(kind), switchView(page, view), DESKTOP, PHONE, NARROW_PHONE are its pieces; isDeckPath(path)
 *   says a page is a deck, which slides.test.ts sweeps before walking it (site.test.ts the rest).
 *   The home page and each chapter are weighed on the same load before any widget starts
 *   (budget.ts: holdObserversScript, measureFirstLoad, hasBudget, BUDGET_BYTES).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { DIST_DIR } from './build';
import { launchChromium } from './chromium';
import { openPage, type OpenPageOptions, type OpenedPage } from './page';
import { serveDist, type ServeOptions } from './server';

export { buildOnce, DIST_DIR, REPO_ROOT } from './build';
export { serveDist } from './server';
export type { ServedSite, ServeOptions } from './server';
export { findChromium, launchChromium, startSharedBrowsers, WEBGPU_FLAGS } from './chromium';
export { openPage, pagePool, startAllWidgets, widgetsStartedHaveFinished } from './page';
export type { OpenedPage, OpenPageOptions, PagePool } from './page';
export { describeViolations, runAxe, seriousViolations } from './axe';
export { BUDGET_BYTES, hasBudget, holdObserversScript, measureFirstLoad } from './budget';
export { mathLayoutProblems, problemsOnPage } from './checks';
export { DECK_VIEWS, DESKTOP, NARROW_PHONE, PHONE, isDeckPath, pageKind, sweepPage, sweepUrl, sweepViews, switchView } from './sweep';
export type { PageKind, SweepResult, SweepView } from './sweep';

export interface Site {
  url: string;
  browser: Browser;
  openPage(path: string, options?: OpenPageOptions): Promise<OpenedPage>;
  close(): Promise<void>;
}

/** Serve dist/ and launch Chromium; close() stops both. */
export async function openSite(options: { webgpu?: boolean; mounts?: ServeOptions['mounts'] } = {}): Promise<Site> {
  const served = await serveDist({ mounts: options.mounts });
  let browser: Browser;
  try {
    browser = await launchChromium({ webgpu: options.webgpu });
  } catch (error) {
    await served.close();
    throw error;
  }
  return {
    url: served.url,
    browser,
    openPage: (path, pageOptions) => openPage(browser, served.url, path, pageOptions),
    close: async () => {
      await browser.close();
      await served.close();
    },
  };
}

/** URL paths of every built HTML page (directory index pages as '/dir/'), sorted. */
export function builtPagePaths(): string[] {
  const paths: string[] = [];
  const walk = (dir: string, urlPath: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${urlPath}${entry.name}/`);
      else if (entry.name === 'index.html') paths.push(urlPath);
      else if (entry.name.endsWith('.html')) paths.push(`${urlPath}${entry.name}`);
    }
  };
  walk(DIST_DIR, '/');
  return paths.sort();
}

/** URL paths of the built chapter pages, in file-name order. */
export function chapterPaths(): string[] {
  return readdirSync(join(DIST_DIR, 'chapters'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `/chapters/${entry.name}/`)
    .sort();
}
