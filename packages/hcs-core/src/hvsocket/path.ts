/**
 * The emulator's mapping of an HvSocket address to a Unix stream socket:
 * `<dir>/<vmId>-<serviceId>.sock` (both GUIDs lower-case, bare 8-4-4-4-12), where `<dir>` is
 * `$UVMKIT_HVSOCK_DIR` when set, else `<runtime dir>/hvsock`; and where hcsd listens by default
 * (`$UVMKIT_HCSD_SOCKET`, else `<runtime dir>/hcsd.sock`). The runtime directory is private and
 * per user: `$XDG_RUNTIME_DIR/uvmkit`, else `/run/uvmkit` for root, else `<tmpdir>/uvmkit-<uid>`
 * — one rule with one home, `@uvmkit/hcs-schema`'s emulator-paths.ts, which hcsd uses too (the
 * shim's C copy is checked against it by a test). This module re-exports it, validates the GUIDs
 * of an address, and creates the directory: one hcs-core creates is 0700; an existing one is used
 * only when this user owns it and nobody else may enter it.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { hvsocketDir, hvsocketPathIn } from '@uvmkit/hcs-schema';
import { HcsError, HRESULT } from '../errors.js';
import type { HvSocketAddress } from './address.js';
import { normalizeGuid } from './guid.js';

export {
  HCSD_SOCKET_ENV,
  HVSOCK_DIR_ENV,
  hcsdSocketPath,
  hvsocketDir,
  runtimeDir,
} from '@uvmkit/hcs-schema';

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/** The Unix socket path of an emulated HvSocket address (the directory is not created). */
export function hvsocketPath(address: HvSocketAddress, dir: string = hvsocketDir()): string {
  const vmId = normalizeGuid(address.vmId, 'vmId', 'hvsocketPath');
  const serviceId = normalizeGuid(address.serviceId, 'serviceId', 'hvsocketPath');
  return hvsocketPathIn(vmId, serviceId, dir);
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
