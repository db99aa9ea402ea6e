import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'resources', include: ['test/**/*.test.ts'] },
});
