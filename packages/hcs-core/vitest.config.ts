import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'hcs-core', include: ['test/**/*.test.ts'], exclude: ['test/qemu/**'] },
});
