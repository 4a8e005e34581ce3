import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: pure logic, no build, no root, no system packages (`npm run test:unit`).
 * `integration`: real servers, Chromium and child processes run from dist/, so its global setup checks the build
 * and, when the suite ends, that no process a test started is left (`npm run test:integration`).
 * A bare `vitest run` runs both, unit first (groupOrder), as `npm test` does.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // some unit tests time real work (threads, resources, schedulers): one file at a time, as before the split
          fileParallelism: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // integration tests start real servers and processes; keep them apart and give them time
          fileParallelism: false,
          globalSetup: ['test/fixtures/global-setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
