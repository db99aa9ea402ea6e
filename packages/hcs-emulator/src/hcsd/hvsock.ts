/**
 * HvSocket addressing under the emulator: (VM id, service id) → a Unix stream socket at
 * `<dir>/<vmId>-<serviceId>.sock` (lower-case bare GUIDs), `<dir>` = `$UVMKIT_HVSOCK_DIR` or
 * `<runtimeDir>/hvsock` (the private per-user runtime directory, see runtime-dir.ts). The host
 * listens there; the emulated guest dials.
 */
import { join } from 'node:path';
import { HVSOCK_DIR_ENV, runtimeDir } from '../runtime-dir.js';

export function hvsockDir(env: NodeJS.ProcessEnv = process.env): string {
  const d = env[HVSOCK_DIR_ENV];
  return d !== undefined && d !== '' ? d : join(runtimeDir(env), 'hvsock');
}

export function hvsockPath(vmId: string, serviceId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(hvsockDir(env), `${vmId.toLowerCase()}-${serviceId.toLowerCase()}.sock`);
}
