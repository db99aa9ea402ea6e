import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'pipe', include: ['test/**/*.test.ts'] },
});
