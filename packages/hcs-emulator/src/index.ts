/**
 * @packageDocumentation
 * `@uvmkit/hcs-emulator` — an HCS emulator for Linux: `libcomputecore.so` (a C shim exporting the
 * computecore.dll ABI, built into `dist/native/`) and `hcsd`, the emulated Host Compute Service
 * daemon the shim talks to over a Unix socket (PROTOCOL.md).
 *
 * Owns: the hcsd daemon (compute-system state machine, per-VM device table, Modify semantics for
 * every VirtualMachine resource path, property queries, events), `startHcsd()` to run it as a
 * child process, `HcsdControl` (inspection + fault injection for tests), `HcsdClient` (a raw
 * protocol client), `shimLibraryPath()`, and the emulated guest agent (GCS) hcsd runs for a VM
 * with `VirtualMachine.GuestConnection`: it dials the host's HvSocket listener (a Unix socket at
 * `hvsockPath(vmId, serviceId)`) and serves the GCS bridge protocol against a guest-side table.
 *
 * Does not own: HCS bindings (hcs-core), schema types and validators (hcs-schema, used here),
 * anything a Windows user needs at run time, real virtual machines.
 */
export {
  HcsdClient,
  HcsdConnectionError,
  type HcsdEvent,
  type HcsdResponse,
  Method,
  type MethodName,
} from './client.js';
export {
  type ClientInspection,
  type DelaySpec,
  type DeviceTableSnapshot,
  type FaultSpec,
  type GcsRequestName,
  type GuestFaultSpec,
  type GuestFaultsSnapshot,
  type GuestInspection,
  type GuestRequestFilter,
  type GuestRequestLogEntry,
  type GuestTableSnapshot,
  HcsdControl,
  HcsdControlError,
  type PendingInspection,
  type SystemInspection,
} from './control.js';
export type { EngineName } from './hcsd/engine.js';
export {
  GcsRequest,
  GHR,
  LINUX_GCS_SERVICE_ID,
  WINDOWS_GCS_SERVICE_ID,
} from './hcsd/engines/sim/guest/protocol.js';
export { HR } from './hcsd/errors.js';
export { hvsockDir, hvsockPath } from './hcsd/hvsock.js';
export { DEFAULT_LIMITS, LIMITS_ENV, type Limits } from './hcsd/limits.js';
export { EventType, PROTOCOL_VERSION } from './hcsd/methods.js';
export { hcsdCliPath, peercredHelperPath, shimLibraryPath } from './paths.js';
export { defaultSocketPath, PrivateDirError, runtimeDir } from './runtime-dir.js';
export {
  freshSocketPath,
  type HcsdProcess,
  HcsdSpawnError,
  type StartHcsdOptions,
  startHcsd,
} from './start.js';
