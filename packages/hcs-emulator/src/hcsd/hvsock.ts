/**
 * HvSocket addressing under the emulator: (VM id, service id) → a Unix stream socket at
 * `<dir>/<vmId>-<serviceId>.sock` (lower-case bare GUIDs), `<dir>` = `$UVMKIT_HVSOCK_DIR` or
 * `<tmpdir>/uvmkit-hvsock`. The host listens there; the emulated guest dials.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function hvsockDir(env: NodeJS.ProcessEnv = process.env): string {
  const d = env.UVMKIT_HVSOCK_DIR;
  return d !== undefined && d !== '' ? d : join(tmpdir(), 'uvmkit-hvsock');
}

export function hvsockPath(vmId: string, serviceId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(hvsockDir(env), `${vmId.toLowerCase()}-${serviceId.toLowerCase()}.sock`);
}
