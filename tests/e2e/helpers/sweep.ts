// One sweep per built page: the page is loaded once, its widgets drawn once, and every page check
// runs on it at both widths and in both themes (site.test.ts generates one test per page from
// dist/, so a new chapter, deck or widget is swept without a line of test code).
//
//   const problems = await sweepPage(site, '/chapters/03-rope/');   // [] = the page passes
//
// Order, per page: load at the first width in its first theme (the home page and a chapter are
// weighed first, before any widget may start: helpers/budget.ts), start every widget (of a chapter or
// an embed page; a deck's widgets start slide by slide in slides.test.ts) and wait until each has drawn, then status, console, page errors, other origins, raw math, sideways scroll,
// math layout and axe (problemsOnPage + mathLayoutProblems); then the same page goes to the other
// width and the other theme (no reload: the widgets redraw for the new width), and the layout, math
// and axe checks run again. Console errors and foreign requests are read last, so anything the
// resize or the second theme caused is caught too.
import type { Page } from 'playwright-core';
import { EMBED_HEIGHT_TOLERANCE, embedHeight } from '../../../src/embed/embedHeights';
import { describeViolations, runAxe, seriousViolations } from './axe';
import { hasBudget, holdObserversScript, measureFirstLoad } from './budget';
import { mathLayoutProblems, problemsOnPage } from './checks';
import { EMBED_VIEWPORT, embedMeasurePath, measuredEmbedHeight } from './embedHeight';
import type { OpenedPage, OpenPageOptions } from './page';
import { startAllWidgets, widgetsStartedHaveFinished } from './page';

export const DESKTOP = { width: 1280, height: 900 } as const;
export const PHONE = { width: 390, height: 844 } as const;
/**
 * The narrowest phone in common use: an embed page (one widget, nothing around it) is checked here,
 * so every widget is known to fit 320 px, narrower than a chapter's column on a 390 px phone.
 */
export const NARROW_PHONE = { width: 320, height: 700 } as const;

export type PageKind = 'chapter' | 'embed' | 'other';

/** What a built page is, from its URL path. */
export function pageKind(path: string): PageKind {
  if (/^\/chapters\/[^/]+\/$/.test(path)) return 'chapter';
  if (/^\/embed\/[^/]+\/$/.test(path)) return 'embed';
  return 'other';
}

/** Where a sweep looks at a page: a viewport and a colour scheme. */
export interface SweepView {
  viewport: { width: number; height: number };
  colorScheme: 'light' | 'dark';
}

/**
 * The two views of a page. Chapters and other pages load on a phone in the dark theme (a widget
 * that lays out too wide at mount shows there), then go to the desktop in the light theme. An embed
 * loads at the oEmbed width in the light theme (where its height is measured), then goes to a
 * 320 px phone in the dark theme.
 */
export function sweepViews(kind: PageKind): [SweepView, SweepView] {
  return kind === 'embed'
    ? [{ viewport: EMBED_VIEWPORT, colorScheme: 'light' }, { viewport: NARROW_PHONE, colorScheme: 'dark' }]
    : [{ viewport: PHONE, colorScheme: 'dark' }, { viewport: DESKTOP, colorScheme: 'light' }];
}

/**
 * A slide deck (not its presenter view). slides.test.ts walks each deck slide by slide at 1280 px
 * (every widget started, every slide measured) and then sweeps that same load: light at 1280 px
 * first, then a phone in the dark theme (where reveal.js shows the deck as one scrolling page).
 */
export const isDeckPath = (path: string): boolean => /^\/slides\/[^/]+\/$/.test(path);
export const DECK_VIEWS: [SweepView, SweepView] = [
  { viewport: DESKTOP, colorScheme: 'light' },
  { viewport: PHONE, colorScheme: 'dark' },
];

/** The URL a page is swept at: widgets run on wasm (SwiftShader's WebGPU takes seconds per token; runtime.test.ts checks the WebGPU path). */
export function sweepUrl(path: string): string {
  const kind = pageKind(path);
  if (kind === 'embed') return embedMeasurePath(path.split('/')[2]);
  return kind === 'chapter' || isDeckPath(path) ? `${path}?backend=wasm` : path;
}

/** Moves an opened page to another view and waits until its widgets have drawn for it. */
export async function switchView(page: Page, view: SweepView): Promise<void> {
  await page.emulateMedia({ colorScheme: view.colorScheme });
  await page.setViewportSize(view.viewport);
  // Two frames: resize observers fire and the widgets that redraw for a new width start doing so.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await widgetsStartedHaveFinished(page);
  await page.evaluate(async () => {
    await document.fonts.ready;
  });
}

/**
 * A page whose root and body are transparent (an embed page, so that it blends into the page
 * that frames it) shows the browser's canvas colour behind it, which follows the colour scheme:
 * dark in the dark theme (and Chromium paints an iframe's canvas opaque when its scheme differs
 * from its host's). axe cannot see the canvas and takes it for white, so before axe runs, such a
 * page's root gets the canvas colour it is painted on (set through the CSSOM, which the CSP allows).
 */
