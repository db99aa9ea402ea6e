/**
 * @packageDocumentation
 * `@uvmkit/hcs-schema` — the HCS schema 2.x documents a utility VM needs, as TypeBox schemas
 * with same-named static types (JSON keys exactly as HCS spells them), their validators, and
 * the VirtualMachine resource-path builders/parser of HcsModifyComputeSystem.
 *
 * Owns: document types and schemas, `check`/`assertValid` (compiled, cached, dotted issue
 * paths), the one-of rule of ComputeSystem (`systemKind`), resource paths and their specs.
 *
 * Also the one home of the cross-package contracts of the guest side: the GCS service ids, boot
 * ports and frame limit (`gcs/constants.ts`), the emulator's runtime-directory and HvSocket path
 * rule (`emulator-paths.ts`), and the GCS guest request documents (`schema/guest/`).
 *
 * Does not own: any I/O, HCS calls, JSON (de)serialisation, defaults or document builders for
 * a UVM (hcs-core and the managers build documents), HRESULT tables, or the GCS bridge itself
 * (framing, RPC: guestmanager; the guest agents: hcs-emulator, linux-guest).
 *
 * Request documents (ComputeSystem and everything under it, Modify settings, queries, options)
 * reject unknown keys; documents HCS returns (Properties, ResultError, exit/crash/process
 * status) tolerate unknown keys. GUIDs are bare `8-4-4-4-12` hex, any case.
 */

// The cross-package contracts (GCS constants, emulator paths, guest request schemas): contracts.ts.
export * from './contracts.js';
export {
  describeValue,
  InvalidArgumentError,
  SchemaValidationError,
  type ValidationIssue,
} from './errors.js';
export { GUID_PATTERN, isGuid, NULL_GUID, ScsiControllerGuids, scsiControllerIndex } from './guid.js';
export {
  checkModifySettingRequest,
  type ModifyRequestBody,
  type ModifySettingRequestCheck,
  modifySettingRequest,
  REQUEST_RESOURCE,
  type ResourceRequestType,
  type ResourceSettings,
  type TypedModifySettingRequest,
} from './modify.js';
export {
  checkShareName,
  comPortPath,
  cpuFrequencyPowerCapPath,
  cpuGroupPath,
  flexibleIovPath,
  gpuPath,
  hvSocketServicePath,
  idledProcessorsPath,
  isResourcePathDescriptor,
  LicensingSettings,
  licensingPath,
  mappedPipePath,
  memorySizePath,
  type NoParams,
  networkAdapterPath,
  parseResourcePath,
  plan9SharesPath,
  processorLimitsPath,
  type ResourceKind,
  type ResourceKindMap,
  type ResourcePathDescriptor,
  type ResourcePathMatch,
  type ResourcePathSpec,
  resourcePathSpecs,
  scsiAttachmentPath,
  scsiAttachmentPathByKey,
  sharedMemoryRegionsPath,
  virtualPciPath,
  vpmemDevicePath,
  vpmemMappingPath,
  vsmbSharesPath,
} from './paths.js';
export { ComputeSystem, type SystemKind, systemKind } from './schema/compute-system.js';
export {
  Attachment,
  AttachmentType,
  CachingMode,
  ComPort,
  Devices,
  EnhancedModeVideo,
  FlexibleIoDevice,
  GuestCrashReporting,
  HvSocket,
  HvSocketServiceConfig,
  HvSocketSystemConfig,
  InterruptModeration,
  IovSettings,
  MAC_PATTERN,
  NetworkAdapter,
  Plan9,
  Plan9Share,
  Plan9ShareFlags,
  RdpConnectionOptions,
  Scsi,
  SharedMemoryConfiguration,
  SharedMemoryRegion,
  VideoMonitor,
  VirtioSerial,
  VirtualPciDevice,
  VirtualPciFunction,
  VirtualPMemController,
  VirtualPMemDevice,
  VirtualPMemImageFormat,
  VirtualPMemMapping,
  VirtualSmb,
  VirtualSmbShare,
  VirtualSmbShareOptions,
} from './schema/devices.js';
export { ModifySettingRequest, type RequestType, RequestTypeSchema } from './schema/modify.js';
export {
  CrashOptions,
  PauseOptions,
  PauseReason,
  SaveOptions,
  SaveType,
  ShutdownMechanism,
  ShutdownOptions,
  ShutdownType,
  StartOptions,
  SuspensionLevel,
} from './schema/options.js';
export {
  BasicInformation,
  GuestConnectionInfo,
  MemoryInformationForVm,
  MemoryStats,
  ProcessDetails,
  ProcessorStats,
  Properties,
  PropertyQuery,
  PropertyResponse,
  PropertyType,
  RuntimeOsType,
  ServiceProperties,
  ServicePropertyQuery,
  SharedMemoryRegionInfo,
  State,
  Statistics,
  StorageStats,
  SystemQuery,
  SystemType,
  VirtualNodeInfo,
  VmMemory,
} from './schema/properties.js';
export {
  AttributionRecord,
  CrashReport,
  ErrorEvent,
  EventData,
  EventDataType,
  ExitInitiator,
  NotificationType,
  OperationFailureDetail,
  ProcessStatus,
  ResultError,
  SystemExit,
  SystemExitDetail,
  SystemExitStatus,
  VirtualDeviceFailure,
  VirtualDeviceFailureDetail,
  WorkerExit,
  WorkerExitDetail,
  WorkerExitType,
} from './schema/result.js';
export {
  CpuFrequencyPowerCap,
  CpuGroup,
  GpuAssignmentMode,
  GpuConfiguration,
  IdleProcessorsRequest,
  MemoryBacking,
  MemorySizeInMB,
  ProcessorLimits,
  Topology,
  VirtualMachineMemory,
  VirtualMachineProcessor,
} from './schema/topology.js';
export {
  Chipset,
  GuestConnection,
  GuestState,
  LinuxKernelDirect,
  RestoreState,
  SecuritySettings,
  StorageQoS,
  Uefi,
  UefiBootDevice,
  UefiBootEntry,
  Version,
  VirtualMachine,
} from './schema/virtual-machine.js';
export { assertValid, check, pointerToDotted, prefixIssues } from './validate.js';
