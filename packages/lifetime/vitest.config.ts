import { defineProject } from 'vitest/config';
import { timeouts } from '../../vitest.shared.js';

export default defineProject({
  test: { ...timeouts, name: 'lifetime', include: ['test/**/*.test.ts'] },
});
