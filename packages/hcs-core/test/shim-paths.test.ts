/**
 * (The cases of another user switch to uid 65534 and so run only when the tests run as root,
 * as CI does; the others run as any user.)
 *
 * The shim keeps a C copy of the hcsd socket rule (native/platform_posix.c of
 * `@uvmkit/hcs-emulator`) whose one home is `@uvmkit/hcs-schema`'s `hcsdSocketPath`. For a table
 * of environments and users, a child process (so the shim reads that environment at load) loads
 * the shim, asks it where it would dial (`UvmkitShimSocketPath`), and computes the home's answer
 * in the same environment; both must be the expected path.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { linuxOnlyDescribe } from './helpers/platform.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));

const CHILD = `
import koffi from 'koffi';
import { shimLibraryPath } from '@uvmkit/hcs-emulator';
import { hcsdSocketPath } from '@uvmkit/hcs-schema';
const lib = koffi.load(shimLibraryPath());
const shim = lib.func('const char *UvmkitShimSocketPath(void)')();
process.stdout.write(JSON.stringify({ shim, home: hcsdSocketPath(process.env).path }));
`;

const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
const isRoot = uid === 0;

interface Case {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly uid?: number;
  readonly want: string;
}

const CASES: Case[] = [
  { name: 'nothing set', env: {}, want: isRoot ? '/run/uvmkit/hcsd.sock' : `/tmp/uvmkit-${uid}/hcsd.sock` },
  {
    name: 'XDG_RUNTIME_DIR',
    env: { XDG_RUNTIME_DIR: '/run/user/1000' },
    want: '/run/user/1000/uvmkit/hcsd.sock',
  },
  {
    name: 'empty XDG_RUNTIME_DIR',
    env: { XDG_RUNTIME_DIR: '' },
    want: isRoot ? '/run/uvmkit/hcsd.sock' : `/tmp/uvmkit-${uid}/hcsd.sock`,
  },
  {
    name: 'UVMKIT_HCSD_SOCKET wins',
    env: { UVMKIT_HCSD_SOCKET: '/x/h.sock', XDG_RUNTIME_DIR: '/run/user/1000' },
    want: '/x/h.sock',
  },
  { name: 'another user, no TMPDIR', env: {}, uid: 65534, want: '/tmp/uvmkit-65534/hcsd.sock' },
  {
    name: 'another user, TMPDIR/',
    env: { TMPDIR: '/var/tmp/' },
    uid: 65534,
    want: '/var/tmp/uvmkit-65534/hcsd.sock',
  },
  {
    name: 'another user, TMP only',
    env: { TMP: '/var/tmp' },
    uid: 65534,
    want: '/var/tmp/uvmkit-65534/hcsd.sock',
  },
  {
    name: 'another user, empty TMPDIR then TEMP',
    env: { TMPDIR: '', TEMP: '/var/tmp' },
    uid: 65534,
    want: '/var/tmp/uvmkit-65534/hcsd.sock',
  },
];

linuxOnlyDescribe('the shim has a Unix default socket only on Linux')(
  'one hcsd socket rule: the shim and @uvmkit/hcs-schema',
  () => {
    it.each(CASES.filter((c) => c.uid === undefined || isRoot))('$name → $want', ({ env, uid: as, want }) => {
      const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], {
        cwd: pkg,
        env: { ...base, ...env },
        encoding: 'utf8',
        timeout: 60_000,
        ...(as === undefined ? {} : { uid: as, gid: as }),
      });
      expect(JSON.parse(out)).toEqual({ shim: want, home: want });
    });
  },
);
