/**
 * The cross-package contracts homed here: the GCS constants (gcs/constants.ts) and the
 * emulator's path rule (emulator-paths.ts). The C copies are checked by linux-guest's
 * contracts.test.ts and hcs-core's shim-paths.test.ts.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ENTROPY_PORT,
  GCS_HEADER_SIZE,
  GCS_MAX_FRAME,
  GcsServiceIds,
  gcsOversizedRequestMessage,
  hcsdSocketPath,
  hvsocketDir,
  hvsocketFileName,
  hvsocketPathIn,
  LINUX_GCS_PORT,
  LOG_PORT,
  runtimeDir,
  vsockServiceIdOf,
} from '../src/index.js';

describe('GCS constants', () => {
  it('ports and the vsock service-id template', () => {
    expect([LINUX_GCS_PORT, ENTROPY_PORT, LOG_PORT]).toEqual([0x40000000, 1, 109]);
    expect(vsockServiceIdOf(LINUX_GCS_PORT)).toBe(GcsServiceIds.LinuxGcs);
    expect(vsockServiceIdOf(ENTROPY_PORT)).toBe('00000001-facb-11e6-bd58-64006a7986d3');
    expect(vsockServiceIdOf(LOG_PORT)).toBe('0000006d-facb-11e6-bd58-64006a7986d3');
    expect(vsockServiceIdOf(0xffffffff)).toBe('ffffffff-facb-11e6-bd58-64006a7986d3');
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => vsockServiceIdOf(bad)).toThrow(
        new RangeError(`port must be an integer 0..0xFFFFFFFF, got ${String(bad)}`),
      );
    }
  });

  it('frame header 16 bytes, limit 64 KiB (the Go host receive limit); the oversized-request message', () => {
    expect(GCS_HEADER_SIZE).toBe(16);
    expect(GCS_MAX_FRAME).toBe(0x10000);
    expect(gcsOversizedRequestMessage(70_016)).toBe(
      "request of 70016 bytes exceeds the agent's 65536-byte frame limit",
    );
  });
});

describe('emulator paths', () => {
  it('runtime directory: $XDG_RUNTIME_DIR/uvmkit, else /run/uvmkit for root, else <tmpdir>/uvmkit-<uid>', () => {
    expect(runtimeDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe('/run/user/1000/uvmkit');
    expect(runtimeDir({ XDG_RUNTIME_DIR: '' }, 0)).toBe('/run/uvmkit');
    expect(runtimeDir({}, 0)).toBe('/run/uvmkit');
    expect(runtimeDir({}, 1000)).toBe(join(tmpdir(), 'uvmkit-1000'));
  });

  it('hcsd socket and HvSocket directory: the env var when set and non-empty, else in the runtime directory', () => {
    const xdg = { XDG_RUNTIME_DIR: '/run/user/7' };
    expect(hcsdSocketPath(xdg)).toEqual({ path: '/run/user/7/uvmkit/hcsd.sock', fromEnv: false });
    expect(hcsdSocketPath({ ...xdg, UVMKIT_HCSD_SOCKET: '/x/h.sock' })).toEqual({
      path: '/x/h.sock',
      fromEnv: true,
    });
    expect(hcsdSocketPath({ ...xdg, UVMKIT_HCSD_SOCKET: '' }).fromEnv).toBe(false);
    expect(hvsocketDir(xdg)).toBe('/run/user/7/uvmkit/hvsock');
    expect(hvsocketDir({ ...xdg, UVMKIT_HVSOCK_DIR: '/x/hv' })).toBe('/x/hv');
  });

  it('an address maps to <dir>/<vmId>-<serviceId>.sock, lower case (78 bytes of file name)', () => {
    const vm = 'F28B874D-0F12-4E7B-8F62-BE76796215ED';
    const name = hvsocketFileName(vm, GcsServiceIds.LinuxGcs.toUpperCase());
    expect(name).toBe('f28b874d-0f12-4e7b-8f62-be76796215ed-40000000-facb-11e6-bd58-64006a7986d3.sock');
    expect(Buffer.byteLength(name)).toBe(78);
    expect(hvsocketPathIn(vm, GcsServiceIds.LinuxGcs, '/d')).toBe(`/d/${name}`);
  });
});
