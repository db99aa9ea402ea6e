/**
 * The private per-user runtime directory of hcsd and its clients, and the default paths in it
 * (README § Paths). The rule has one home, `@uvmkit/hcs-schema`'s emulator-paths.ts, which
 * hcs-core uses too; the shim keeps a C copy (native/platform_posix.c), checked against it by
 * test/shim-paths.test.ts. This module adds the directory checks (I/O).
 *
 * - `$XDG_RUNTIME_DIR/uvmkit` when `XDG_RUNTIME_DIR` is set (a per-user tmpfs, 0700);
 * - else `/run/uvmkit` for root;
 * - else `<tmpdir>/uvmkit-<uid>` (a fallback in a shared directory: the ownership check below is
 *   what makes it safe).
 *
 * Default daemon socket: `<dir>/hcsd.sock`; control socket `<dir>/hcsd.control.sock`; HvSocket
 * endpoints: `<dir>/hvsock/`. A directory is created with mode 0700; an existing one is used only
 * when it is a real directory (not a symlink) owned by the current user with no group or other
 * access (`PrivateDirError` otherwise).
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { HCSD_SOCKET_ENV, hcsdSocketPath } from '@uvmkit/hcs-schema';

export { HVSOCK_DIR_ENV, runtimeDir } from '@uvmkit/hcs-schema';

/** The env var naming the daemon socket (`HCSD_SOCKET_ENV` of `@uvmkit/hcs-schema`). */
export const SOCKET_ENV = HCSD_SOCKET_ENV;

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/** `$UVMKIT_HCSD_SOCKET`, else `<runtimeDir>/hcsd.sock`. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return hcsdSocketPath(env).path;
}

/** A directory that must not be used: someone else owns it, or others may enter it. */
export class PrivateDirError extends Error {
  readonly code = 'HcsdRuntimeDir' as const;
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'PrivateDirError';
    this.path = path;
  }
}

/**
 * Create `dir` (0700, parents too) or check the existing one: a directory, not a symlink, owned by
 * this user, mode without group/other bits. Throws `PrivateDirError` naming what is wrong.
 */
export function ensurePrivateDir(dir: string, user: number = uid()): void {
  try {
    mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  checkPrivateDir(dir, user);
}

/** Throws `PrivateDirError` unless `dir` is private to `user` (see `ensurePrivateDir`). */
export function checkPrivateDir(dir: string, user: number = uid()): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) throw new PrivateDirError(dir, `${dir} is a symbolic link; refusing to use it`);
  if (!st.isDirectory()) throw new PrivateDirError(dir, `${dir} is not a directory; refusing to use it`);
  if (st.uid !== user)
    throw new PrivateDirError(
      dir,
      `${dir} is owned by uid ${st.uid}, not by this user (uid ${user}); refusing to use it (someone may have created it to intercept hcsd's clients)`,
    );
  if ((st.mode & 0o077) !== 0)
    throw new PrivateDirError(
      dir,
      `${dir} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it must have no group or other access (chmod 0700 it)`,
    );
}
