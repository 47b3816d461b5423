// src/pages/test/_testPages.mjs: /test/runtime/ and /test/widgets/ are built for the tests only.
import { expect, test } from 'vitest';
import { testPages } from '../../src/pages/test/_testPages.mjs';

function injectedRoutes(env: Record<string, string | undefined>): unknown[] {
  const routes: unknown[] = [];
  const setup = testPages(env).hooks['astro:config:setup'] as (options: { injectRoute: (route: unknown) => void }) => void;
  setup({ injectRoute: (route) => routes.push(route) });
  return routes;
}

test('testPages adds /test/runtime/ and /test/widgets/ when GLASS_LLAMA_TEST_PAGES=1', () => {
  expect(injectedRoutes({ GLASS_LLAMA_TEST_PAGES: '1' })).toEqual([
    { pattern: '/test/runtime', entrypoint: './src/pages/test/_runtime.astro', prerender: true },
    { pattern: '/test/widgets', entrypoint: './src/pages/test/_widgets.astro', prerender: true },
  ]);
});

test('testPages adds nothing to a production build', () => {
  expect(injectedRoutes({})).toEqual([]);
  expect(injectedRoutes({ GLASS_LLAMA_TEST_PAGES: '0' })).toEqual([]);
});
