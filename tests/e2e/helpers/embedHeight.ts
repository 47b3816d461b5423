// Measuring an embed page's height as its parent sees it: the height the page posts to its parent
// (src/embed/embedPage.ts: the [data-embed-root] element's height, rounded up), once its widget
// has drawn. scripts/measure-embeds.ts writes these into src/embed/embed-heights.json and
// site.test.ts measures again.
import type { Browser } from 'playwright-core';
import { OEMBED_WIDTH } from '../../../src/embed/snippets';
import { openPage, startAllWidgets, type OpenedPage } from './page';

/** Viewport of a measurement: the oEmbed width; the height does not change the layout. */
export const EMBED_VIEWPORT = { width: OEMBED_WIDTH, height: 900 };

/**
 * The URL path an embed is measured at: on WebAssembly, as the tests run it (the status line then
 * holds the backend note, as it does on every browser without WebGPU).
 */
export const embedMeasurePath = (name: string) => `/embed/${name}/?backend=wasm`;

/** The height (CSS px) of the opened embed page once its widget has drawn or failed. */
export async function measuredEmbedHeight(opened: OpenedPage): Promise<number> {
  await startAllWidgets(opened.page, 120_000);
  return opened.page.evaluate(async () => {
    await document.fonts.ready;
    return Math.ceil(document.querySelector('[data-embed-root]')!.getBoundingClientRect().height);
  });
}

/** Opens widget `name`'s embed page on `origin` and measures it. */
export async function measureEmbed(browser: Browser, origin: string, name: string): Promise<number> {
  const opened = await openPage(browser, origin, embedMeasurePath(name), { viewport: EMBED_VIEWPORT });
  try {
    return await measuredEmbedHeight(opened);
  } finally {
    await opened.close();
  }
}
