import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // integration tests start real servers and processes; keep them apart and give them time
    fileParallelism: false,
    globalSetup: ['test/fixtures/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
