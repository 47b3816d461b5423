// The site the chapter tests run against: the built site (dist/, or GLASS_LLAMA_DIST_DIR), with
// the model directory mounted at /models/glass-llama/ straight from public/models/glass-llama/
// (so a model re-exported after the build is the one served), one Chromium, and optionally the
// same weights loaded in Node so a test can compare the page's numbers with the engine's.
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { LlamaModel } from '../../../src/llama/model';
import type { Tokenizer } from '../../../src/llama/tokenizer';
import { loadModel, useNodeBackend } from '../../../scripts/load-model';
import { DIST_DIR, REPO_ROOT } from './build';
import { launchChromium } from './chromium';
import { pagePool, type OpenPageOptions, type OpenedPage } from './page';
import { serveDist, type ServedSite } from './server';

const SHIPPED_DIR = join(REPO_ROOT, 'public', 'models', 'glass-llama');

export interface ChapterSite {
  server: ServedSite;
  browser: Browser;
  /** The same weights in Node (wasm backend), when asked for. */
  engine: { model: LlamaModel; tokenizer: Tokenizer } | null;
  openPage(path: string, options?: OpenPageOptions): Promise<OpenedPage>;
  close(): Promise<void>;
}

export async function openChapterSite({ engine = false }: { engine?: boolean } = {}): Promise<ChapterSite> {
  const modelDir = SHIPPED_DIR;
  let loaded: ChapterSite['engine'] = null;
  if (engine) {
    await useNodeBackend('wasm');
    const { model, tokenizer } = loadModel(modelDir);
    loaded = { model, tokenizer: tokenizer! };
  }
  const server = await serveDist({ root: process.env.GLASS_LLAMA_DIST_DIR ?? DIST_DIR, mounts: { '/models/glass-llama/': modelDir } });
  let browser: Browser;
  try {
    // The widgets run with ?backend=wasm: SwiftShader's WebGPU takes seconds per token here.
    browser = await launchChromium({ webgpu: false });
  } catch (error) {
    await server.close();
    throw error;
  }
  const pool = pagePool(browser, server.url);
  return {
    server,
    browser,
    engine: loaded,
    // A chapter test's pages are navigated again (helpers/page.ts pagePool: the renderer and the
    // caches stay warm).
    openPage: pool.openPage,
    close: async () => {
      await pool.close();
      await browser.close();
      await server.close();
      loaded?.model.dispose();
    },
  };
}

/**
 * Opens a chapter site before the test file's tests and closes it after them; `ready` receives
 * it (assign it to the file's own variable).
 */
export function useChapterSite(ready: (site: ChapterSite) => void, options: { engine?: boolean } = {}): void {
  let site: ChapterSite | undefined;
  beforeAll(async () => {
    site = await openChapterSite(options);
    ready(site);
  }, 120_000);
  afterAll(async () => {
    await site?.close();
  });
}

export interface ChapterPage {
  site: ChapterSite;
  /** The same weights in Node. */
  engine: NonNullable<ChapterSite['engine']>;
  opened: OpenedPage;
  page: Page;
}

/**
 * Opens a chapter site with the engine loaded, and one page of it on `path` with ?backend=wasm,
 * before the test file's tests; closes both after them. `ready` receives the pieces.
 */
export function useChapterPage(path: string, ready: (chapter: ChapterPage) => void): void {
  let site: ChapterSite | undefined;
  let opened: OpenedPage | undefined;
  beforeAll(async () => {
    site = await openChapterSite({ engine: true });
    opened = await site.openPage(`${path}?backend=wasm`);
    ready({ site, engine: site.engine!, opened, page: opened.page });
  }, 120_000);
  afterAll(async () => {
    await opened?.close();
    await site?.close();
  });
}

/** A widget state parameter in the page's current URL ("attention-mask.mode"). */
export function linkParam(page: Page, name: string): string | null {
  return new URL(page.url()).searchParams.get(name);
}

/** The text of a widget's status line. */
export function statusText(widget: Locator): Promise<string | null> {
  return widget.locator('[data-widget-status]').textContent();
}

/** Waits until the widget is not running the model; returns its status. */
export async function widgetSettled(widget: Locator): Promise<string> {
  await expect.poll(() => widget.getAttribute('data-status'), { timeout: 60_000 }).not.toBe('loading');
  return (await widget.getAttribute('data-status'))!;
}

/** Waits until the widget matching `selector` is no longer loading; returns its status and message. */
export async function settled(page: Page, selector: string): Promise<{ status: string; message: string }> {
  await page.waitForFunction((sel) => document.querySelector<HTMLElement>(sel)?.dataset.status !== 'loading', selector, { timeout: 120_000 });
  return page.locator(selector).evaluate((el) => ({
    status: (el as HTMLElement).dataset.status ?? '',
    message: el.querySelector('[data-widget-status]')?.textContent ?? '',
  }));
}

export function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]), `entry ${i}: ${value} vs ${expected[i]}`).toBeLessThan(tolerance));
}
