import { defineProject } from 'vitest/config';

// uvmctl against hcsd's qemu engine: a real VM under QEMU (TCG here), after every other project
// and after hcs-core's qemu project (one VM at a time on this machine).
export default defineProject({
  test: {
    name: 'cli-qemu',
    include: ['test/qemu/**/*.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    sequence: { groupOrder: 2 },
  },
});
