import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'scsi', include: ['test/**/*.test.ts'] },
});
