/**
 * The published prebuilts: `build-native.mjs --prebuilds` (what prepack runs) cross-compiles the
 * shim for linux-x64 and linux-arm64, records the glibc each needs, and each one loads and runs:
 * x64 natively, arm64 under qemu-aarch64 (user mode, with the arm64 C library of
 * libc6-dev-arm64-cross), through a small C loader cross-compiled for each.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const pkg = fileURLToPath(new URL('..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'uvmkit-prebuilds-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const ELF_MACHINE = { x64: 0x3e, arm64: 0xb7 } as const;
const compilers = {
  x64: process.arch === 'x64' ? 'cc' : 'x86_64-linux-gnu-gcc',
  arm64: 'aarch64-linux-gnu-gcc',
};

beforeAll(async () => {
  await run(process.execPath, [join(pkg, 'scripts/build-native.mjs'), '--prebuilds'], {
    env: { ...process.env, UVMKIT_PREBUILDS_DIR: out },
  });
}, 600_000);

describe.each(['x64', 'arm64'] as const)('linux-%s', (arch) => {
  const lib = join(out, `linux-${arch}`, 'libcomputecore.so');

  it('is an ELF shared library for that machine, with its glibc requirement recorded', () => {
    const elf = readFileSync(lib);
    expect(elf.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(elf.readUInt16LE(16)).toBe(3); // ET_DYN
    expect(elf.readUInt16LE(18)).toBe(ELF_MACHINE[arch]);
    expect(readFileSync(join(out, `linux-${arch}`, 'glibc.txt'), 'utf8')).toMatch(/^2\.\d+\n$/);
  });

  it('loads and runs: exports resolve, an operation round-trips, no hcsd → HCS_E_SERVICE_NOT_AVAILABLE', async () => {
    const loader = join(out, `load-shim-${arch}`);
    await run(compilers[arch], [
      '-std=c11',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-D_GNU_SOURCE',
      join(pkg, 'test/loader/load-shim.c'),
      '-ldl',
      '-o',
      loader,
    ]);
    const env = { ...process.env, UVMKIT_HCSD_SOCKET: join(out, 'nobody-listens.sock') };
    const native = arch === process.arch;
    const { stdout } = native
      ? await run(loader, [lib], { env })
      : await run('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', loader, lib], { env });
    expect(stdout).toBe('exports 6/6; operation ok; HcsGetServiceProperties 0x80370114\n');
  }, 300_000);
});
