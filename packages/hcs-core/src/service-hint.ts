/**
 * What to add to an error when the emulated compute service cannot be reached: the socket the
 * shim tried and the variable that names it (`HCS_E_SERVICE_NOT_AVAILABLE`), or why the default
 * directory was not trusted (`HCS_E_ACCESS_DENIED`). Nothing on Windows (the real HCS). The path
 * is the one the loaded shim reports (its `UvmkitShimSocketPath` export: the endpoint it last
 * tried), else the one it would derive (`hcsdSocketPath()`, the same rule).
 */
import { hcsdSocketPath, runtimeDir } from './hvsocket/path.js';

const SERVICE_NOT_AVAILABLE = 0x80370114;
const ACCESS_DENIED = 0x8037011b;
const CONNECTION_TIMEOUT = 0x80370109;

let shimSocketPath: (() => string) | undefined;

/**
 * @internal Set by the library loader when the emulator's shim is loaded: the endpoint the shim
 * last tried (else would try now).
 */
export function setShimSocketPath(fn: (() => string) | undefined): void {
  shimSocketPath = fn;
}

/** `''`, or ` (…)` naming the hcsd socket and `$UVMKIT_HCSD_SOCKET`. */
export function serviceHint(hresult: number): string {
  if (process.platform === 'win32') return '';
  const hr = ((hresult >>> 0) & ~0x40000000) >>> 0;
  if (hr !== SERVICE_NOT_AVAILABLE && hr !== ACCESS_DENIED && hr !== CONNECTION_TIMEOUT) return '';
  const derived = hcsdSocketPath();
  const fromEnv = derived.fromEnv;
  const path = shimSocketPath?.() || derived.path;
  const named = fromEnv
    ? 'named by $UVMKIT_HCSD_SOCKET'
    : 'the default; set $UVMKIT_HCSD_SOCKET to use another';
  if (hr === SERVICE_NOT_AVAILABLE) return ` (no hcsd listens on ${path}, ${named})`;
  if (hr === CONNECTION_TIMEOUT) return ` (hcsd at ${path} did not answer in time, ${named})`;
  return fromEnv
    ? ` (hcsd at ${path} refused this client, or the socket is not served by this user or root)`
    : ` (the runtime directory ${runtimeDir()} must be this user's with mode 0700, and hcsd must run as this user or root; or set $UVMKIT_HCSD_SOCKET)`;
}
