/**
 * `@uvmkit/hcs-core/hvsocket` — HvSocket endpoints for talking to a utility VM's guest.
 *
 * Owns: `listen` (a listener that accepts exactly once, tied to the VM's exit and an abort
 * signal, and then closes) and `dial`, both yielding Node duplex streams; the `SOCKADDR_HV`
 * encoder; GUID byte order; the well-known VM ids. Re-exported from their one home,
 * `@uvmkit/hcs-schema`: the GCS service ids (in `HvSocketIds`), the vsock template
 * (`vsockServiceId`), and the emulator mapping of an address to a Unix socket
 * `<dir>/<vmId>-<serviceId>.sock` (`$UVMKIT_HVSOCK_DIR`, else `<runtime dir>/hvsock`, the private
 * per-user runtime directory), which hcs-core checks (GUIDs) and creates (`ensureHvsocketDir`).
 *
 * On Windows the `hyperv` transport uses AF_HYPERV sockets through koffi with one non-blocking
 * poller on the JS thread (no pool thread per connection; see windows.ts — untested on Linux).
 * Elsewhere the `unix` transport talks to hcsd's emulated guest agent.
 *
 * Does not own: what is spoken over the stream (the GCS bridge lives in `@uvmkit/guestmanager`),
 * the VM's HvSocket service table (`@uvmkit/vmsocket`).
 */
export {
  AF_HYPERV,
  decodeSockaddrHv,
  encodeSockaddrHv,
  HV_PROTOCOL_RAW,
  type HvSocketAddress,
  HvSocketIds,
  SOCKADDR_HV_SIZE,
  vsockServiceId,
} from './address.js';
export { guidFromBytes, guidToBytes, isGuid, normalizeGuid } from './guid.js';
export {
  type AcceptOptions,
  type DialOptions,
  defaultTransport,
  dial,
  type ExitSource,
  HvSocketCode,
  type HvSocketListener,
  type HvSocketTransport,
  type ListenOptions,
  listen,
  MAX_SOCKET_PATH_BYTES,
} from './listener.js';
export {
  ensureHvsocketDir,
  HCSD_SOCKET_ENV,
  HVSOCK_DIR_ENV,
  hcsdSocketPath,
  hvsocketDir,
  hvsocketPath,
  runtimeDir,
} from './path.js';
