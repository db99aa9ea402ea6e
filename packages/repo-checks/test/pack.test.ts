/**
 * Every publishable package packs with pnpm and passes `publint --strict` and `attw` (are the types
 * wrong, `--profile esm-only`) on its tarball; the
 * tarball carries an MIT LICENSE, source maps whose sources are in the tarball, and READMEs whose
 * relative links resolve inside it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { publishable, root } from './workspace.js';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'uvmkit-pack-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.each(publishable().map((p) => [p.name, p] as const))('%s', (_name, pkg) => {
  test('packs only dist (and declared files), with workspace ranges rewritten, and passes publint --strict and attw', async () => {
    const dest = mkdtempSync(join(out, 'p-'));
    await run('pnpm', ['pack', '--pack-destination', dest], { cwd: pkg.dir });
    const [tarball] = readdirSync(dest);
    expect(tarball).toMatch(/\.tgz$/);
    const tgz = join(dest, tarball!);

    const { stdout: list } = await run('tar', ['-tzf', tgz]);
    const files = list.trim().split('\n');
    const allowed = ['package/package.json', 'package/README.md', 'package/LICENSE'];
    // A `files` entry is a path (a file, or a directory and everything under it) or a `*` glob.
    const declared = (pkg.manifest.files as string[])
      .filter((f) => !f.startsWith('!'))
      .map(
        (f) =>
          new RegExp(`^package/${f.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`),
      );
    for (const f of files) {
      expect(allowed.includes(f) || declared.some((d) => d.test(f)), f).toBe(true);
    }
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files.some((f) => f.includes('/test/') || f.endsWith('.tsbuildinfo'))).toBe(false);

    expect(files).toContain('package/LICENSE');
    const license = (await run('tar', ['-xzOf', tgz, 'package/LICENSE'])).stdout;
    expect(license).toMatch(/^MIT License/);
    expect(pkg.manifest.license).toBe('MIT');

    const unpacked = mkdtempSync(join(dest, 'x-'));
    await run('tar', ['-xzf', tgz, '-C', unpacked]);
    const shipped = new Set(files.map((f) => f.slice('package/'.length)));
    for (const f of files.filter((name) => name.endsWith('.map'))) {
      const rel = f.slice('package/'.length);
      const map = JSON.parse(readFileSync(join(unpacked, f), 'utf8')) as { sources: string[] };
      for (const source of map.sources) {
        const target = posix.normalize(posix.join(posix.dirname(rel), source));
        expect(shipped.has(target), `${rel} → ${source}`).toBe(true);
      }
    }
    for (const f of files.filter((name) => name.endsWith('.md'))) {
      const rel = f.slice('package/'.length);
      const text = readFileSync(join(unpacked, f), 'utf8');
      for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (link === undefined || /^(#|[a-z]+:)/.test(link)) continue;
        const target = posix.normalize(posix.join(posix.dirname(rel), link.split('#')[0]!));
        const ok =
          shipped.has(target) || [...shipped].some((s) => s.startsWith(`${target.replace(/\/$/, '')}/`));
        expect(ok, `${rel} links ${link}, which is not in the tarball`).toBe(true);
      }
    }

    const { stdout: manifest } = await run('tar', ['-xzOf', tgz, 'package/package.json']);
    expect(manifest).not.toContain('workspace:');

    const { stdout } = await run(
      process.execPath,
      [join(root, 'node_modules/publint/src/cli.js'), 'run', '--strict', tgz],
      { cwd: pkg.dir },
    );
    expect(stdout).toContain('All good!');

    // attw on the same tarball; ESM-only by design, so the CommonJS resolutions are out of scope.
    await run(
      process.execPath,
      [
        join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js'),
        tgz,
        '--profile',
        'esm-only',
        '--format',
        'ascii',
      ],
      { cwd: pkg.dir },
    );
  });
});
