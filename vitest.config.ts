import { defineConfig } from 'vitest/config';

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
          // Files run in parallel (one per core): each opens its own contexts in the shared browser
          // and its own servers on free ports, so no file sees another's state.
          fileParallelism: true,
        },
      },
    ],
  },
});
