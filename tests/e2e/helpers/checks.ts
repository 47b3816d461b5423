// The checks every built page must pass. site.test.ts runs them on the real pages, and
// fixtures.test.ts runs them on planted bad pages to prove that they catch what they claim.
import { describeViolations, runAxe, seriousViolations } from './axe';
import { widgetsStartedHaveFinished, type OpenedPage } from './page';

/** Text outside <pre>/<code> that still contains "$$" or "\(" means math was not rendered. */
async function rawMathLeft(opened: OpenedPage): Promise<string[]> {
  return opened.page.evaluate(() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const leftovers: string[] = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest('pre, code, script, style, .katex')) continue;
      if (/\$\$|\\\(|\\\[/.test(node.textContent ?? '')) leftovers.push((node.textContent ?? '').trim().slice(0, 80));
    }
    return leftovers;
  });
}

/** The document is wider than the viewport: the reader can scroll the page sideways. */
async function sidewaysScroll(opened: OpenedPage): Promise<string[]> {
  const { scrollWidth, viewport } = await opened.page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth,
  }));
  return scrollWidth > viewport ? [`the page scrolls sideways: ${scrollWidth} px wide in a ${viewport} px viewport`] : [];
}

/**
 * Every problem on an opened page, as human-readable lines (empty array = the page passes):
 * HTTP status other than 200, console errors, page errors, requests to other origins,
 * unrendered math, a page wider than the viewport, and axe-core violations of impact serious or
 * critical. It first waits for every widget that has started to finish drawing, so the layout
 * and axe see the drawn figures (start them with startAllWidgets to check them all). `axeExclude`:
 * selectors of subtrees axe leaves out.
 */
export async function problemsOnPage(opened: OpenedPage, { axeExclude = [] }: { axeExclude?: string[] } = {}): Promise<string[]> {
  await widgetsStartedHaveFinished(opened.page);
  const problems: string[] = [];
  const status = opened.response?.status();
  if (status !== 200) problems.push(`HTTP status ${status ?? 'none'}`);
  problems.push(...opened.consoleErrors.map((text) => `console error: ${text}`));
  problems.push(...opened.pageErrors.map((text) => `page error: ${text}`));
  problems.push(...opened.offOriginRequests.map((url) => `request to another origin: ${url}`));
  problems.push(...(await rawMathLeft(opened)).map((text) => `unrendered math: ${text}`));
  problems.push(...(await sidewaysScroll(opened)));
  problems.push(...describeViolations(seriousViolations(await runAxe(opened.page, { exclude: axeExclude }))));
  return problems;
}

/**
 * KaTeX drawn as it should be: the text of every sub- and superscript (and of limits under and
 * over big operators) is smaller than its formula's base font size, and every display formula
 * ends inside its column (and inside the viewport); one wider than its column scrolls inside its
 * own box. One line per problem; [] when the math is right. A stylesheet from another KaTeX
 * version than the renderer's prints "x_{t+1}" as "xt+1" at full size, which this reports.
 */
export async function mathLayoutProblems(opened: OpenedPage): Promise<string[]> {
  return opened.page.evaluate(() => {
    const problems: string[] = [];
    const px = (value: string) => Number.parseFloat(value);
    const tex = (formula: Element) => formula.querySelector('annotation[encoding="application/x-tex"]')?.textContent?.trim().slice(0, 60) ?? '?';
    for (const formula of document.querySelectorAll('.katex')) {
      const html = formula.querySelector('.katex-html');
      if (!html) continue;
      const base = px(getComputedStyle(formula).fontSize);
      // .msupsub holds a sub/superscript; .op-limits the limits of \sum and friends.
      for (const script of html.querySelectorAll('.msupsub, .op-limits .sizing')) {
        for (const leaf of script.querySelectorAll('span')) {
          // KaTeX ends a vlist with a zero-width space; only drawn characters count.
          if (leaf.children.length > 0 || !leaf.textContent?.replace(/\u200b/g, '').trim()) continue;
          const size = px(getComputedStyle(leaf).fontSize);
          if (!(size < base - 0.5)) {
            problems.push(`math: "${leaf.textContent.trim()}" in the script of ${tex(formula)} is ${size.toFixed(1)} px, not smaller than its base ${base.toFixed(1)} px`);
          }
        }
      }
    }
    for (const display of document.querySelectorAll<HTMLElement>('.katex-display')) {
      const box = display.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue; // not displayed (a folded section, another slide)
      const column = display.parentElement!;
      const columnStyle = getComputedStyle(column);
      const columnRight = column.getBoundingClientRect().right - px(columnStyle.paddingRight) - px(columnStyle.borderRightWidth);
      const right = box.right;
      if (right > columnRight + 1) problems.push(`math: the display formula ${tex(display)} ends at ${right.toFixed(0)} px, past its column's edge at ${columnRight.toFixed(0)} px`);
      if (right > document.documentElement.clientWidth + 1) problems.push(`math: the display formula ${tex(display)} is cut at the right edge of the viewport`);
      if (display.scrollWidth > display.clientWidth + 1 && !['auto', 'scroll'].includes(getComputedStyle(display).overflowX)) {
        problems.push(`math: the display formula ${tex(display)} is wider than its box, which does not scroll`);
      }
    }
    return problems;
  });
}
