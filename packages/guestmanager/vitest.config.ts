import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'guestmanager', include: ['test/**/*.test.ts'], exclude: ['test/qemu/**'] },
});
