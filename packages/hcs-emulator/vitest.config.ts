import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'hcs-emulator', include: ['test/**/*.test.ts'], exclude: ['test/qemu/**'] },
});
