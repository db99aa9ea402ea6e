import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'pci', include: ['test/**/*.test.ts'] },
});
