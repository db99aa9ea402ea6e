/**
 * Runs the C unit tests (test/c/*.c, built by `make host` with ASan/UBSan into
 * build/host/test-<name>) and checks each one's own "N passed, 0 failed" line and exit status.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildHost, make, PACKAGE_DIR } from './helpers/agent.js';

const tests = readdirSync(join(PACKAGE_DIR, 'test/c'))
  .filter((f) => f.endsWith('.c'))
  .map((f) => f.slice(0, -2));

beforeAll(() => buildHost(), 120_000);

describe('C unit tests under ASan/UBSan', () => {
  it('there are C unit tests for the JSON reader/writer and the frame decoder', () => {
    expect(tests.sort()).toEqual(expect.arrayContaining(['gcsframe', 'json']));
  });

  it.each(tests)('test-%s passes with no sanitizer report', (name) => {
    const out = execFileSync(join(PACKAGE_DIR, 'build/host', `test-${name}`), {
      encoding: 'utf8',
      env: { ...process.env, UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const m = /^(\d+) passed, (\d+) failed$/m.exec(out);
    expect(m?.[2]).toBe('0');
    expect(Number(m?.[1])).toBeGreaterThan(10);
  });

  it('`make guest` builds uvmkit-gcs as a static x86-64 ELF (no program interpreter)', () => {
    make('build/guest/uvmkit-gcs');
    const elf = readFileSync(join(PACKAGE_DIR, 'build/guest/uvmkit-gcs'));
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(elf.readUInt16LE(18)).toBe(62); // EM_X86_64
    const phoff = Number(elf.readBigUInt64LE(32));
    const phentsize = elf.readUInt16LE(54);
    const phnum = elf.readUInt16LE(56);
    const types = Array.from({ length: phnum }, (_, i) => elf.readUInt32LE(phoff + i * phentsize));
    expect(types).not.toContain(3); // PT_INTERP
    expect(types).not.toContain(2); // PT_DYNAMIC
  });
});
