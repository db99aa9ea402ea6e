/**
 * `scripts/install.mjs`, the postinstall of the published package, in a copy of what the tarball
 * ships (package.json, scripts/, native/ sources, prebuilds/; no test/): a matching prebuilt is
 * used as is; a prebuilt this machine cannot run (its glibc is too new, or there is none for the
 * arch) makes it build dist/native/libcomputecore.so from the C sources; with no compiler the
 * install fails saying what to install.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
const pkg = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'uvmkit-install-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header
  .glibcVersionRuntime;
const plat = `${process.platform}-${process.arch}`;

/** A copy of the installed package; `prebuilt` = the glibc.txt of a prebuilt for this machine. */
function installedCopy(name: string, prebuilt: string | undefined): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'native'), { recursive: true });
  cpSync(join(pkg, 'package.json'), join(dir, 'package.json'));
  cpSync(join(pkg, 'scripts'), join(dir, 'scripts'), { recursive: true });
  for (const f of readdirSync(join(pkg, 'native')).filter((n) => /\.[ch]$/.test(n))) {
    cpSync(join(pkg, 'native', f), join(dir, 'native', f));
  }
  cpSync(join(pkg, 'native', 'peercred'), join(dir, 'native', 'peercred'), { recursive: true });
  if (prebuilt !== undefined) {
    mkdirSync(join(dir, 'prebuilds', plat), { recursive: true });
    cpSync(join(pkg, 'dist/native/libcomputecore.so'), join(dir, 'prebuilds', plat, 'libcomputecore.so'));
    cpSync(join(pkg, 'dist/native/uvmkit-peercred'), join(dir, 'prebuilds', plat, 'uvmkit-peercred'));
    writeFileSync(join(dir, 'prebuilds', plat, 'glibc.txt'), `${prebuilt}\n`);
  }
  return dir;
}

const install = (dir: string, env: Record<string, string> = {}) =>
  run(process.execPath, [join(dir, 'scripts/install.mjs')], {
    cwd: dir,
    env: { ...process.env, ...env },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );

it('a matching prebuilt is used: nothing is built', async () => {
  const dir = installedCopy('matching', '2.17');
  expect(await install(dir, { CC: '/nonexistent/cc' })).toEqual({ code: 0, stdout: '', stderr: '' });
  expect(existsSync(join(dir, 'dist/native/libcomputecore.so'))).toBe(false);
  expect(existsSync(join(dir, 'dist/native/uvmkit-peercred'))).toBe(false);
});

it('a prebuilt needing a newer glibc: built from the C sources', async () => {
  const dir = installedCopy('old-glibc', '99.0');
  const r = await install(dir);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(
    `@uvmkit/hcs-emulator: the prebuilt needs glibc 99.0, this machine has ${glibc}; built ${join(dir, 'dist/native/libcomputecore.so')} and ${join(dir, 'dist/native/uvmkit-peercred')} from native/\n`,
  );
  expect(existsSync(join(dir, 'dist/native/libcomputecore.so'))).toBe(true);
  expect(existsSync(join(dir, 'dist/native/uvmkit-peercred'))).toBe(true);
}, 300_000);

it('no prebuilt for the arch and no compiler: the install fails saying what to install', async () => {
  const dir = installedCopy('no-compiler', undefined);
  const r = await install(dir, { CC: '/nonexistent/cc' });
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(
    `@uvmkit/hcs-emulator: no prebuilt for ${plat}, so libcomputecore.so must be built from the shipped C sources, but no C compiler (/nonexistent/cc) was found.\n` +
      '  Install a C11 compiler and the C library headers (Debian/Ubuntu: apt-get install gcc libc6-dev;\n' +
      '  Alpine: apk add build-base) or point $CC at one, then run: npm rebuild @uvmkit/hcs-emulator\n',
  );
  expect(existsSync(join(dir, 'dist/native/libcomputecore.so'))).toBe(false);
});
