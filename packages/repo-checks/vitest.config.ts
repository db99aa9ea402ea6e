import { defineProject } from 'vitest/config';

// Packing and publint spawn pnpm/node per package: seconds each on a busy machine.
export default defineProject({
  test: { name: 'repo-checks', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
