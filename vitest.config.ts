import { availableParallelism } from 'node:os';

import { defineConfig } from 'vitest/config';

/**
 * unit tests that time real work (threads, CPU use, schedulers, timers, clock offsets): they run one file at a
 * time, alone, so that other test files do not share their CPU; and html.test.ts, which resets the module
 * registry (vi.resetModules), so it gets one of its own
 */
const TIMED_UNIT_TESTS = [
  'test/unit/ai/pipeline.test.ts',
  'test/unit/ai/scheduler.test.ts',
  'test/unit/ai/speech.test.ts',
  'test/unit/metrics/accounting.test.ts',
  'test/unit/metrics/resources.test.ts',
  'test/unit/metrics/threads.test.ts',
  'test/unit/orchestrator/clock-sync.test.ts',
  'test/unit/orchestrator/remote-sfu.test.ts',
  'test/unit/orchestrator/start-barrier.test.ts',
  'test/unit/sfu/delay-line.test.ts',
  'test/unit/sfu/pipe.test.ts',
  'test/unit/report/html.test.ts',
];

/**
 * Three projects. `unit` and `unit-timed`: pure logic, no build, no root, no system packages
 * (`npm run test:unit` runs both). `unit-timed` runs first and alone; the rest of `unit` then runs its files in
 * parallel. `integration`: real servers, Chromium and child processes run from dist/, so its global setup checks
 * the build and, when the suite ends, that no process a test started is left (`npm run test:integration`).
 * A bare `vitest run` runs all three in that order (groupOrder), as `npm test` does.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // vitest's default leaves one core free, which on a two-core machine runs the parallel unit files one by one
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit-timed',
          include: TIMED_UNIT_TESTS,
          fileParallelism: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: TIMED_UNIT_TESTS,
          // pure modules hold no state a file could leave behind (the files that mock or stub restore them after
          // each test), so the files of a worker share one module cache instead of importing everything anew
          isolate: false,
          sequence: { groupOrder: 1 },
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
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
