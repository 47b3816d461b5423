// Accessibility checks with axe-core, injected through the DevTools protocol (not a <script> tag,
// which the page's Content-Security-Policy would rightly refuse).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, Result } from 'axe-core';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Run axe-core on the page as it is now; returns every violation (all impacts). `exclude`: CSS
 * selectors of subtrees axe leaves out (a chapter's widgets, each checked on its own embed page).
 */
export async function runAxe(page: Page, { exclude = [] }: { exclude?: string[] } = {}): Promise<Result[]> {
  const alreadyLoaded = await page.evaluate(() => 'axe' in window);
  if (!alreadyLoaded) await page.evaluate(axeSource);
  const results = await page.evaluate(async (excluded) => {
    type Context = Document | { include: string[][]; exclude: string[][] };
    const axe = (window as unknown as { axe: { run: (context: Context, options: { resultTypes: string[] }) => Promise<AxeResults> } }).axe;
    const context: Context = excluded.length === 0 ? document : { include: [['html']], exclude: excluded.map((selector) => [selector]) };
    // Violations only: axe skips the details of every passing node (about a third of its time on a
    // chapter page), which nothing here reads.
    return axe.run(context, { resultTypes: ['violations'] });
  }, exclude);
  return results.violations;
}

/** The violations that fail the build: impact "serious" or "critical". */
export function seriousViolations(violations: Result[]): Result[] {
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** One line per violation and offending element, for a readable test failure. */
export function describeViolations(violations: Result[]): string[] {
  return violations.flatMap((v) =>
    v.nodes.map((node) => `axe ${v.impact} ${v.id}: ${v.help} at ${node.target.join(' ')}`),
  );
}
