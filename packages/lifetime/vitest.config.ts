import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'lifetime', include: ['test/**/*.test.ts'] },
});
