import { defineProject } from 'vitest/config';

// Packing, npm installs and tsc runs are CPU-bound: generous timeouts on a shared 2-core machine.
export default defineProject({
  test: {
    name: 'consumer-check',
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
