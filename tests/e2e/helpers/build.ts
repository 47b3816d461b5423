// Building dist/ once per test run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TEST_PAGES_VARIABLE } from '../../../src/pages/test/_testPages.mjs';

/** The repository root (tests/e2e/helpers/../../..). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
/** The built site that the browser tests serve: dist/, or GLASS_LLAMA_OUT_DIR (as in astro.config.mjs). */
export const DIST_DIR = resolve(REPO_ROOT, process.env.GLASS_LLAMA_OUT_DIR || 'dist');

/** Set by buildOnce() in the vitest globalSetup so test files do not build again. */
const BUILT_FLAG = 'GLASS_LLAMA_DIST_BUILT';

/**
 * Runs `astro build` unless this test run already did (the browser project's globalSetup calls
 * it first, and worker processes inherit the flag), with the test pages (GLASS_LLAMA_TEST_PAGES=1).
 * `GLASS_LLAMA_SKIP_BUILD=1` reuses an existing dist/ built that way while iterating on a test. Throws with Astro's output when the build fails.
 */
export function buildOnce(): string {
  if (process.env[BUILT_FLAG] === '1') return DIST_DIR;
  if (process.env.GLASS_LLAMA_SKIP_BUILD === '1' && existsSync(join(DIST_DIR, 'index.html'))) {
    if (!existsSync(join(DIST_DIR, 'test', 'runtime', 'index.html'))) {
      throw new Error(
        `${DIST_DIR} was built without the test pages (/test/runtime/). Build it for the tests with\n` +
          `  ${TEST_PAGES_VARIABLE}=1 npx astro build\nor drop GLASS_LLAMA_SKIP_BUILD=1 to let the tests build it.`,
      );
    }
    process.env[BUILT_FLAG] = '1';
    return DIST_DIR;
  }
  try {
    // The tests' build includes the test pages (src/pages/test/_*), which the production build leaves out.
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'astro', 'astro.js'), 'build'], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', [TEST_PAGES_VARIABLE]: '1' },
    });
  } catch (error) {
    const failure = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`astro build failed:\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`);
  }
  process.env[BUILT_FLAG] = '1';
  return DIST_DIR;
}
