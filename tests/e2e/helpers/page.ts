// Opening a page and recording everything that would make it fail review.
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';

export interface OpenPageOptions {
  /** Viewport size. Default 1280 × 900. */
  viewport?: { width: number; height: number };
  /** prefers-color-scheme the page sees. Default 'light'. */
  colorScheme?: 'light' | 'dark';
  /**
   * prefers-reduced-motion the page sees. Default 'reduce': a widget's loading spinner animating
   * at 60 frames a second cost 1.31 CPU-s per 10 s of loading against 0.45 still (measured on one
   * page), and the suite's pages spend much of their time loading the model. widgets.test.ts
   * checks that the motion is there for a reader who has not asked for less.
   */
  reducedMotion?: 'reduce' | 'no-preference';
  /** Wait for this load state before returning. Default 'load'. */
  waitUntil?: 'load' | 'domcontentloaded' | 'networkidle';
  /** Runs in the page before any of its own scripts (Playwright's addInitScript), e.g. to stub an API. */
  initScript?: () => void;
  /**
   * Whether the site's service worker (src/offline) may install. Default 'block': it would fetch
   * the whole site in the background of every test page; the offline test allows it.
   */
  serviceWorkers?: 'allow' | 'block';
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** The main document's response (null only if navigation produced none). */
  response: Response | null;
  /** Text of every console message of type "error" (includes failed resource loads, CSP refusals). */
  consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  pageErrors: string[];
  /** Every request whose origin is not the local server, e.g. a CDN font. */
  offOriginRequests: string[];
  /** Every request the page made, in order, with Playwright's resource type ('document', 'script', 'stylesheet', 'font' ...). */
  requests: { url: string; resourceType: string }[];
  close(): Promise<void>;
}

/**
 * How often a page.waitForFunction predicate is checked when its caller does not say. Playwright's
 * default polls on every animation frame, which keeps a waiting page drawing 60 frames a second
 * (on the CPU, headless): 1.21 CPU-s per 10 s of waiting against 0.29 at this interval (measured
 * on an idle page), and the suite spends much of its time waiting for the model. 50 ms adds at
 * most that to a wait.
 */
export const POLL_MS = 50;

/** Makes `page.waitForFunction` poll every POLL_MS unless the call gives its own `polling`. */
function pollOnAnInterval(page: Page): void {
  const waitForFunction = page.waitForFunction.bind(page) as (fn: unknown, arg?: unknown, options?: { polling?: number | 'raf'; timeout?: number }) => ReturnType<Page['waitForFunction']>;
  (page as unknown as { waitForFunction: typeof waitForFunction }).waitForFunction = (fn, arg, options) => waitForFunction(fn, arg, { polling: POLL_MS, ...options });
}

/** What a page records from its first request on (OpenedPage's lists). */
interface Records {
  consoleErrors: string[];
  pageErrors: string[];
  offOriginRequests: string[];
  requests: { url: string; resourceType: string }[];
}

const noRecords = (): Records => ({ consoleErrors: [], pageErrors: [], offOriginRequests: [], requests: [] });

/**
 * A context with one page whose console errors, page errors and requests go to `records()` (the
 * lists of whichever opening the page serves now); requests to other origins are aborted.
 */
async function recordingPage(browser: Browser, origin: string, options: OpenPageOptions, records: () => Records): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: options.reducedMotion ?? 'reduce',
    serviceWorkers: options.serviceWorkers ?? 'block',
  });
  // every page of the context, including one a test opens itself (a presenter window)
  context.on('page', pollOnAnInterval);
  const page = await context.newPage();
  if (options.initScript) await page.addInitScript(options.initScript);
  const allowedOrigin = new URL(origin).origin;

  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location().url ? ` (${message.location().url})` : '';
      // CSP messages repeat the whole policy; the first 300 characters say what was refused.
      const text = message.text();
      records().consoleErrors.push(`${text.length > 300 ? `${text.slice(0, 300)}…` : text}${where}`);
    }
  });
  page.on('pageerror', (error) => records().pageErrors.push(error.stack ?? error.message));
  context.on('request', (request) => {
    const url = request.url();
    records().requests.push({ url, resourceType: request.resourceType() });
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    if (new URL(url).origin !== allowedOrigin) records().offOriginRequests.push(url);
  });
  // Anything leaving the origin is aborted as well as recorded, so a test never waits on it.
  await context.route((url) => url.origin !== allowedOrigin && url.protocol !== 'data:' && url.protocol !== 'blob:', (route) => route.abort());
  return { context, page };
}

/**
 * Open `origin + path` in a fresh browser context, recording console errors, page errors and
 * requests to any other origin from the very first request on.
 */
export async function openPage(browser: Browser, origin: string, path: string, options: OpenPageOptions = {}): Promise<OpenedPage> {
  const records = noRecords();
  const { context, page } = await recordingPage(browser, origin, options, () => records);
  const response = await page.goto(new URL(path, origin).href, { waitUntil: options.waitUntil ?? 'load' });
  return { page, context, response, ...records, close: () => context.close() };
}

