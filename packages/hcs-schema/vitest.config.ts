import { defineProject } from 'vitest/config';
import { timeouts } from '../../vitest.shared.js';

export default defineProject({
  test: { ...timeouts, name: 'hcs-schema', include: ['test/**/*.test.ts'] },
});
