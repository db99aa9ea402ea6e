/**
 * The published declarations type-check on their own, as a consumer compiles them: every
 * publishable package's `dist/**\/*.d.ts` with `skipLibCheck: false` (the workspace builds with
 * skipLibCheck, which hid a .d.ts that lost its koffi type import).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
import { publishable, root } from './workspace.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'uvmkit-dts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('every published .d.ts compiles with skipLibCheck: false', async () => {
  const tsconfig = {
    compilerOptions: {
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
    },
    include: publishable().map((p) => join(p.dir, 'dist/**/*.d.ts')),
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const result = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir]).then(
    () => ({ ok: true, out: '' }),
    (err: { stdout?: string }) => ({ ok: false, out: err.stdout ?? String(err) }),
  );
  expect(result.out).toBe('');
  expect(result.ok).toBe(true);
}, 120_000);
