// Opening a page and recording everything that would make it fail review.
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';

export interface OpenPageOptions {
  /** Viewport size. Default 1280 × 900. */
  viewport?: { width: number; height: number };
  /** prefers-color-scheme the page sees. Default 'light'. */
  colorScheme?: 'light' | 'dark';
  /** Wait for this load state before returning. Default 'load'. */
  waitUntil?: 'load' | 'domcontentloaded' | 'networkidle';
  /** Runs in the page before any of its own scripts (Playwright's addInitScript), e.g. to stub an API. */
  initScript?: () => void;
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
 * Open `origin + path` in a fresh browser context, recording console errors, page errors and
 * requests to any other origin from the very first request on.
 */
export async function openPage(browser: Browser, origin: string, path: string, options: OpenPageOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  if (options.initScript) await page.addInitScript(options.initScript);
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const offOriginRequests: string[] = [];
  const requests: { url: string; resourceType: string }[] = [];
  const allowedOrigin = new URL(origin).origin;

  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location().url ? ` (${message.location().url})` : '';
      // CSP messages repeat the whole policy; the first 300 characters say what was refused.
      const text = message.text();
      consoleErrors.push(`${text.length > 300 ? `${text.slice(0, 300)}…` : text}${where}`);
    }
  });
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
  context.on('request', (request) => {
    const url = request.url();
    requests.push({ url, resourceType: request.resourceType() });
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
    requests,
    close: () => context.close(),
  };
}

/** Statuses a widget shell settles in (see src/widgets/types.ts StatusKind). */
const SETTLED = ['ready', 'note', 'error'];

/**
 * Scroll every widget on the page into view, one after another, and wait until each has settled
 * (ready, note or error). Returns { id, status, message } per widget, in page order.
 */
export async function startAllWidgets(page: Page, timeoutMs = 60_000): Promise<{ id: string; status: string; message: string }[]> {
  const shells = page.locator('[data-widget]');
  const count = await shells.count();
  for (let i = 0; i < count; i++) {
    await shells.nth(i).scrollIntoViewIfNeeded();
    await page.waitForFunction(
      ([index, settled]) => settled.includes((document.querySelectorAll('[data-widget]')[index] as HTMLElement).dataset.status ?? ''),
      [i, SETTLED] as const,
      { timeout: timeoutMs },
    );
  }
  return shells.evaluateAll((elements) =>
    elements.map((el) => ({
      id: (el as HTMLElement).dataset.widgetId ?? '',
      status: (el as HTMLElement).dataset.status ?? '',
      message: el.querySelector('[data-widget-status]')?.textContent ?? '',
    })),
  );
}
