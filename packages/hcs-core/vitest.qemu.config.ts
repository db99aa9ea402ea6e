import { defineProject } from 'vitest/config';

// The qemu engine's tests: real VMs under QEMU (TCG on these machines), one file and one VM at a
// time, after every other project (groupOrder). Boots take 3–10 s under TCG on a busy host; a
// test that waits 90 s for a boot marker has hung, not been slow.
export default defineProject({
  test: {
    name: 'qemu',
    include: ['test/qemu/**/*.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    sequence: { groupOrder: 1 },
  },
});
