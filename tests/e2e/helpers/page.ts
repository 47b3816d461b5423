// Opening a page and recording everything that would make it fail review.
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';

export interface OpenPageOptions {
  /** Viewport size. Default 1280 × 900. */
  viewport?: { width: number; height: number };
  /** prefers-color-scheme the page sees. Default 'light'. */
  colorScheme?: 'light' | 'dark';
  /** Wait for this load state before returning. Default 'load'. */
  waitUntil?: 'load' | 'domcontentloaded' | 'networkidle';
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
  close(): Promise<void>;
}

/**
 * Open `origin + path` in a fresh browser context, recording console errors, page errors and
 * requests to any other origin from the very first request on.
 */
export async function openPage(browser: Browser, origin: string, path: string, options: OpenPageOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const offOriginRequests: string[] = [];
  const allowedOrigin = new URL(origin).origin;

  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location().url ? ` (${message.location().url})` : '';
      consoleErrors.push(`${message.text()}${where}`);
    }
  });
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
  context.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    if (new URL(url).origin !== allowedOrigin) offOriginRequests.push(url);
  });
  // Anything leaving the origin is aborted as well as recorded, so a test never waits on it.
  await context.route((url) => url.origin !== allowedOrigin && url.protocol !== 'data:' && url.protocol !== 'blob:', (route) => route.abort());

  const response = await page.goto(new URL(path, origin).href, { waitUntil: options.waitUntil ?? 'load' });
  return {
    page,
    context,
    response,
    consoleErrors,
    pageErrors,
    offOriginRequests,
    close: () => context.close(),
  };
}
