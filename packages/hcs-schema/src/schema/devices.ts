/** `VirtualMachine.Devices` and every device document, also used as Modify settings (§6a). */
import { type Static, Type } from '@sinclair/typebox';
import {
  EmptyObject,
  Guid,
  KeyPatterns,
  literals,
  mapOf,
  NonEmptyString,
  strict,
  UInt8,
  UInt16,
  UInt32,
  UInt64,
} from './common.js';

export const AttachmentType = literals('VirtualDisk', 'Iso', 'PassThru', 'ExtensibleVirtualDisk');
export type AttachmentType = Static<typeof AttachmentType>;
export const CachingMode = literals('Uncached', 'Cached', 'ReadOnlyCached');
export type CachingMode = Static<typeof CachingMode>;

/** A SCSI attachment (one LUN). */
export const Attachment = strict(
  {
    Type: AttachmentType,
    Path: NonEmptyString,
    CachingMode: Type.Optional(CachingMode),
    ReadOnly: Type.Optional(Type.Boolean()),
    SupportCompressedVolumes: Type.Optional(Type.Boolean()),
    AlwaysAllowSparseFiles: Type.Optional(Type.Boolean()),
    ExtensibleVirtualDiskType: Type.Optional(Type.String()),
    IgnoreFlushes: Type.Optional(Type.Boolean()),
    NoWriteHardening: Type.Optional(Type.Boolean()),
    DisableExpansionOptimization: Type.Optional(Type.Boolean()),
    IgnoreRelativeLocator: Type.Optional(Type.Boolean()),
    CaptureIoAttributionContext: Type.Optional(Type.Boolean()),
    SupportEncryptedFiles: Type.Optional(Type.Boolean()),
  },
  'Attachment',
);
export type Attachment = Static<typeof Attachment>;

/** A SCSI controller; `Attachments` is keyed by LUN "0".."63". */
export const Scsi = strict(
  {
    Attachments: Type.Optional(mapOf(KeyPatterns.lun, Attachment)),
    DisableInterruptBatching: Type.Optional(Type.Boolean()),
  },
  'Scsi',
);
export type Scsi = Static<typeof Scsi>;

export const InterruptModeration = literals('Default', 'Adaptive', 'Off', 'Low', 'Medium', 'High');
export type InterruptModeration = Static<typeof InterruptModeration>;

export const IovSettings = strict(
  {
    OffloadWeight: Type.Optional(UInt32),
    QueuePairsRequested: Type.Optional(UInt32),
    InterruptModeration: Type.Optional(InterruptModeration),
  },
  'IovSettings',
);
export type IovSettings = Static<typeof IovSettings>;

/** MAC address, `00-15-5D-12-34-56` (hcsshim's spelling) or with colons. */
export const MAC_PATTERN = '^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}$';

export const NetworkAdapter = strict(
  {
    EndpointId: Guid,
    MacAddress: Type.Optional(Type.String({ pattern: MAC_PATTERN })),
    IovSettings: Type.Optional(IovSettings),
    InstanceId: Type.Optional(Guid),
    DisableInterruptBatching: Type.Optional(Type.Boolean()),
    ConnectionState: Type.Optional(literals('Default', 'Disabled', 'Enabled')),
  },
  'NetworkAdapter',
);
export type NetworkAdapter = Static<typeof NetworkAdapter>;

export const VirtualPMemImageFormat = literals('Vhdx', 'Vhd1');
export type VirtualPMemImageFormat = Static<typeof VirtualPMemImageFormat>;

export const VirtualPMemMapping = strict(
  {
    HostPath: NonEmptyString,
    ImageFormat: Type.Optional(VirtualPMemImageFormat),
  },
  'VirtualPMemMapping',
);
export type VirtualPMemMapping = Static<typeof VirtualPMemMapping>;

export const VirtualPMemDevice = strict(
  {
    HostPath: NonEmptyString,
    ReadOnly: Type.Optional(Type.Boolean()),
    ImageFormat: Type.Optional(VirtualPMemImageFormat),
    SizeBytes: Type.Optional(UInt64),
    /** keyed by byte offset */
    Mappings: Type.Optional(mapOf(KeyPatterns.uint, VirtualPMemMapping)),
  },
  'VirtualPMemDevice',
);
export type VirtualPMemDevice = Static<typeof VirtualPMemDevice>;

export const VirtualPMemController = strict(
  {
    /** keyed by device number "0".."127" */
    Devices: Type.Optional(mapOf(KeyPatterns.vpmemDevice, VirtualPMemDevice)),
    MaximumCount: Type.Optional(UInt8),
    MaximumSizeBytes: Type.Optional(UInt64),
    Backing: Type.Optional(literals('Virtual', 'Physical')),
  },
  'VirtualPMemController',
);
export type VirtualPMemController = Static<typeof VirtualPMemController>;

