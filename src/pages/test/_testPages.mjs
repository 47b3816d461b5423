// @ts-check
// Pages that exist for the browser tests and benchmarks only (/test/runtime/ puts the model
// runtime on window). Their files start with "_", so Astro does not route them; the build adds them only when
// GLASS_LLAMA_TEST_PAGES=1, which the tests' build (tests/e2e/helpers/build.ts) sets.

/** The environment variable that adds the test pages to a build. */
export const TEST_PAGES_VARIABLE = 'GLASS_LLAMA_TEST_PAGES';

/** Route pattern -> page file (relative to the project root). */
export const TEST_PAGES = {
  '/test/runtime': './src/pages/test/_runtime.astro',
  '/test/widgets': './src/pages/test/_widgets.astro',
};

/**
 * Astro integration: inject the test pages when GLASS_LLAMA_TEST_PAGES=1.
 * @param {Record<string, string | undefined>} [env]
 * @returns {import('astro').AstroIntegration}
 */
export function testPages(env = process.env) {
  return {
    name: 'glass-llama:test-pages',
    hooks: {
      'astro:config:setup': ({ injectRoute }) => {
        if (env[TEST_PAGES_VARIABLE] !== '1') return;
        for (const [pattern, entrypoint] of Object.entries(TEST_PAGES)) injectRoute({ pattern, entrypoint, prerender: true });
      },
    },
  };
}
