import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/real/**', 'node_modules/**'],
    // Real git, pip and CLI runs: the slowest take ~55 s on a quiet 2-core machine, so a busy one has room.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Test files mostly wait on the processes they start (the CLI, git, pip, bash): two files at once keep
    // both cores of a 2-core CI machine busy, where vitest's default (cores - 1) runs one at a time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
