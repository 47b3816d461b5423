// The checks every built page must pass. site.test.ts runs them on the real pages, and
// fixtures.test.ts runs them on planted bad pages to prove that they catch what they claim.
import { describeViolations, runAxe, seriousViolations } from './axe';
import type { OpenedPage } from './page';

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

/**
 * Every problem on an opened page, as human-readable lines (empty array = the page passes):
 * HTTP status other than 200, console errors, page errors, requests to other origins,
 * unrendered math, and axe-core violations of impact serious or critical.
 */
export async function problemsOnPage(opened: OpenedPage): Promise<string[]> {
  const problems: string[] = [];
  const status = opened.response?.status();
  if (status !== 200) problems.push(`HTTP status ${status ?? 'none'}`);
  problems.push(...opened.consoleErrors.map((text) => `console error: ${text}`));
  problems.push(...opened.pageErrors.map((text) => `page error: ${text}`));
  problems.push(...opened.offOriginRequests.map((url) => `request to another origin: ${url}`));
  problems.push(...(await rawMathLeft(opened)).map((text) => `unrendered math: ${text}`));
  problems.push(...describeViolations(seriousViolations(await runAxe(opened.page))));
  return problems;
}
