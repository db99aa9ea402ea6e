/**
 * hcsd's TCP endpoint (`tcp:127.0.0.1:PORT`, loopback only) and its access check. A Unix socket
 * is guarded by its file mode; TCP has no peer credentials, so hcsd writes a random secret to a
 * file only its user can read (mode 0600 in a 0700 runtime directory) and a TCP client must
 * present it as the 4th Hello argument before anything else (PROTOCOL.md § Transport). Windows
 * processes under Wine, which have no AF_UNIX, reach hcsd this way.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { ensurePrivateDir, runtimeDir } from '../runtime-dir.js';

/** `HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)`: a TCP client without the right secret. */
export const E_ACCESSDENIED = 0x80070005;

export const TCP_PREFIX = 'tcp:';
/** The one host hcsd listens on and the shim dials. */
export const LOOPBACK = '127.0.0.1';

/** A parsed `tcp:127.0.0.1:PORT` (port 0 = any free port, for `--listen`). */
export interface TcpEndpoint {
  readonly host: typeof LOOPBACK;
  readonly port: number;
}

/** Error with a stable code: a malformed or non-loopback TCP endpoint. */
export class TcpEndpointError extends Error {
  readonly code = 'HcsdTcpEndpoint' as const;
  constructor(message: string) {
    super(message);
    this.name = 'TcpEndpointError';
  }
}

export function isTcpEndpoint(endpoint: string): boolean {
  return endpoint.startsWith(TCP_PREFIX);
}

/** Parse `tcp:127.0.0.1:PORT`; any other host is refused (hcsd is never reachable off the machine). */
export function parseTcpEndpoint(endpoint: string, options: { allowPortZero?: boolean } = {}): TcpEndpoint {
  const m = /^tcp:([^:]*):(\d{1,5})$/.exec(endpoint);
  if (m === null)
    throw new TcpEndpointError(`${JSON.stringify(endpoint)} is not of the form tcp:127.0.0.1:PORT`);
  const [, host, portText] = m as unknown as [string, string, string];
  if (host !== LOOPBACK) {
    throw new TcpEndpointError(
      `${JSON.stringify(endpoint)}: hcsd listens on loopback only (tcp:${LOOPBACK}:PORT), not on ${JSON.stringify(host)}`,
    );
  }
  const port = Number(portText);
  if (port > 65535 || (port === 0 && options.allowPortZero !== true) || String(port) !== portText) {
    throw new TcpEndpointError(`${JSON.stringify(endpoint)}: bad port ${portText}`);
  }
  return { host: LOOPBACK, port };
}

export function formatTcpEndpoint(port: number): string {
  return `${TCP_PREFIX}${LOOPBACK}:${port}`;
}

/** Where secret files go: hcsd's private runtime directory (runtime-dir.ts), created when missing. */
export function secretDir(): string {
  const dir = runtimeDir();
  ensurePrivateDir(dir);
  return dir;
}

/** Create a fresh secret in a new file readable by this user only (0600); returns the secret. */
export function writeSecretFile(path: string): string {
  const secret = randomBytes(32).toString('hex');
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  writeFileSync(path, `${secret}\n`, { flag: 'wx', mode: 0o600 });
  return secret;
}

/** The secret in `path` (its first line). */
export function readSecretFile(path: string): string {
  return readFileSync(path, 'utf8').split(/\r?\n/, 1)[0] ?? '';
}

/** Constant-time comparison of a presented secret with the expected one. */
export function secretMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
