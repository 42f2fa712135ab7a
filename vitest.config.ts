import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real servers on a 2-core machine: a few files at a time.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
