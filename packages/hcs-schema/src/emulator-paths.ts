/**
 * Where the Linux emulator's endpoints live — the one home of a rule that hcs-core (the host's
 * `unix` HvSocket transport and its service hint), hcsd (its listen socket, the emulated guest
 * agent, the qemu engine's relay) and the shim must all apply alike:
 *
 * - the **runtime directory**, private and per user: `$XDG_RUNTIME_DIR/uvmkit` when set, else
 *   `/run/uvmkit` for root, else `<tmpdir>/uvmkit-<uid>`;
 * - **hcsd's socket**: `$UVMKIT_HCSD_SOCKET`, else `<runtime dir>/hcsd.sock`;
 * - the **HvSocket directory**: `$UVMKIT_HVSOCK_DIR`, else `<runtime dir>/hvsock`;
 * - an **HvSocket address** (VM id, service id) → the Unix stream socket
 *   `<dir>/<vmId>-<serviceId>.sock`, both GUIDs lower case.
 *
 * Pure path arithmetic: nothing is created or checked here (hcs-core and hcsd create and check
 * the directories). The shim's C copy of the hcsd socket default (`platform_posix.c`) is checked
 * against {@link hcsdSocketPath} by a test of `@uvmkit/hcs-emulator`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The env var naming the emulator's HvSocket directory. */
export const HVSOCK_DIR_ENV = 'UVMKIT_HVSOCK_DIR';
/** The env var naming hcsd's socket. */
export const HCSD_SOCKET_ENV = 'UVMKIT_HCSD_SOCKET';

/** An environment to read the variables from (`process.env` by default). */
export type PathEnv = Readonly<Record<string, string | undefined>>;

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

function set(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}

/** The private per-user runtime directory of the emulator (not created). */
export function runtimeDir(env: PathEnv = process.env, user: number = currentUid()): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (set(xdg)) return join(xdg, 'uvmkit');
  if (user === 0) return '/run/uvmkit';
  return join(tmpdir(), `uvmkit-${user}`);
}

/** Where hcsd listens and the shim dials, and whether `$UVMKIT_HCSD_SOCKET` named it. */
export function hcsdSocketPath(env: PathEnv = process.env): { path: string; fromEnv: boolean } {
  const s = env[HCSD_SOCKET_ENV];
  if (set(s)) return { path: s, fromEnv: true };
  return { path: join(runtimeDir(env), 'hcsd.sock'), fromEnv: false };
}

/** The directory of emulated HvSocket endpoints (not created). */
export function hvsocketDir(env: PathEnv = process.env): string {
  const dir = env[HVSOCK_DIR_ENV];
  return set(dir) ? dir : join(runtimeDir(env), 'hvsock');
}

/** The file name of an emulated HvSocket endpoint: `<vmId>-<serviceId>.sock`, lower case (78 bytes for GUIDs). */
export function hvsocketFileName(vmId: string, serviceId: string): string {
  return `${vmId.toLowerCase()}-${serviceId.toLowerCase()}.sock`;
}

/**
 * The Unix socket path of the emulated HvSocket address (`vmId`, `serviceId`) in `dir`
 * (default {@link hvsocketDir}). The ids are not validated here: callers that take them from
 * users check them first.
 */
export function hvsocketPathIn(vmId: string, serviceId: string, dir: string = hvsocketDir()): string {
  return join(dir, hvsocketFileName(vmId, serviceId));
}
