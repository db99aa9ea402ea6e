import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'plan9', include: ['test/**/*.test.ts'] },
});
