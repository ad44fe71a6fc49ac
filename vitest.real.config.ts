import { defineConfig } from 'vitest/config';

/**
 * The real-build tier (`npm run test:real`): the catalogue's source stack from ../shared/upstream and
 * the Python stacks from the machine's package index. Minutes, not seconds; one file at a time, so a
 * 2-core machine builds one thing at once.
 */
export default defineConfig({
  test: {
    include: ['test/real/**/*.test.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 10 * 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
