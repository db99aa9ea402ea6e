import { defineProject } from 'vitest/config';

// The qemu engine's tests: real VMs under QEMU (TCG on these machines), one file and one VM at a
// time, after every other project (groupOrder). The guest image is built once first (globalSetup).
// A boot takes 3–10 s under TCG on an idle host and up to ~60 s when the two cores are heavily
// oversubscribed; a boot marker still missing after 180 s (waitLog) is a hang, not a slow boot.
export default defineProject({
  test: {
    name: 'qemu',
    include: ['test/qemu/**/*.test.ts'],
    globalSetup: ['test/qemu/global-setup.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 300_000,
    sequence: { groupOrder: 1 },
  },
});
