import { defineProject } from 'vitest/config';
import { timeouts } from '../../vitest.shared.js';

export default defineProject({
  test: { ...timeouts, name: 'hcs-core', include: ['test/**/*.test.ts'], exclude: ['test/qemu/**'] },
});
