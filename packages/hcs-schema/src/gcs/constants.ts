/**
 * The published constants of the GCS bridge (gcs-protocol.md §1, §2.4) that the host side
 * (`@uvmkit/guestmanager`, `@uvmkit/hcs-core/hvsocket`) and the guest sides (hcsd's emulated
 * agent, the C agent of `@uvmkit/linux-guest`) must agree on: the HvSocket service ids, the vsock
 * ports of the LCOW boot channels and their service-id template, and the frame limit.
 *
 * This module is their one home. The C agent cannot import it: its copies (`gcs.h`, `dial.c`,
 * `gcsframe.h`) are checked against these values by a test of `@uvmkit/linux-guest`.
 */

/** The vsock port of the Linux GCS bridge (the guest dials it; `GCS_PORT` of the C agent). */
export const LINUX_GCS_PORT = 0x40000000;
/** The vsock port the LCOW init reads entropy from before the GCS starts (hcsshim's LCOW boot). */
export const ENTROPY_PORT = 1;
/** The vsock port the LCOW GCS writes its log stream to. */
export const LOG_PORT = 109;

/** Data2..Data5 of the vsock service-id template `NNNNNNNN-facb-11e6-bd58-64006a7986d3`. */
const VSOCK_TEMPLATE_TAIL = 'facb-11e6-bd58-64006a7986d3';

/**
 * The HvSocket service id of vsock port `port`: the port, 8 lower-case hex digits, in Data1 of
 * `00000000-facb-11e6-bd58-64006a7986d3`. Throws `RangeError` for anything but an integer
 * 0..0xFFFFFFFF (callers with their own error shape check first).
 */
export function vsockServiceIdOf(port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 0xffffffff) {
    throw new RangeError(`port must be an integer 0..0xFFFFFFFF, got ${String(port)}`);
  }
  return `${port.toString(16).padStart(8, '0')}-${VSOCK_TEMPLATE_TAIL}`;
}

/**
 * The well-known HvSocket service ids of the GCS (lower case). `LinuxGcs` is
 * `vsockServiceIdOf(LINUX_GCS_PORT)`.
 */
export const GcsServiceIds = {
  /** Linux GCS bridge service (vsock port 0x40000000). */
  LinuxGcs: '40000000-facb-11e6-bd58-64006a7986d3',
  /** Windows GCS bridge service. */
  WindowsGcs: 'acef5661-84a1-4e44-856b-6245e69f4620',
  /** Confidential WCOW sidecar GCS service. */
  WindowsSidecarGcs: 'ae8da506-a019-4553-a52b-902bc0fa0411',
  /** ParentAddress of the WCOW HvSocket address update. */
  WindowsGcsHvHost: '894cc2d6-9d79-424f-93fe-42969ae6d8d1',
  /** WCOW log-forward service. */
  WindowsLogging: '172dad59-976d-45f2-8b6c-6d1b13f2ac4d',
} as const;

/** Bytes of a bridge frame header: `{u32 Type, u32 Size (header included), u64 ID}`, little-endian. */
export const GCS_HEADER_SIZE = 16;

/**
 * The largest bridge frame, header included: 64 KiB (0x10000). It is the Go host's receive
 * limit (hcsshim `MaxMsgSize`, gcs-protocol.md §2.4), so every guest keeps its replies within it
 * and guestmanager applies it to what it receives by default. The real Linux GCS accepts any
 * size from the host; uvmkit's agents (hcsd's emulated agent, the C agent) apply this limit to
 * requests too and answer a larger request `E_INVALIDARG` ({@link gcsOversizedRequestMessage})
 * without reading it, staying in sync.
 */
export const GCS_MAX_FRAME = 0x10000;

/** The `ErrorMessage` both uvmkit agents answer for a request frame of `size` bytes over {@link GCS_MAX_FRAME}. */
export function gcsOversizedRequestMessage(size: number): string {
  return `request of ${size} bytes exceeds the agent's ${GCS_MAX_FRAME}-byte frame limit`;
}
