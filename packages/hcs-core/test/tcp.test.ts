/**
 * The shim over hcsd's TCP endpoint (`tcp:127.0.0.1:PORT`) and its access check: the secret from
 * `$UVMKIT_HCSD_SECRET_FILE` is presented in Hello; a missing or wrong one is refused by hcsd
 * with E_ACCESSDENIED, which is what the HCS call returns, and hcsd logs the refusal. Runs on
 * Linux (hcsd started with `--listen`) and under Windows Node in Wine (hcsd started natively by
 * the launcher), where TCP is the only way to hcsd.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { startHcsd } from '@uvmkit/hcs-emulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HcsError } from '../src/errors.js';
import { HcsService } from '../src/service.js';

let hcsd: HcsdProcess;
let tcp: string;
let secretFile: string;
const dir = mkdtempSync(join(tmpdir(), 'uvmkit-tcp-test-'));
const saved = { socket: process.env.UVMKIT_HCSD_SOCKET, secret: process.env.UVMKIT_HCSD_SECRET_FILE };

beforeAll(async () => {
  hcsd = await startHcsd({ listen: 'tcp:127.0.0.1:0' });
  tcp = hcsd.tcp ?? '';
  secretFile = hcsd.secretFile ?? '';
});
afterAll(async () => {
  process.env.UVMKIT_HCSD_SOCKET = saved.socket;
  process.env.UVMKIT_HCSD_SECRET_FILE = saved.secret;
  if (saved.socket === undefined) delete process.env.UVMKIT_HCSD_SOCKET;
  if (saved.secret === undefined) delete process.env.UVMKIT_HCSD_SECRET_FILE;
  await hcsd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Point the shim at hcsd's TCP endpoint with `secret` (a file path, or undefined for none). */
function pointAt(secret: string | undefined): void {
  process.env.UVMKIT_HCSD_SOCKET = tcp;
  if (secret === undefined) delete process.env.UVMKIT_HCSD_SECRET_FILE;
  else process.env.UVMKIT_HCSD_SECRET_FILE = secret;
}

it('hcsd listens on loopback TCP and writes its secret to a file only its user can read', async () => {
  expect(tcp).toMatch(/^tcp:127\.0\.0\.1:[1-9]\d*$/);
  if (process.platform !== 'win32') {
    const { statSync } = await import('node:fs');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
  }
});

it('with the secret from the file, calls go through', async () => {
  pointAt(secretFile);
  const props = await HcsService.getProperties({ PropertyTypes: ['Basic'] });
  expect(Array.isArray(props.Properties)).toBe(true);
  const clients = (await hcsd.control.clients()).map((c) => c.name);
  expect(clients).toContain('libcomputecore');
});

it('a wrong or missing secret is refused with E_ACCESSDENIED, and hcsd logs why', async () => {
  // The shim keeps its connection once made, and the secret is checked when it connects: point
  // it at a second daemon and stop the first, so the next call makes a fresh connection.
  const other = await startHcsd({ listen: 'tcp:127.0.0.1:0' });
  try {
    const wrong = join(dir, 'wrong.secret');
    writeFileSync(wrong, 'not-the-secret\n', { mode: 0o600 });
    process.env.UVMKIT_HCSD_SOCKET = other.tcp;
    await hcsd.stop(); // the shim's connection to the first daemon drops; the next call reconnects
    for (const [secret, reason] of [
      [wrong, 'its Hello presented a wrong secret'],
      [undefined, 'its Hello presented no secret'],
    ] as const) {
      if (secret === undefined) delete process.env.UVMKIT_HCSD_SECRET_FILE;
      else process.env.UVMKIT_HCSD_SECRET_FILE = secret;
      const attempt = async () => {
        const err = (await HcsService.getProperties({ PropertyTypes: ['Basic'] }).catch(
          (e: unknown) => e,
        )) as HcsError;
        return { code: err.code, hresult: err.hresult };
      };
      // The first call after the stop may still meet the old connection (HCS_E_SERVICE_DISCONNECT).
      await expect.poll(attempt).toEqual({ code: 'ERROR_ACCESS_DENIED', hresult: 0x80070005 });
      expect(await attempt()).toEqual({ code: 'ERROR_ACCESS_DENIED', hresult: 0x80070005 });
      await expect.poll(() => other.stderr()).toContain(reason);
    }
    expect(other.stderr()).toMatch(/hcsd: refused TCP client 127\.0\.0\.1:\d+ \(E_ACCESSDENIED 0x80070005\)/);
    process.env.UVMKIT_HCSD_SECRET_FILE = other.secretFile;
    const props = await HcsService.getProperties({ PropertyTypes: ['Basic'] });
    expect(Array.isArray(props.Properties)).toBe(true);
  } finally {
    await other.stop();
  }
});
