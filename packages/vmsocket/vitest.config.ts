import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'vmsocket', include: ['test/**/*.test.ts'] },
});
