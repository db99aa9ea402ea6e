import { defineProject } from 'vitest/config';

// The relay in a real VM (QEMU/TCG): after every other project, hcs-core's qemu
// and cli's qemu projects (groupOrder 3: never two VMs at once on a two-core machine).
export default defineProject({
  test: {
    name: 'qemu-relay',
    include: ['test/qemu/**/*.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 300_000,
    sequence: { groupOrder: 3 },
  },
});
