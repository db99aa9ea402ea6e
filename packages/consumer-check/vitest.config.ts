import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'consumer-check', include: ['test/**/*.test.ts'] },
});
