import { defineProject } from 'vitest/config';
import { timeouts } from '../../vitest.shared.js';

export default defineProject({
  test: { ...timeouts, name: 'plan9', include: ['test/**/*.test.ts'] },
});
