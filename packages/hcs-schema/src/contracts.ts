/**
 * The cross-package contracts this package is the one home of (issue 13 item 9), re-exported by
 * the root: the GCS constants (`gcs/constants.ts`), the emulator's runtime-directory and HvSocket
 * path rule (`emulator-paths.ts`), and the GCS guest request schemas (`schema/guest/`).
 */
/** TypeBox's `Static` (the type of a schema's documents) and `TSchema`, for typed guest requests. */
export type { Static, TSchema } from '@sinclair/typebox';
export {
  HCSD_SOCKET_ENV,
  HVSOCK_DIR_ENV,
  hcsdSocketPath,
  hvsocketDir,
  hvsocketFileName,
  hvsocketPathIn,
  type PathEnv,
  runtimeDir,
} from './emulator-paths.js';
export {
  ENTROPY_PORT,
  GCS_HEADER_SIZE,
  GCS_MAX_FRAME,
  GcsServiceIds,
  gcsOversizedRequestMessage,
  LINUX_GCS_PORT,
  LOG_PORT,
  vsockServiceIdOf,
} from './gcs/constants.js';
export {
  CreateRequest,
  ExecuteProcessRequest,
  ExecuteProcessSettings,
  GcsRequestBase,
  LinuxContainerConfigDocument,
  ModifySettingsMessage,
  NegotiateProtocolRequest,
  ProcessParametersDocument,
  ResizeConsoleRequest,
  SignalProcessRequest,
  WaitForProcessRequest,
} from './schema/guest/bridge.js';
export {
  decodeGuestRequest,
  type GuestDecodeFailure,
  type GuestDecodeResult,
} from './schema/guest/decode.js';
export {
  BlockCimsSettings,
  CombinedLayersSettings,
  ContainerConstraintsSettings,
  CwcowCombinedLayersSettings,
  GuestModificationRequest,
  GuestModificationRequestWire,
  type GuestRequestType,
  GuestRequestTypeSchema,
  GuestResourceType,
  GuestResourceTypeSchema,
  HvSocketAddressSettings,
  LcowMappedDirectorySettings,
  LcowMappedVirtualDiskSettings,
  LcowNetworkAdapterSettings,
  NetworkNamespaceSettings,
  PodCgroupMemoryLimitSettings,
  ScsiDeviceSettings,
  SecurityPolicyFragmentSettings,
  SecurityPolicySettings,
  VpciDeviceSettings,
  VpmemDeviceSettings,
  WcowMappedDirectorySettings,
  WcowMappedVirtualDiskSettings,
  WcowNetworkModifySettings,
} from './schema/guest/resources.js';
export { GO_TYPE, GO_WHOLE } from './schema/guest/wire.js';
