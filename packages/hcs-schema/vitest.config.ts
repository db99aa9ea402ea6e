import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'hcs-schema', include: ['test/**/*.test.ts'] },
});
