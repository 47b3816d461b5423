// Building dist/ once per test run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (tests/e2e/helpers/../../..). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
/** The built site that the browser tests serve: dist/, or GLASS_LLAMA_OUT_DIR (as in astro.config.mjs). */
export const DIST_DIR = resolve(REPO_ROOT, process.env.GLASS_LLAMA_OUT_DIR || 'dist');

/** Set by buildOnce() in the vitest globalSetup so test files do not build again. */
const BUILT_FLAG = 'GLASS_LLAMA_DIST_BUILT';

/**
 * Runs `astro build` unless this test run already did (the browser project's globalSetup calls
 * it first, and worker processes inherit the flag). `GLASS_LLAMA_SKIP_BUILD=1` reuses an existing
 * dist/ while iterating on a test. Throws with Astro's output when the build fails.
 */
export function buildOnce(): string {
  if (process.env[BUILT_FLAG] === '1') return DIST_DIR;
  if (process.env.GLASS_LLAMA_SKIP_BUILD === '1' && existsSync(join(DIST_DIR, 'index.html'))) {
    process.env[BUILT_FLAG] = '1';
    return DIST_DIR;
  }
  try {
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'astro', 'astro.js'), 'build'], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
    });
  } catch (error) {
    const failure = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`astro build failed:\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`);
  }
  process.env[BUILT_FLAG] = '1';
  return DIST_DIR;
}
