// The page checks catch what they claim to: each fixture page plants one defect, and
// problemsOnPage (the same function site.test.ts asserts is empty on every built page) reports it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openSite, problemsOnPage, REPO_ROOT, type Site } from './helpers';

let site: Site;
beforeAll(async () => {
  site = await openSite({ mounts: { '/__fixtures__/': `${REPO_ROOT}/tests/e2e/fixtures` } });
});
afterAll(async () => {
  await site?.close();
});

async function problemsOf(path: string): Promise<string[]> {
  const opened = await site.openPage(path);
  const problems = await problemsOnPage(opened);
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

test('a missing page fails with its status', async () => {
  const problems = await problemsOf('/__fixtures__/no-such-page.html');
  expect(problems[0]).toBe('HTTP status 404');
});
