/**
 * Property queries (§7): the query documents a client sends (strict) and the documents HCS
 * returns (open: unknown keys tolerated, known keys type-checked).
 */
import { type Static, Type } from '@sinclair/typebox';
import { Guid, Int32, literals, open, strict, UInt8, UInt32, UInt64 } from './common.js';
import { NotificationType, ResultError } from './result.js';
import { Version } from './virtual-machine.js';

export const PropertyType = literals(
  'Memory',
  'Statistics',
  'ProcessList',
  'TerminateOnLastHandleClosed',
  'SharedMemoryRegion',
  'GuestConnection',
  'GuestMemory',
  'ContainerCredentialGuard',
  'ICHeartbeatStatus',
  'ProcessorTopology',
  'CpuGroup',
  'SystemGUID',
);
export type PropertyType = Static<typeof PropertyType>;

/** Query of HcsGetComputeSystemProperties. `Queries` (2.5) maps a name to its query (or null). */
export const PropertyQuery = strict(
  {
    PropertyTypes: Type.Optional(Type.Array(PropertyType)),
    Queries: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  'PropertyQuery',
);
export type PropertyQuery = Static<typeof PropertyQuery>;

export const SystemType = literals('Container', 'VirtualMachine');
export type SystemType = Static<typeof SystemType>;

/** Query of HcsEnumerateComputeSystems. */
export const SystemQuery = strict(
  {
    Ids: Type.Optional(Type.Array(Type.String())),
    Names: Type.Optional(Type.Array(Type.String())),
    Types: Type.Optional(Type.Array(SystemType)),
    Owners: Type.Optional(Type.Array(Type.String())),
  },
  'SystemQuery',
);
export type SystemQuery = Static<typeof SystemQuery>;

/** Compute-system state (§5). */
export const State = literals('Created', 'Running', 'Paused', 'Stopped', 'SavedAsTemplate', 'Unknown');
export type State = Static<typeof State>;

export const RuntimeOsType = literals('Unknown', 'Windows', 'Linux');
export type RuntimeOsType = Static<typeof RuntimeOsType>;

export const VmMemory = open(
  {
    AvailableMemory: Type.Optional(Int32),
    AvailableMemoryBuffer: Type.Optional(Int32),
    ReservedMemory: Type.Optional(UInt64),
    AssignedMemory: Type.Optional(UInt64),
    SlpActive: Type.Optional(Type.Boolean()),
    BalancingEnabled: Type.Optional(Type.Boolean()),
    DmOperationInProgress: Type.Optional(Type.Boolean()),
  },
  'VmMemory',
);
export type VmMemory = Static<typeof VmMemory>;

export const VirtualNodeInfo = open(
  {
    VirtualNodeIndex: Type.Optional(UInt8),
    PhysicalNodeNumber: Type.Optional(UInt8),
    VirtualProcessorCount: Type.Optional(UInt32),
    MemoryUsageInPages: Type.Optional(UInt64),
  },
  'VirtualNodeInfo',
);
export type VirtualNodeInfo = Static<typeof VirtualNodeInfo>;

/** `Properties.Memory` (not to be confused with `Statistics.Memory`). */
export const MemoryInformationForVm = open(
  {
    VirtualNodeCount: Type.Optional(UInt8),
    VirtualMachineMemory: Type.Optional(VmMemory),
    VirtualNodes: Type.Optional(Type.Array(VirtualNodeInfo)),
  },
  'MemoryInformationForVm',
);
export type MemoryInformationForVm = Static<typeof MemoryInformationForVm>;

export const ProcessorStats = open(
  {
    TotalRuntime100ns: Type.Optional(UInt64),
    RuntimeUser100ns: Type.Optional(UInt64),
    RuntimeKernel100ns: Type.Optional(UInt64),
  },
  'ProcessorStats',
);
export type ProcessorStats = Static<typeof ProcessorStats>;

export const MemoryStats = open(
  {
    MemoryUsageCommitBytes: Type.Optional(UInt64),
    MemoryUsageCommitPeakBytes: Type.Optional(UInt64),
    MemoryUsagePrivateWorkingSetBytes: Type.Optional(UInt64),
  },
  'MemoryStats',
);
export type MemoryStats = Static<typeof MemoryStats>;

export const StorageStats = open(
  {
    ReadCountNormalized: Type.Optional(UInt64),
    ReadSizeBytes: Type.Optional(UInt64),
    WriteCountNormalized: Type.Optional(UInt64),
    WriteSizeBytes: Type.Optional(UInt64),
  },
  'StorageStats',
);
export type StorageStats = Static<typeof StorageStats>;

export const Statistics = open(
  {
    Timestamp: Type.Optional(Type.String()),
    /** RFC3339 */
    ContainerStartTime: Type.Optional(Type.String()),
    Uptime100ns: Type.Optional(UInt64),
    Processor: Type.Optional(ProcessorStats),
    Memory: Type.Optional(MemoryStats),
    Storage: Type.Optional(StorageStats),
  },
  'Statistics',
);
export type Statistics = Static<typeof Statistics>;

export const ProcessDetails = open(
  {
    ProcessId: Type.Optional(UInt32),
    ImageName: Type.Optional(Type.String()),
    CreateTimestamp: Type.Optional(Type.String()),
    UserTime100ns: Type.Optional(UInt64),
    KernelTime100ns: Type.Optional(UInt64),
    MemoryCommitBytes: Type.Optional(UInt64),
    MemoryWorkingSetPrivateBytes: Type.Optional(UInt64),
    MemoryWorkingSetSharedBytes: Type.Optional(UInt64),
  },
  'ProcessDetails',
);
export type ProcessDetails = Static<typeof ProcessDetails>;

export const GuestConnectionInfo = open(
  {
    SupportedSchemaVersions: Type.Optional(Type.Array(Version)),
    ProtocolVersion: Type.Optional(UInt32),
    GuestDefinedCapabilities: Type.Optional(Type.Unknown()),
  },
  'GuestConnectionInfo',
);
export type GuestConnectionInfo = Static<typeof GuestConnectionInfo>;

export const SharedMemoryRegionInfo = open(
  {
    SectionName: Type.Optional(Type.String()),
    GuestPhysicalAddress: Type.Optional(UInt64),
  },
  'SharedMemoryRegionInfo',
);
export type SharedMemoryRegionInfo = Static<typeof SharedMemoryRegionInfo>;

export const PropertyResponse = open(
  { Response: Type.Optional(Type.Unknown()), Error: Type.Optional(ResultError) },
  'PropertyResponse',
);
export type PropertyResponse = Static<typeof PropertyResponse>;

/** Result of HcsGetComputeSystemProperties (Id and SystemType always present) and of Enumerate (array). */
export const Properties = open(
  {
    Id: Type.String(),
    SystemType: SystemType,
    RuntimeOsType: Type.Optional(RuntimeOsType),
    Name: Type.Optional(Type.String()),
    Owner: Type.Optional(Type.String()),
    RuntimeId: Type.Optional(Guid),
    SystemGUID: Type.Optional(Guid),
    RuntimeTemplateId: Type.Optional(Type.String()),
    State: Type.Optional(State),
    Stopped: Type.Optional(Type.Boolean()),
    ExitType: Type.Optional(NotificationType),
    Memory: Type.Optional(MemoryInformationForVm),
    Statistics: Type.Optional(Statistics),
    ProcessList: Type.Optional(Type.Array(ProcessDetails)),
    TerminateOnLastHandleClosed: Type.Optional(Type.Boolean()),
    HostingSystemId: Type.Optional(Type.String()),
    SharedMemoryRegionInfo: Type.Optional(Type.Array(SharedMemoryRegionInfo)),
    GuestConnectionInfo: Type.Optional(GuestConnectionInfo),
    PropertyResponses: Type.Optional(Type.Record(Type.String(), PropertyResponse)),
    LCOWMetrics: Type.Optional(Type.Unknown()),
  },
  'Properties',
);
export type Properties = Static<typeof Properties>;

/** Service `Basic` property: `{SupportedSchemaVersions}` (A.X means A.0..A.X). */
export const BasicInformation = open(
  { SupportedSchemaVersions: Type.Optional(Type.Array(Version)) },
  'BasicInformation',
);
export type BasicInformation = Static<typeof BasicInformation>;

/** Result of HcsGetServiceProperties: one raw JSON value per requested property type. */
export const ServiceProperties = open(
  {
    Properties: Type.Optional(Type.Array(Type.Unknown())),
    PropertyResponses: Type.Optional(Type.Record(Type.String(), PropertyResponse)),
  },
  'ServiceProperties',
);
export type ServiceProperties = Static<typeof ServiceProperties>;

/** Query of HcsGetServiceProperties. */
export const ServicePropertyQuery = strict(
  {
    PropertyTypes: Type.Optional(
      Type.Array(
        literals('Basic', 'CpuGroup', 'ProcessorTopology', 'ContainerCredentialGuard', 'QoSCapabilities'),
      ),
    ),
    PropertyQueries: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  'ServicePropertyQuery',
);
export type ServicePropertyQuery = Static<typeof ServicePropertyQuery>;
