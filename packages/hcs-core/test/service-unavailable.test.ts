/**
 * No hcsd behind the emulator's shim: HCS_E_SERVICE_NOT_AVAILABLE names the socket the shim tried
 * and UVMKIT_HCSD_SOCKET (with the variable set, and, for its default, without it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { HcsError } from '../src/errors.js';
import { runtimeDir } from '../src/hvsocket/path.js';
import { UtilityVM } from '../src/utility-vm.js';
import { uniqueId, vmConfig } from './helpers/env.js';
import { linuxOnlyIt } from './helpers/platform.js';

/** The hint names the emulator's Unix socket; the Windows shim reaches hcsd over TCP and adds none. */
const unixSocketIt = linuxOnlyIt(
  "the hint names the emulator's Unix socket path; the Windows shim reaches hcsd over TCP only",
);

const dir = mkdtempSync(join(tmpdir(), 'uvmkit-nohcsd-'));
const saved = process.env.UVMKIT_HCSD_SOCKET;
afterAll(() => {
  if (saved === undefined) delete process.env.UVMKIT_HCSD_SOCKET;
  else process.env.UVMKIT_HCSD_SOCKET = saved;
  rmSync(dir, { recursive: true, force: true });
});

unixSocketIt('names the socket from $UVMKIT_HCSD_SOCKET and says how to fix it', async () => {
  const socket = join(dir, 'nobody.sock');
  process.env.UVMKIT_HCSD_SOCKET = socket;
  const id = uniqueId('nohcsd');
  const err = (await UtilityVM.create(id, vmConfig()).catch((e: unknown) => e)) as HcsError;
  expect(err).toBeInstanceOf(HcsError);
  expect(err.code).toBe('HCS_E_SERVICE_NOT_AVAILABLE');
  expect(err.hresult).toBe(0x80370114);
  expect(err.message).toBe(
    `HcsCreateComputeSystem ${JSON.stringify(id)} failed with HCS_E_SERVICE_NOT_AVAILABLE (0x80370114) (no hcsd listens on ${socket}, named by $UVMKIT_HCSD_SOCKET)`,
  );
});

unixSocketIt(
  "without the variable: the shim's default socket, whatever it is, and the variable",
  async () => {
    delete process.env.UVMKIT_HCSD_SOCKET;
    const id = uniqueId('nohcsd');
    const err = (await UtilityVM.create(id, vmConfig()).catch((e: unknown) => e)) as HcsError;
    expect(err.code).toBe('HCS_E_SERVICE_NOT_AVAILABLE');
    // The shim reports its default (shim_default_endpoint); hcs-core derives the same path.
    expect(err.message).toBe(
      `HcsCreateComputeSystem ${JSON.stringify(id)} failed with HCS_E_SERVICE_NOT_AVAILABLE (0x80370114) (no hcsd listens on ${join(runtimeDir(), 'hcsd.sock')}, the default; set $UVMKIT_HCSD_SOCKET to use another)`,
    );
  },
);
