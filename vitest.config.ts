import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    // Integration suites each start their own Temporal dev server; on a 2-core machine
    // running more than two at once starves them and turns timeouts into flakes.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    // Expected failures (a Slack outage in a test, a refused vote) log warnings; keep CI output readable.
    env: { TOLLGATE_LOG_LEVEL: process.env.TOLLGATE_LOG_LEVEL ?? 'error' },
  },
});
