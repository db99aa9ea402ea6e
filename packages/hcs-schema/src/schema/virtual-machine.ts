/** `ComputeSystem.VirtualMachine` and its firmware/state sub-documents. */
import { type Static, Type } from '@sinclair/typebox';
import { AnyObject, Guid, literals, NonEmptyString, strict, UInt16, UInt32, UInt64 } from './common.js';
import { Devices } from './devices.js';
import { Topology } from './topology.js';

/** Schema version `{Major, Minor}` (hcsshim sends 2.1, or 2.5 for VMGS/confidential LCOW). */
export const Version = strict({ Major: UInt32, Minor: UInt32 }, 'Version');
export type Version = Static<typeof Version>;

export const UefiBootDevice = literals('ScsiDrive', 'VmbFs', 'Network', 'File');
export type UefiBootDevice = Static<typeof UefiBootDevice>;

export const UefiBootEntry = strict(
  {
    DeviceType: Type.Optional(UefiBootDevice),
    DevicePath: Type.Optional(Type.String()),
    DiskNumber: Type.Optional(UInt16),
    OptionalData: Type.Optional(Type.String()),
    VmbFsRootPath: Type.Optional(Type.String()),
  },
  'UefiBootEntry',
);
export type UefiBootEntry = Static<typeof UefiBootEntry>;

export const Uefi = strict(
  {
    EnableDebugger: Type.Optional(Type.Boolean()),
    ApplySecureBootTemplate: Type.Optional(literals('Skip', 'Apply')),
    SecureBootTemplateId: Type.Optional(Guid),
    BootThis: Type.Optional(UefiBootEntry),
    Console: Type.Optional(literals('Default', 'Disabled', 'ComPort1', 'ComPort2')),
    StopOnBootFailure: Type.Optional(Type.Boolean()),
  },
  'Uefi',
);
export type Uefi = Static<typeof Uefi>;

export const LinuxKernelDirect = strict(
  {
    KernelFilePath: NonEmptyString,
    InitRdPath: Type.Optional(Type.String()),
    KernelCmdLine: Type.Optional(Type.String()),
  },
  'LinuxKernelDirect',
);
export type LinuxKernelDirect = Static<typeof LinuxKernelDirect>;

export const Chipset = strict(
  {
    Uefi: Type.Optional(Uefi),
    IsNumLockDisabled: Type.Optional(Type.Boolean()),
    BaseBoardSerialNumber: Type.Optional(Type.String()),
    ChassisSerialNumber: Type.Optional(Type.String()),
    ChassisAssetTag: Type.Optional(Type.String()),
    UseUtc: Type.Optional(Type.Boolean()),
    LinuxKernelDirect: Type.Optional(LinuxKernelDirect),
    FirmwareFile: Type.Optional(AnyObject),
    EnableHibernation: Type.Optional(Type.Boolean()),
  },
  'Chipset',
);
export type Chipset = Static<typeof Chipset>;

export const GuestState = strict(
  {
    GuestStateFilePath: Type.Optional(Type.String()),
    GuestStateFileType: Type.Optional(Type.String()),
    RuntimeStateFilePath: Type.Optional(Type.String()),
    ForceTransientState: Type.Optional(Type.Boolean()),
  },
  'GuestState',
);
export type GuestState = Static<typeof GuestState>;

export const RestoreState = strict(
  {
    SaveStateFilePath: Type.Optional(Type.String()),
    TemplateSystemId: Type.Optional(Type.String()),
  },
  'RestoreState',
);
export type RestoreState = Static<typeof RestoreState>;

/** `VirtualMachine.GuestConnection`: with it, Start completes once the guest connection is up. */
export const GuestConnection = strict(
  {
    UseVsock: Type.Optional(Type.Boolean()),
    UseConnectedSuspend: Type.Optional(Type.Boolean()),
    UseHostTimeZone: Type.Optional(Type.Boolean()),
  },
  'GuestConnection',
);
export type GuestConnection = Static<typeof GuestConnection>;

export const StorageQoS = strict(
  {
    IopsMaximum: Type.Optional(UInt64),
    BandwidthMaximum: Type.Optional(UInt64),
  },
  'StorageQoS',
);
export type StorageQoS = Static<typeof StorageQoS>;

export const SecuritySettings = strict(
  {
    EnableTpm: Type.Optional(Type.Boolean()),
    Isolation: Type.Optional(AnyObject),
  },
  'SecuritySettings',
);
export type SecuritySettings = Static<typeof SecuritySettings>;

export const VirtualMachine = strict(
  {
    Version: Type.Optional(Version),
    StopOnReset: Type.Optional(Type.Boolean()),
    Chipset: Type.Optional(Chipset),
    ComputeTopology: Topology,
    Devices: Type.Optional(Devices),
    GuestState: Type.Optional(GuestState),
    RestoreState: Type.Optional(RestoreState),
    RegistryChanges: Type.Optional(AnyObject),
    StorageQoS: Type.Optional(StorageQoS),
    DebugOptions: Type.Optional(AnyObject),
    GuestConnection: Type.Optional(GuestConnection),
    SecuritySettings: Type.Optional(SecuritySettings),
    ResourcePartitionId: Type.Optional(Guid),
    MigrationOptions: Type.Optional(AnyObject),
    Services: Type.Optional(AnyObject),
  },
  'VirtualMachine',
);
export type VirtualMachine = Static<typeof VirtualMachine>;
