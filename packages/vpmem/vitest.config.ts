import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'vpmem', include: ['test/**/*.test.ts'] },
});
