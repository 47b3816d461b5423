// A site for the chapter tests whose widgets run the model: the built site, with the tiny random
// model (scripts/make-tiny-model.ts) mounted at /models/glass-llama/ when the build has no shipped
// model yet. Tests against it assert relations (batched = alone), not the shipped model's numbers.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { writeTinyModel } from '../../../scripts/make-tiny-model';
import { DIST_DIR } from './build';
import { launchChromium } from './chromium';
import { openPage, type OpenPageOptions, type OpenedPage } from './page';
import { serveDist } from './server';

export interface ChapterSite {
  url: string;
  /** 'shipped' when dist/ has the trained model, else 'tiny'. */
  model: 'shipped' | 'tiny';
  openPage(path: string, options?: OpenPageOptions): Promise<OpenedPage>;
  close(): Promise<void>;
}

/** GLASS_LLAMA_DIST_DIR serves another build than dist/ (a build made with --outDir). */
export async function openChapterSite(): Promise<ChapterSite> {
  const root = process.env.GLASS_LLAMA_DIST_DIR ?? DIST_DIR;
  const shipped = existsSync(join(root, 'models', 'glass-llama', 'model.safetensors'));
  const tinyDir = shipped ? null : mkdtempSync(join(tmpdir(), 'glass-llama-chapter-'));
  if (tinyDir) writeTinyModel(tinyDir, 2);
  const server = await serveDist({ root, mounts: tinyDir ? { '/models/glass-llama/': tinyDir } : {} });
  let browser: Browser;
  try {
    browser = await launchChromium({ webgpu: true });
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    url: server.url,
    model: shipped ? 'shipped' : 'tiny',
    openPage: (path, options) => openPage(browser, server.url, path, options),
    close: async () => {
      await browser.close();
      await server.close();
      if (tinyDir) rmSync(tinyDir, { recursive: true, force: true });
    },
  };
}
