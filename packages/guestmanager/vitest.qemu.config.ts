import { defineProject } from 'vitest/config';

// The guest manager against the real guest agent (uvmkit-gcs) in a real VM on hcsd's qemu engine:
// after every other project and the other qemu projects (groupOrder 4: one VM at a time).
export default defineProject({
  test: {
    name: 'qemu-guest',
    include: ['test/qemu/**/*.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 300_000,
    sequence: { groupOrder: 4 },
  },
});
