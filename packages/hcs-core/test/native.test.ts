/** Declarations: all 60 exports, process-global koffi type names guarded, missing exports → NotSupported. */
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { HcsError, isNotSupported } from '../src/errors.js';
import {
  BLOCKING_EXPORTS,
  callAsync,
  declareExports,
  declareTypes,
  EXPORT_NAMES,
} from '../src/native/computecore.js';
import { loadNative } from '../src/native/load.js';
import { startDaemon } from './helpers/env.js';

describe('declarations', () => {
  it('declares the 60 exports of hcs-api.md §1, all found in the shim', async () => {
    const hcsd = await startDaemon();
    try {
      const native = await loadNative();
      expect(EXPORT_NAMES).toHaveLength(60);
      expect(new Set(EXPORT_NAMES).size).toBe(60);
      expect(native.missing).toEqual([]);
      expect(native.available.size).toBe(60);
      // Windows: loaded by name, as the real computecore.dll is; elsewhere the emulator's shim.
      if (process.platform === 'win32') expect(native.libraryPath).toBe('computecore.dll');
      else expect(native.libraryPath).toMatch(/libcomputecore\.so$/);
      expect(BLOCKING_EXPORTS).toContain('HcsCloseComputeSystem');
      // a second declaration (second load / second copy of core) reuses the uvmkit_ types
      expect(() => declareTypes()).not.toThrow();
      expect(() => declareExports(koffi.load(native.libraryPath))).not.toThrow();
      expect(koffi.sizeof(koffi.type('uvmkit_HCS_EVENT'))).toBe(24);
      expect(koffi.offsetof(koffi.type('uvmkit_HCS_EVENT'), 'Operation')).toBe(16);
      expect(koffi.sizeof(koffi.type('uvmkit_HCS_PROCESS_INFORMATION'))).toBe(32);
      // a synchronous export through the libuv pool
      const out: [bigint | null] = [null];
      const hr = await native.callAsync<number>('HcsGetServiceProperties', null, out);
      expect(hr).toBe(0);
      const doc = JSON.parse(native.takeString(out[0])!) as Record<string, unknown>;
      expect(doc).toBeTypeOf('object');
    } finally {
      await hcsd.stop();
    }
  });

  it('exports a library lacks become NotSupported stubs, reported when called (not at load)', async () => {
    // a library with none of the exports: the C library (kernel32.dll on Windows)
    const other = { darwin: 'libc.dylib', win32: 'kernel32.dll' } as Partial<Record<NodeJS.Platform, string>>;
    const libc = koffi.load(other[process.platform] ?? 'libc.so.6');
    const declared = declareExports(libc);
    expect(declared.missing).toHaveLength(60);
    let err: HcsError | undefined;
    try {
      declared.exports.HcsCancelOperation(1n as never);
    } catch (e) {
      err = e as HcsError;
    }
    expect(err).toBeInstanceOf(HcsError);
    expect(err?.code).toBe('NotSupported');
    expect(err?.message).toBe('HcsCancelOperation is not exported by the loaded compute library');
    expect(isNotSupported(err)).toBe(true);
    const asyncErr = await callAsync(declared.raw.HcsCloseComputeSystem, 1n).catch(
      (e: unknown) => e as HcsError,
    );
    expect((asyncErr as HcsError).code).toBe('NotSupported');
  });
});
