/**
 * @packageDocumentation
 * `@uvmkit/guestmanager` — what needs the guest's own context: the GCS bridge to the agent inside
 * a utility VM (over HvSocket, `@uvmkit/hcs-core/hvsocket`) and every guest request of the
 * bridge protocol (mount a hot-added SCSI disk, map a Plan 9 share, mount VPMem layers, add NICs,
 * combine layers, security policy, block CIMs, …) for LCOW and WCOW guests.
 *
 * Use: `const guest = guestOf(vm)`; `await guest.prepareConnection()` BEFORE the VM starts;
 * start it; `await guest.createConnection()`; then e.g. after the host's `addSCSIDisk`,
 * `await guest.addMappedVirtualDisk({ MountPath, Controller, Lun })`. Without a connection every
 * request rejects with `GuestConnectionUnavailable`; a guest failure rejects with an `HcsError`
 * named after the guest's HRESULT (e.g. `ERROR_NOT_FOUND`).
 *
 * Owns: the bridge (framing, IDs, out-of-order matching, the 64 KiB inbound limit, AnyInString,
 * negotiation v4, notifications, disconnect rules), the connection lifecycle, request documents
 * and their argument validation.
 *
 * Does not own: the host side of devices (`@uvmkit/scsi`, `@uvmkit/vpmem`, `@uvmkit/plan9`, … —
 * the host add comes BEFORE the guest add and the host remove AFTER the guest remove), the VM's
 * lifecycle (`@uvmkit/lifetime`), sockets (`@uvmkit/hcs-core/hvsocket`).
 *
 * Processes and containers: `guest.execIntoUVM(params)` → {@link GuestProcess} (pid, stdio
 * streams, wait, signal, resize, close); `guest.createContainer(id, ociSpec)` /
 * `guest.openContainer(id)` → {@link GuestContainer} (start, exec, wait, shutdown, kill,
 * properties, close). `guest.prepareBootListeners()` serves the LCOW entropy and log ports.
 */
export {
  BootListeners,
  type BootListenersOptions,
  DEFAULT_ENTROPY_BYTES,
  ENTROPY_PORT,
  forwardLogLine,
  LOG_PORT,
} from './boot.js';
export {
  ABANDONED_ID_CAP,
  Bridge,
  type BridgeEvents,
  type BridgeOptions,
  type ContainerNotification,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_MAX_SEND_QUEUE_BYTES,
  type ResponseBase,
  type RpcOptions,
} from './bridge/bridge.js';
export {
  encodeFrame,
  type Frame,
  FrameDecoder,
  HEADER_SIZE,
  MAX_INBOUND_FRAME,
  MAX_SKIPPED_FRAME,
  type OversizedFrameFilter,
} from './bridge/frame.js';
export {
  anyInString,
  CONTAINER_NOTIFICATION,
  fromAnyInString,
  MessageKind,
  NULL_CONTAINER_ID,
  PROTOCOL_VERSION,
  procName,
  RpcProc,
  requestType,
  responseType,
  ZERO_GUID,
} from './bridge/protocol.js';
export {
  type GcsCapabilitiesDocument,
  type GuestCapabilities,
  parseNegotiateResponse,
} from './capabilities.js';
export {
  type ContainerExit,
  type CreateContainerOptions,
  createContainer,
  DEFAULT_GRACEFUL_SHUTDOWN_MS,
  GuestContainer,
  type OciSpec,
  openContainer,
  type ShutdownOptions,
  type StartContainerOptions,
} from './container.js';
export {
  BridgeClosedError,
  type BridgeCloseReason,
  BridgeProtocolError,
  ConnectionLostError,
  GuestCode,
  GuestConnectionUnavailable,
  type GuestErrorRecord,
  type GuestRpcError,
  ProtocolViolation,
  ResponseTooLargeError,
  SendQueueFullError,
  StdioLostError,
} from './errors.js';
export {
  type CreateConnectionOptions,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  FIRST_STDIO_PORT,
  Guest,
  type GuestEvents,
  type GuestModificationRequest,
  type GuestOptions,
  guestOf,
  type SystemTime,
  type TimeZoneInformation,
  UTC_TIME_ZONE,
} from './guest.js';
export { LogLineSplitter, MAX_LOG_LINE, parseLogLine } from './log-lines.js';
export { type GuestRequestMethods, guestRequestMethods } from './methods.js';
export {
  execIntoUVM,
  GuestProcess,
  type OciProcess,
  type ProcessParameters,
  type SignalName,
  Signals,
} from './process.js';
export { addBlockCIMs, type BlockCimMounts, removeBlockCIMs } from './requests/block-cims.js';
export { type ContainerConstraints, updateContainerConstraints } from './requests/container.js';
export { deleteContainerState, dumpStacks } from './requests/diagnostics.js';
export { type HvSocketAddressSettings, updateHvSocketAddress } from './requests/hvsocket.js';
export {
  addCombinedLayers,
  addCombinedLayersCwcow,
  addCombinedLayersWcow,
  type LcowCombinedLayers,
  removeCombinedLayers,
  removeCombinedLayersCwcow,
  removeCombinedLayersWcow,
  type WcowCombinedLayers,
} from './requests/layers.js';
export { updateCgroupMemoryLimits } from './requests/memory.js';
export {
  addNetworkInterface,
  addNetworkInterfaceWcow,
  addNetworkNamespace,
  type LcowNetworkAdapter,
  preAddNetworkInterfaceWcow,
  removeNetworkInterface,
  removeNetworkInterfaceWcow,
  removeNetworkNamespace,
  type WcowNetworkModifyRequest,
} from './requests/network.js';
export {
  addMappedDirectory,
  addMappedDirectoryWcow,
  type LcowMappedDirectory,
  PLAN9_PORT,
  removeMappedDirectory,
  removeMappedDirectoryWcow,
  type WcowMappedDirectory,
} from './requests/plan9.js';
export {
  addMappedVirtualDisk,
  addMappedVirtualDiskForContainerScratch,
  addMappedVirtualDiskWcow,
  type LcowMappedVirtualDisk,
  removeMappedVirtualDisk,
  removeMappedVirtualDiskWcow,
  removeSCSIDevice,
  type ScsiDevice,
  type WcowMappedVirtualDisk,
} from './requests/scsi.js';
export {
  addSecurityPolicy,
  type ConfidentialOptions,
  injectPolicyFragment,
  type SecurityPolicyFragment,
} from './requests/security-policy.js';
export { ResourceType } from './requests/send.js';
export { addVPCIDevice, type LcowMappedVPCIDevice } from './requests/vpci.js';
export { addVPMemDevice, type LcowMappedVPMemDevice, removeVPMemDevice } from './requests/vpmem.js';
export { STDIO_ACCEPT_TIMEOUT_MS } from './stdio.js';
