import { defineConfig } from 'vitest/config';

// One vitest run over every package. `.ci/run` sets UVMKIT_TEST_REPORT to also write a JSON report
// from which it prints the plain "N passed, N failed" line.
const report = process.env.UVMKIT_TEST_REPORT;

export default defineConfig({
  test: {
    projects: [
      'packages/*',
      'packages/hcs-core/vitest.qemu.config.ts',
      'packages/cli/vitest.qemu.config.ts',
      'packages/hcs-emulator/vitest.qemu.config.ts',
    ],
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
  },
});