/** Pages that are used again: PagePool.openPage navigates an idle one instead of opening a new context. */
export interface PagePool {
  openPage(path: string, options?: OpenPageOptions): Promise<OpenedPage>;
  close(): Promise<void>;
}

/**
 * A pool of pages, each in its own context, for the sweeps of pages that need no fresh profile (an
 * embed, a presenter view). openPage takes an idle page (or opens one), sets its viewport, colour
 * scheme and motion, and navigates it; the opening's close() sends the page to about:blank (its
 * workers stop) and returns it to the pool. A page used again keeps its renderer process (not
 * an HTTP cache: the test server answers no-store, and recordingPage's routing turns the cache
 * off): eight embeds, each loaded and every widget drawn, took 20.6 CPU-s in fresh contexts and
 * 15.0 navigated in one page (an idle machine). What a page could carry from one opening to the
 * next is its tab's sessionStorage and the context's storage, which
 * a sweep neither writes nor reads (a test that needs a profile of its own uses openPage); a page
 * with an init script or a service worker is opened fresh by openPage here too.
 */
export function pagePool(browser: Browser, origin: string): PagePool {
  interface Lane {
    context: BrowserContext;
    page: Page;
    records: Records;
  }
  const all: Lane[] = [];
  const idle: Lane[] = [];
  return {
    async openPage(path, options = {}) {
      // An init script stays with a page and a service worker with its context: such a page opens fresh.
      if (options.initScript || options.serviceWorkers === 'allow') return openPage(browser, origin, path, options);
      const lane =
        idle.pop() ??
        (await (async () => {
          const created = { records: noRecords() } as Lane;
          Object.assign(created, await recordingPage(browser, origin, {}, () => created.records));
          all.push(created);
          return created;
        })());
      const records = noRecords();
      lane.records = records;
      await lane.page.setViewportSize(options.viewport ?? { width: 1280, height: 900 });
      await lane.page.emulateMedia({ colorScheme: options.colorScheme ?? 'light', reducedMotion: options.reducedMotion ?? 'reduce' });
      const response = await lane.page.goto(new URL(path, origin).href, { waitUntil: options.waitUntil ?? 'load' });
      return {
        page: lane.page,
        context: lane.context,
        response,
        ...records,
        close: async () => {
          if (lane.records !== records) return; // closed already
          lane.records = noRecords();
          await lane.page.goto('about:blank');
          idle.push(lane);
        },
      };
    },
    close: async () => {
      await Promise.all(all.map((lane) => lane.context.close()));
    },
  };
}

/*
 * A widget shell has finished when it failed (data-status "error") or its mount() resolved
 * (data-drawn="true", set by src/widgets/mount.ts and src/embed/liveWidget.ts after the first
 * drawing) and it is not running the model again. A status of "ready" or "note" alone is not
 * enough: the status line is set before a widget draws. (The test is written out in each page
 * function below: they run in the page, where the CSP refuses to build functions from strings.)
 */

/**
 * Scroll every widget on the page into view, one after another, each only until it has started
 * (left "idle"), so the page's widgets work at the same time (the model runs in the page's worker
 * while the main thread draws another widget); then wait until each has drawn (or failed).
 * Returns { id, status, message } per widget, in page order.
 */
export async function startAllWidgets(page: Page, timeoutMs = 60_000): Promise<{ id: string; status: string; message: string }[]> {
  const shells = page.locator('[data-widget]');
  const count = await shells.count();
  for (let i = 0; i < count; i++) {
    await shells.nth(i).scrollIntoViewIfNeeded();
    await page.waitForFunction((index) => document.querySelectorAll<HTMLElement>('[data-widget]')[index].dataset.status !== 'idle', i, { timeout: timeoutMs });
  }
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLElement>('[data-widget]')].every(
        (el) => el.dataset.status === 'error' || (el.dataset.drawn === 'true' && el.dataset.status !== 'loading'),
      ),
    null,
    { timeout: timeoutMs * Math.max(1, count) },
  );
  return shells.evaluateAll((elements) =>
    elements.map((el) => ({
      id: (el as HTMLElement).dataset.widgetId ?? '',
      status: (el as HTMLElement).dataset.status ?? '',
      message: el.querySelector('[data-widget-status]')?.textContent ?? '',
    })),
  );
}

/**
 * Wait until every widget that has started (left "idle") has finished drawing or failed, without
 * starting any other (a deck's widgets on other slides stay idle). problemsOnPage calls this
 * before axe, so a violation that appears only once a widget has drawn is caught.
 */
export async function widgetsStartedHaveFinished(page: Page, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLElement>('[data-widget]')].every(
        (el) => el.dataset.status === 'idle' || el.dataset.status === 'error' || (el.dataset.drawn === 'true' && el.dataset.status !== 'loading'),
      ),
    null,
    { timeout: timeoutMs },
  );
}
