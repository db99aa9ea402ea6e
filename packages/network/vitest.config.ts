import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'network', include: ['test/**/*.test.ts'] },
});