/** Plan9Share.Flags bits. */
export const Plan9ShareFlags = {
  None: 0x0,
  ReadOnly: 0x1,
  LinuxMetadata: 0x4,
  CaseSensitive: 0x8,
  UseShareRootIdentity: 0x10,
  RestrictFileAccess: 0x80,
  UnlimitedConnections: 0x100,
} as const;

export const Plan9Share = strict(
  {
    Name: NonEmptyString,
    AccessName: Type.Optional(Type.String()),
    Path: Type.Optional(NonEmptyString),
    Port: Type.Optional(UInt32),
    Flags: Type.Optional(UInt32),
    ReadOnly: Type.Optional(Type.Boolean()),
    UseShareRootIdentity: Type.Optional(Type.Boolean()),
    AllowedFiles: Type.Optional(Type.Array(Type.String())),
  },
  'Plan9Share',
);
export type Plan9Share = Static<typeof Plan9Share>;

export const Plan9 = strict({ Shares: Type.Optional(Type.Array(Plan9Share)) }, 'Plan9');
export type Plan9 = Static<typeof Plan9>;

export const VirtualSmbShareOptions = strict(
  {
    ReadOnly: Type.Optional(Type.Boolean()),
    ShareRead: Type.Optional(Type.Boolean()),
    CacheIo: Type.Optional(Type.Boolean()),
    NoOplocks: Type.Optional(Type.Boolean()),
    TakeBackupPrivilege: Type.Optional(Type.Boolean()),
    UseShareRootIdentity: Type.Optional(Type.Boolean()),
    NoDirectmap: Type.Optional(Type.Boolean()),
    NoLocks: Type.Optional(Type.Boolean()),
    NoDirnotify: Type.Optional(Type.Boolean()),
    VmSharedMemory: Type.Optional(Type.Boolean()),
    RestrictFileAccess: Type.Optional(Type.Boolean()),
    ForceLevelIIOplocks: Type.Optional(Type.Boolean()),
    ReparseBaseLayer: Type.Optional(Type.Boolean()),
    PseudoOplocks: Type.Optional(Type.Boolean()),
    NonCacheIo: Type.Optional(Type.Boolean()),
    PseudoDirnotify: Type.Optional(Type.Boolean()),
    SingleFileMapping: Type.Optional(Type.Boolean()),
    SupportCloudFiles: Type.Optional(Type.Boolean()),
    FilterEncryptionAttributes: Type.Optional(Type.Boolean()),
  },
  'VirtualSmbShareOptions',
);
export type VirtualSmbShareOptions = Static<typeof VirtualSmbShareOptions>;

export const VirtualSmbShare = strict(
  {
    Name: NonEmptyString,
    Path: Type.Optional(NonEmptyString),
    AllowedFiles: Type.Optional(Type.Array(Type.String())),
    Options: Type.Optional(VirtualSmbShareOptions),
  },
  'VirtualSmbShare',
);
export type VirtualSmbShare = Static<typeof VirtualSmbShare>;

export const VirtualSmb = strict(
  {
    Shares: Type.Optional(Type.Array(VirtualSmbShare)),
    DirectFileMappingInMB: Type.Optional(Type.Integer({ description: 'int64' })),
  },
  'VirtualSmb',
);
export type VirtualSmb = Static<typeof VirtualSmb>;

export const VirtualPciFunction = strict(
  {
    DeviceInstancePath: NonEmptyString,
    VirtualFunction: Type.Optional(UInt16),
    AllowDirectTranslatedP2P: Type.Optional(Type.Boolean()),
  },
  'VirtualPciFunction',
);
export type VirtualPciFunction = Static<typeof VirtualPciFunction>;

export const VirtualPciDevice = strict(
  {
    Functions: Type.Array(VirtualPciFunction, { minItems: 1 }),
    PropagateNumaAffinity: Type.Optional(Type.Boolean()),
  },
  'VirtualPciDevice',
);
export type VirtualPciDevice = Static<typeof VirtualPciDevice>;

export const HvSocketServiceConfig = strict(
  {
    BindSecurityDescriptor: Type.Optional(Type.String()),
    ConnectSecurityDescriptor: Type.Optional(Type.String()),
    AllowWildcardBinds: Type.Optional(Type.Boolean()),
    Disabled: Type.Optional(Type.Boolean()),
  },
  'HvSocketServiceConfig',
);
export type HvSocketServiceConfig = Static<typeof HvSocketServiceConfig>;

export const HvSocketSystemConfig = strict(
  {
    DefaultBindSecurityDescriptor: Type.Optional(Type.String()),
    DefaultConnectSecurityDescriptor: Type.Optional(Type.String()),
    /** keyed by service GUID */
    ServiceTable: Type.Optional(mapOf(KeyPatterns.guid, HvSocketServiceConfig)),
  },
  'HvSocketSystemConfig',
);
export type HvSocketSystemConfig = Static<typeof HvSocketSystemConfig>;

