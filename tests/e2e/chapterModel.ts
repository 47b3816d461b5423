// The model the chapter browser tests run on: the shipped model when the build has it
// (dist/models/glass-llama/config.json), otherwise a tiny random Llama (scripts/make-tiny-model.ts)
// served at the same URL, so the widgets' code paths run either way. Tests assert relations and
// messages, never numbers that depend on the weights.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyModel } from '../../scripts/make-tiny-model';
import type { Page } from 'playwright-core';
import { DIST_DIR, launchChromium, openPage, serveDist, type OpenedPage, type OpenPageOptions } from './helpers';

export interface ChapterSite {
  /** True when the tiny stand-in model is served (the shipped one has not landed). */
  tinyModel: boolean;
  openPage(path: string, options?: OpenPageOptions): Promise<OpenedPage>;
  close(): Promise<void>;
}

export async function openChapterSite(): Promise<ChapterSite> {
  const tinyModel = !existsSync(join(DIST_DIR, 'models', 'glass-llama', 'config.json'));
  const tinyDir = tinyModel ? mkdtempSync(join(tmpdir(), 'glass-llama-chapter-')) : null;
  if (tinyDir) writeTinyModel(tinyDir, 2);
  const server = await serveDist({ mounts: tinyDir ? { '/models/glass-llama/': tinyDir } : {} });
  // wasm: the fastest backend on this machine's headless Chromium.
  const browser = await launchChromium({ webgpu: false });
  return {
    tinyModel,
    openPage: (path, options) => openPage(browser, server.url, path, options),
    close: async () => {
      await browser.close();
      await server.close();
      if (tinyDir) rmSync(tinyDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the widget matching `selector` is no longer loading; returns its status and message. */
export async function settled(page: Page, selector: string): Promise<{ status: string; message: string }> {
  await page.waitForFunction((sel) => document.querySelector<HTMLElement>(sel)?.dataset.status !== 'loading', selector, { timeout: 120_000 });
  return page.locator(selector).evaluate((el) => ({
    status: (el as HTMLElement).dataset.status ?? '',
    message: el.querySelector('[data-widget-status]')?.textContent ?? '',
  }));
}