async function paintCanvasOnRoot(page: Page): Promise<void> {
  await page.evaluate(() => {
    const transparent = (el: Element) => getComputedStyle(el).backgroundColor === 'rgba(0, 0, 0, 0)';
    if (!transparent(document.documentElement) || !transparent(document.body)) return;
    const probe = document.createElement('div');
    probe.style.backgroundColor = 'Canvas';
    document.body.append(probe);
    document.documentElement.style.backgroundColor = getComputedStyle(probe).backgroundColor;
    probe.remove();
  });
}

/** The document is wider than the viewport. */
async function sidewaysScroll(page: Page): Promise<string[]> {
  const { scrollWidth, viewport } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth,
  }));
  return scrollWidth > viewport ? [`the page scrolls sideways: ${scrollWidth} px wide in a ${viewport} px viewport`] : [];
}

/** What a page was found to be, besides its problems (the caller asserts on these). */
export interface SweepResult {
  /** One line per problem, each prefixed with the view it was seen in; [] = the page passes. */
  problems: string[];
  /** The opened page, still open, in the second view (the caller may check more, then close it). */
  opened: OpenedPage;
  /** Per widget after the first view: id, status, status line. */
  widgets: { id: string; status: string; message: string }[];
  /** An embed's measured height at the oEmbed width (undefined for other pages). */
  embedHeight?: number;
  /**
   * The home page's and a chapter's first load (helpers/budget.ts): gzipped bytes of each
   * document, stylesheet and script requested before any widget was near, by URL path.
   */
  firstLoad?: Map<string, number>;
}

/**
 * Loads `path` once and runs every page check in both views (see the top of this file). Returns
 * the problems and leaves the page open in the second view. Given `opened` (a page another test
 * has loaded at `path` and left in the first view), it checks that page instead of loading one.
 */
export async function sweepPage(
  openPage: (path: string, options?: OpenPageOptions) => Promise<OpenedPage>,
  path: string,
  { opened: alreadyOpen }: { opened?: OpenedPage } = {},
): Promise<SweepResult> {
  const kind = pageKind(path);
  const [first, second] = isDeckPath(path) ? DECK_VIEWS : sweepViews(kind);
  const label = (view: SweepView) => `${view.viewport.width} px, ${view.colorScheme}`;
  // The home page and the chapters are also weighed (helpers/budget.ts): they open with the
  // IntersectionObservers held, so nothing starts until the first load is measured.
  const budgeted = !alreadyOpen && hasBudget(path);
  const opened = alreadyOpen ?? (await openPage(sweepUrl(path), budgeted ? { ...first, initScript: holdObserversScript } : first));
  const { page } = opened;
  const problems: string[] = [];
  let firstLoad: Map<string, number> | undefined;
  if (budgeted) {
    const measured = await measureFirstLoad(opened, path);
    firstLoad = measured.weights;
    problems.push(...measured.problems.map((line) => `[${label(first)}] ${line}`));
  }

  // A deck shows one slide at a time: its other slides' widgets stay idle (slides.test.ts starts
  // them slide by slide); problemsOnPage waits for the ones that started.
  const widgets = kind === 'other' ? [] : await startAllWidgets(page, 120_000);
  problems.push(...widgets.filter((w) => w.status === 'error').map((w) => `[${label(first)}] widget ${w.id} failed: ${w.message}`));
  const measured = kind === 'embed' ? await measuredEmbedHeight(opened) : undefined;
  if (kind === 'embed') {
    const name = path.split('/')[2];
    const committed = embedHeight(name);
    if (committed === undefined) problems.push(`src/embed/embed-heights.json has no height for ${name}: run npm run measure-embeds`);
    else if (Math.abs(measured! - committed) > EMBED_HEIGHT_TOLERANCE) problems.push(`embed ${name} is ${measured} px tall, committed ${committed} px: run npm run measure-embeds`);
  }
  // status, console, page errors, other origins, raw math, sideways scroll, axe (this theme).
  // On a chapter axe reads the prose and the page around the widgets: each widget is axe-checked,
  // drawn, in both themes on its own embed page (the same component), and a chapter's figures were
  // most of axe's time there (02-attention's heatmap alone is 6,000 SVG elements).
  const axeExclude = kind === 'chapter' ? ['[data-widget]'] : [];
  const firstProblems = await problemsOnPage(opened, { axeExclude });
  // problemsOnPage reports console errors and foreign requests as they are now; they are reported once, at the end.
  opened.consoleErrors.splice(0);
  opened.pageErrors.splice(0);
  opened.offOriginRequests.splice(0);
  problems.push(...firstProblems.map((line) => `[${label(first)}] ${line}`));
  problems.push(...(await mathLayoutProblems(opened)).map((line) => `[${label(first)}] ${line}`));

  await switchView(page, second);
  await paintCanvasOnRoot(page);
  const secondProblems = [
    ...(await sidewaysScroll(page)),
    ...(await mathLayoutProblems(opened)),
    ...describeViolations(seriousViolations(await runAxe(page, { exclude: axeExclude }))),
    ...opened.consoleErrors.map((text) => `console error: ${text}`),
    ...opened.pageErrors.map((text) => `page error: ${text}`),
    ...opened.offOriginRequests.map((url) => `request to another origin: ${url}`),
  ];
  problems.push(...secondProblems.map((line) => `[${label(second)}] ${line}`));
  return { problems, opened, widgets, embedHeight: measured, firstLoad };
}
