import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'vsmb', include: ['test/**/*.test.ts'] },
});