/** `Devices.HvSocket` (hcsshim: HvSocket2). */
export const HvSocket = strict({ HvSocketConfig: Type.Optional(HvSocketSystemConfig) }, 'HvSocket');
export type HvSocket = Static<typeof HvSocket>;

export const ComPort = strict(
  {
    NamedPipe: Type.Optional(Type.String()),
    OptimizeForDebugger: Type.Optional(Type.Boolean()),
  },
  'ComPort',
);
export type ComPort = Static<typeof ComPort>;

export const FlexibleIoDevice = strict(
  {
    EmulatorId: Guid,
    HostingModel: Type.Optional(literals('Internal', 'External')),
    Configuration: Type.Optional(Type.Array(Type.String())),
  },
  'FlexibleIoDevice',
);
export type FlexibleIoDevice = Static<typeof FlexibleIoDevice>;

export const SharedMemoryRegion = strict(
  {
    SectionName: NonEmptyString,
    StartOffset: Type.Optional(UInt64),
    Length: Type.Optional(UInt64),
    AllowGuestWrite: Type.Optional(Type.Boolean()),
    HiddenFromGuest: Type.Optional(Type.Boolean()),
  },
  'SharedMemoryRegion',
);
export type SharedMemoryRegion = Static<typeof SharedMemoryRegion>;

export const SharedMemoryConfiguration = strict(
  { Regions: Type.Optional(Type.Array(SharedMemoryRegion)) },
  'SharedMemoryConfiguration',
);
export type SharedMemoryConfiguration = Static<typeof SharedMemoryConfiguration>;

/** `RdpConnectionOptions` of VideoMonitor / EnhancedModeVideo. */
export const RdpConnectionOptions = strict(
  { AccessSids: Type.Optional(Type.Array(Type.String())), NamedPipe: Type.Optional(Type.String()) },
  'RdpConnectionOptions',
);
export type RdpConnectionOptions = Static<typeof RdpConnectionOptions>;

export const VideoMonitor = strict(
  {
    HorizontalResolution: Type.Optional(UInt16),
    VerticalResolution: Type.Optional(UInt16),
    ConnectionOptions: Type.Optional(RdpConnectionOptions),
  },
  'VideoMonitor',
);
export type VideoMonitor = Static<typeof VideoMonitor>;

export const EnhancedModeVideo = strict(
  { ConnectionOptions: Type.Optional(RdpConnectionOptions) },
  'EnhancedModeVideo',
);
export type EnhancedModeVideo = Static<typeof EnhancedModeVideo>;

export const GuestCrashReporting = strict(
  {
    WindowsCrashSettings: Type.Optional(
      strict(
        { DumpFileName: Type.Optional(Type.String()), MaxDumpSize: Type.Optional(Type.Integer()) },
        'WindowsCrashReporting',
      ),
    ),
  },
  'GuestCrashReporting',
);
export type GuestCrashReporting = Static<typeof GuestCrashReporting>;

export const VirtioSerial = strict(
  {
    /** keyed by port number */
    Ports: Type.Optional(
      mapOf(
        KeyPatterns.uint,
        strict(
          { NamedPipe: Type.Optional(Type.String()), Name: Type.Optional(Type.String()) },
          'VirtioSerialPort',
        ),
      ),
    ),
  },
  'VirtioSerial',
);
export type VirtioSerial = Static<typeof VirtioSerial>;

/** `VirtualMachine.Devices`. */
export const Devices = strict(
  {
    /** keyed by port index "0" or "1" */
    ComPorts: Type.Optional(mapOf(KeyPatterns.comPort, ComPort)),
    /** keyed by controller name; hcsshim uses `ScsiControllerGuids` */
    Scsi: Type.Optional(mapOf(KeyPatterns.name, Scsi)),
    VirtualPMem: Type.Optional(VirtualPMemController),
    NetworkAdapters: Type.Optional(mapOf(KeyPatterns.name, NetworkAdapter)),
    VideoMonitor: Type.Optional(VideoMonitor),
    Keyboard: Type.Optional(EmptyObject),
    Mouse: Type.Optional(EmptyObject),
    HvSocket: Type.Optional(HvSocket),
    EnhancedModeVideo: Type.Optional(EnhancedModeVideo),
    GuestCrashReporting: Type.Optional(GuestCrashReporting),
    VirtualSmb: Type.Optional(VirtualSmb),
    Plan9: Type.Optional(Plan9),
    Battery: Type.Optional(EmptyObject),
    FlexibleIov: Type.Optional(mapOf(KeyPatterns.name, FlexibleIoDevice)),
    SharedMemory: Type.Optional(SharedMemoryConfiguration),
    /** keyed by VMBus GUID */
    VirtualPci: Type.Optional(mapOf(KeyPatterns.guid, VirtualPciDevice)),
    VirtioSerial: Type.Optional(VirtioSerial),
  },
  'Devices',
);
export type Devices = Static<typeof Devices>;
