/**
 * The emulator's mapping of an HvSocket address to a Unix stream socket:
 * `<dir>/<vmId>-<serviceId>.sock` (both GUIDs lower-case, bare 8-4-4-4-12), where `<dir>` is
 * `$UVMKIT_HVSOCK_DIR` when set, else `<runtime dir>/hvsock`; and where hcsd listens by default
 * (`$UVMKIT_HCSD_SOCKET`, else `<runtime dir>/hcsd.sock`). The runtime directory is private and
 * per user: `$XDG_RUNTIME_DIR/uvmkit`, else `/run/uvmkit` for root, else `<tmpdir>/uvmkit-<uid>`
 * — the rule hcsd (`@uvmkit/hcs-emulator`'s runtime-dir.ts) and the shim apply too. A directory
 * hcs-core creates is 0700; an existing one is used only when this user owns it and nobody else
 * may enter it. hcsd's emulated guest agent derives the same paths on its own.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HcsError, HRESULT } from '../errors.js';
import type { HvSocketAddress } from './address.js';
import { normalizeGuid } from './guid.js';

/** The env var naming the emulator's HvSocket directory. */
export const HVSOCK_DIR_ENV = 'UVMKIT_HVSOCK_DIR';
/** The env var naming hcsd's socket. */
export const HCSD_SOCKET_ENV = 'UVMKIT_HCSD_SOCKET';

type Env = Record<string, string | undefined>;

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/** The private per-user runtime directory of the emulator (not created). */
export function runtimeDir(env: Env = process.env, user: number = uid()): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg !== undefined && xdg !== '') return join(xdg, 'uvmkit');
  if (user === 0) return '/run/uvmkit';
  return join(tmpdir(), `uvmkit-${user}`);
}

/** Where the shim looks for hcsd, and whether `$UVMKIT_HCSD_SOCKET` named it. */
export function hcsdSocketPath(env: Env = process.env): { path: string; fromEnv: boolean } {
  const s = env[HCSD_SOCKET_ENV];
  if (s !== undefined && s !== '') return { path: s, fromEnv: true };
  return { path: join(runtimeDir(env), 'hcsd.sock'), fromEnv: false };
}

/** The directory of emulated HvSocket endpoints (not created). */
export function hvsocketDir(env: Env = process.env): string {
  const dir = env[HVSOCK_DIR_ENV];
  return dir !== undefined && dir !== '' ? dir : join(runtimeDir(env), 'hvsock');
}

/** The Unix socket path of an emulated HvSocket address (the directory is not created). */
export function hvsocketPath(address: HvSocketAddress, dir: string = hvsocketDir()): string {
  const vmId = normalizeGuid(address.vmId, 'vmId', 'hvsocketPath');
  const serviceId = normalizeGuid(address.serviceId, 'serviceId', 'hvsocketPath');
  return join(dir, `${vmId}-${serviceId}.sock`);
}

/**
 * Create `dir` (mode 0700, parents too) if missing; an existing directory must be this user's
 * with no group or other access, else an `ERROR_ACCESS_DENIED` HcsError says why (someone may
 * have created it to receive the guests' connections).
 */
export function ensureHvsocketDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const me = uid();
  let why: string | undefined;
  if (!st.isDirectory()) why = 'is not a directory';
  else if (st.uid !== me) why = `is owned by uid ${st.uid}, not by this user (uid ${me})`;
  else if ((st.mode & 0o077) !== 0)
    why = `has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} (group or other access)`;
  if (why !== undefined) {
    throw new HcsError('ERROR_ACCESS_DENIED', `HvSocket directory ${dir} ${why}; refusing to listen there`, {
      op: 'hvsocket.listen',
      hresult: HRESULT.ERROR_ACCESS_DENIED,
    });
  }
}
