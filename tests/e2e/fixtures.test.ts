// The page checks catch what they claim to: each fixture page plants one defect, and
// problemsOnPage (the same function site.test.ts asserts is empty on every built page) reports it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { holdObserversScript, mathLayoutProblems, measureFirstLoad, openSite, problemsOnPage, REPO_ROOT, type Site } from './helpers';

let site: Site;
beforeAll(async () => {
  site = await openSite({ mounts: { '/__fixtures__/': `${REPO_ROOT}/tests/e2e/fixtures` } });
});
afterAll(async () => {
  await site?.close();
});

async function problemsOf(path: string, check = problemsOnPage): Promise<string[]> {
  const opened = await site.openPage(path);
  const problems = await check(opened);
  await opened.close();
  return problems;
}

test('the clean control page has no problems', async () => {
  expect(await problemsOf('/__fixtures__/clean.html')).toEqual([]);
});

test('a console error fails the page', async () => {
  expect(await problemsOf('/__fixtures__/console-error.html')).toEqual([
    expect.stringContaining('console error: planted: the attention widget could not read its weights'),
  ]);
});

test('a serious accessibility violation fails the page', async () => {
  expect(await problemsOf('/__fixtures__/axe-violation.html')).toEqual([
    'axe critical button-name: Buttons must have discernible text at button',
  ]);
});

test('math left as source text fails the page', async () => {
  expect(await problemsOf('/__fixtures__/raw-math.html')).toEqual([
    'unrendered math: Planted defect: $$p_i = e^{z_i} / \\sum_j e^{z_j}$$ left as source text.',
  ]);
});

test('a violation that a widget draws after the page loaded fails the page (axe waits for it)', async () => {
  expect(await problemsOf('/__fixtures__/late-violation.html')).toEqual([
    'axe critical button-name: Buttons must have discernible text at button',
  ]);
});

test('a page wider than the viewport fails', async () => {
  expect(await problemsOf('/__fixtures__/wide.html')).toEqual(['the page scrolls sideways: 2000 px wide in a 1280 px viewport']);
});

test('math layout: the clean page has none of these problems', async () => {
  expect(await problemsOf('/__fixtures__/clean.html', mathLayoutProblems)).toEqual([]);
});

test('math layout: sub- and superscripts at full size fail', async () => {
  const problems = await problemsOf('/__fixtures__/math-without-stylesheet.html', mathLayoutProblems);
  // "t", "+" and "1" of x_{t+1} at the paragraph's 16px.
  expect(problems).toEqual(['t', '+', '1'].map((text) => `math: "${text}" in the script of x_{t+1} is 16.0 px, not smaller than its base 16.0 px`));
});

test('math layout: a display formula cut off by its box fails', async () => {
  const problems = await problemsOf('/__fixtures__/math-clipped.html', mathLayoutProblems);
  expect(problems).toEqual([expect.stringMatching(/^math: the display formula \\sum_\{i=0\}\^\{d\/2-1\} q_\{2i\}.* is wider than its box, which does not scroll$/)]);
});

test('a missing page fails with its status', async () => {
  const problems = await problemsOf('/__fixtures__/no-such-page.html');
  expect(problems[0]).toBe('HTTP status 404');
});

test('the budget weighs a page before any widget starts: a figure at the top stays idle until the observers are released', async () => {
  // The test page's first figure sits just under its heading: without the held observers it would start at load.
  const opened = await site.openPage('/test/widgets/?backend=wasm', { initScript: holdObserversScript });
  const { page } = opened;
  await page.waitForLoadState('networkidle');
  const first = page.locator('[data-widget]').first();
  expect(await first.getAttribute('data-status')).toBe('idle');
  const { weights, problems } = await measureFirstLoad(opened, '/test/widgets/');
  expect(weights.has('/test/widgets/')).toBe(true);
  expect(problems).toEqual([]);
  // Released: the figure starts and draws.
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-widget]')!.dataset.drawn === 'true', null, { timeout: 120_000 });
  expect(await first.getAttribute('data-status')).not.toBe('idle');
  await opened.close();
}, 180_000);
