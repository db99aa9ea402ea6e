import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'linux-guest',
    include: ['test/**/*.test.ts'],
    exclude: ['test/qemu/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
