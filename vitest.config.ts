import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One worker per core (vitest's default leaves one core free: on a 2-core machine, one file at a time).
const cores = Math.max(2, availableParallelism());

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          // beforeAll builds models and float64 references: seconds on a busy 2-core machine.
          hookTimeout: 120_000,
          maxWorkers: cores,
          // The files of a worker share one module graph: tfjs and its wasm backend are imported
          // once per worker, not once per file (about 30 s of the unit run on 2 cores). Every file
          // sets its own backend in beforeAll and disposes what it builds.
          isolate: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          // Builds dist/ once before the first browser test file (tests/e2e/helpers/build.ts), and
          // starts the Chromium that every file connects to (tests/e2e/helpers/chromium.ts).
          globalSetup: ['tests/e2e/helpers/globalSetup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // Files run in parallel, one per core: each opens its own contexts in the shared browser
          // and its own servers on free ports, so no file sees another's state. The work is in
          // Chromium (pages and their model workers), so a file's test.concurrent tests (the site
          // sweep, the decks) also run three at a time.
          fileParallelism: true,
          maxWorkers: cores,
          maxConcurrency: 3,
          // As in the unit project, the files of a worker share one module graph (the helpers,
          // playwright-core, and tfjs for the files that compute in Node are imported once per worker).
          // Each file opens and closes its own servers, contexts and models.
          isolate: false,
        },
      },
    ],
  },
});
