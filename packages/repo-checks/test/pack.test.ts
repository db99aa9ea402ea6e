/** Every publishable package packs with pnpm and passes `publint --strict` on its tarball. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { publishable, root } from './workspace.js';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'uvmkit-pack-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.each(publishable().map((p) => [p.name, p] as const))('%s', (_name, pkg) => {
  test('packs only dist (and declared files), with workspace ranges rewritten, and passes publint --strict', async () => {
    const dest = mkdtempSync(join(out, 'p-'));
    await run('pnpm', ['pack', '--pack-destination', dest], { cwd: pkg.dir });
    const [tarball] = readdirSync(dest);
    expect(tarball).toMatch(/\.tgz$/);
    const tgz = join(dest, tarball!);

    const { stdout: list } = await run('tar', ['-tzf', tgz]);
    const files = list.trim().split('\n');
    const allowed = ['package/package.json', 'package/README.md', 'package/LICENSE'];
    const declared = (pkg.manifest.files as string[]).map((f) => `package/${f}/`);
    for (const f of files) {
      expect(allowed.includes(f) || declared.some((d) => f.startsWith(d)), f).toBe(true);
    }
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files.some((f) => f.includes('/test/') || f.endsWith('.tsbuildinfo'))).toBe(false);

    const { stdout: manifest } = await run('tar', ['-xzOf', tgz, 'package/package.json']);
    expect(manifest).not.toContain('workspace:');

    const { stdout } = await run(
      process.execPath,
      [join(root, 'node_modules/publint/src/cli.js'), 'run', '--strict', tgz],
      { cwd: pkg.dir },
    );
    expect(stdout).toContain('All good!');
  });
});
