/**
 * The emulator's mapping of an HvSocket address to a Unix stream socket:
 * `<dir>/<vmId>-<serviceId>.sock` (both GUIDs lower-case, bare 8-4-4-4-12), where `<dir>` is
 * `$UVMKIT_HVSOCK_DIR` when set, else `<os.tmpdir()>/uvmkit-hvsock` (created with mode 0700 when
 * missing). hcsd's emulated guest agent derives the same path on its own.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HvSocketAddress } from './address.js';
import { normalizeGuid } from './guid.js';

/** The env var naming the emulator's HvSocket directory. */
export const HVSOCK_DIR_ENV = 'UVMKIT_HVSOCK_DIR';

/** The directory of emulated HvSocket endpoints (not created). */
export function hvsocketDir(env: Record<string, string | undefined> = process.env): string {
  const dir = env[HVSOCK_DIR_ENV];
  return dir !== undefined && dir !== '' ? dir : join(tmpdir(), 'uvmkit-hvsock');
}

/** The Unix socket path of an emulated HvSocket address (the directory is not created). */
export function hvsocketPath(address: HvSocketAddress, dir: string = hvsocketDir()): string {
  const vmId = normalizeGuid(address.vmId, 'vmId', 'hvsocketPath');
  const serviceId = normalizeGuid(address.serviceId, 'serviceId', 'hvsocketPath');
  return join(dir, `${vmId}-${serviceId}.sock`);
}

/** Create `dir` (mode 0700) if missing. */
export function ensureHvsocketDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
