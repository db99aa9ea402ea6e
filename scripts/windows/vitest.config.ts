/**
 * The vitest configuration `pnpm test:windows` runs under Windows Node in Wine: hcs-core's
 * tests (test/, Linux-only ones marked, plus test-windows/ for the Winsock transport) and the
 * lifetime and scsi packages end to end, against native hcsd daemons started by the launcher.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`../../packages/${name}`, import.meta.url));
const report = process.env.UVMKIT_TEST_REPORT;

export default defineConfig({
  test: {
    // `extends: true`: each project takes the timeouts below.
    projects: [
      {
        extends: true,
        test: {
          name: 'hcs-core',
          root: pkg('hcs-core'),
          include: ['test/**/*.test.ts', 'test-windows/**/*.test.ts'],
        },
      },
      { extends: true, test: { name: 'lifetime', root: pkg('lifetime'), include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'scsi', root: pkg('scsi'), include: ['test/**/*.test.ts'] } },
    ],
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
    // Wine starts processes slowly and this machine is shared: no test may fail on time alone.
    testTimeout: 180_000,
    // Most of a file's time under Wine is process start-up and module loading, not CPU: overlap them.
    maxWorkers: 4,
    hookTimeout: 180_000,
  },
});
