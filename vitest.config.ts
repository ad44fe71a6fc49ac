import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/real/**', 'node_modules/**'],
    // Real git, pip and CLI runs: the slowest take ~55 s on a quiet 2-core machine, so a busy one has room.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
