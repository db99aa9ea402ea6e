/**
 * The guest modification request of a GCS `ModifySettings` message (gcs-protocol.md §5): the
 * envelope (`ResourceType`, `RequestType`, `Settings`), the resource types, and the `Settings`
 * of the SCSI resources, typed as the guest's Go structs (wire.ts).
 */
import { type Static, Type } from '@sinclair/typebox';
import { literals } from '../common.js';
import {
  GoAny,
  GoArray,
  GoBool,
  GoInt32,
  GoString,
  GoStrings,
  GoStruct,
  GoUInt8,
  GoUInt16,
  GoUInt32,
  GoUInt64,
  wire,
} from './wire.js';

/** The guest resource types (gcs-protocol.md §5), by name. */
export const GuestResourceType = {
  MappedVirtualDisk: 'MappedVirtualDisk',
  MappedVirtualDiskForContainerScratch: 'MappedVirtualDiskForContainerScratch',
  SCSIDevice: 'SCSIDevice',
  MappedDirectory: 'MappedDirectory',
  VPMemDevice: 'VPMemDevice',
  VPCIDevice: 'VPCIDevice',
  Network: 'Network',
  NetworkNamespace: 'NetworkNamespace',
  CombinedLayers: 'CombinedLayers',
  CWCOWCombinedLayers: 'CWCOWCombinedLayers',
  WCOWBlockCims: 'WCOWBlockCims',
  ContainerConstraints: 'ContainerConstraints',
  HvSocket: 'HvSocket',
  SecurityPolicy: 'SecurityPolicy',
  SecurityPolicyFragment: 'SecurityPolicyFragment',
  PodCgroupMemoryLimit: 'PodCgroupMemoryLimit',
} as const;
/** One of {@link GuestResourceType}. */
export type GuestResourceType = (typeof GuestResourceType)[keyof typeof GuestResourceType];

/** Schema of a {@link GuestResourceType} name. */
export const GuestResourceTypeSchema = literals(
  ...(Object.values(GuestResourceType) as [GuestResourceType, ...GuestResourceType[]]),
);

/** `RequestType` of a guest modification (absent on the wire = Add, as the Linux GCS reads it). */
export const GuestRequestTypeSchema = literals('Add', 'Remove', 'Update');
/** Static type of {@link GuestRequestTypeSchema}. */
export type GuestRequestType = Static<typeof GuestRequestTypeSchema>;

/**
 * The `Request` of a ModifySettings message as a sender builds it: a known resource type, a
 * request type, and the resource's `Settings` (validated by the resource's own schema).
 */
export const GuestModificationRequest = Type.Object(
  {
    ResourceType: GuestResourceTypeSchema,
    RequestType: GuestRequestTypeSchema,
    Settings: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false, description: 'GuestModificationRequest' },
);
/** Static type of {@link GuestModificationRequest}. */
export type GuestModificationRequest = Static<typeof GuestModificationRequest>;

/**
 * The same `Request` as a guest decodes it (Go types, every field optional, unknown fields
 * ignored): an unknown resource or request type is the guest's to refuse, not a decoding error.
 */
export const GuestModificationRequestWire = GoStruct(
  wire({ ResourceType: GoString(), RequestType: GoString(), Settings: GoAny() }),
  'ModificationRequest',
);
/** Static type of {@link GuestModificationRequestWire}. */
export type GuestModificationRequestWire = Static<typeof GuestModificationRequestWire>;

/** LCOW `MappedVirtualDisk` Settings (`LCOWMappedVirtualDisk`), in the order the guest reads them. */
export const LcowMappedVirtualDiskSettings = GoStruct(
  wire({
    MountPath: GoString(),
    Controller: GoUInt8(),
    Lun: GoUInt8(),
    Partition: GoUInt64(),
    ReadOnly: GoBool(),
    Encrypted: GoBool(),
    Options: GoStrings(),
    BlockDev: GoBool(),
    EnsureFilesystem: GoBool(),
    Filesystem: GoString(),
    VerityInfo: GoStruct({}),
  }),
  'LCOWMappedVirtualDisk',
);
/** Static type of {@link LcowMappedVirtualDiskSettings}. */
export type LcowMappedVirtualDiskSettings = Static<typeof LcowMappedVirtualDiskSettings>;

/** WCOW `MappedVirtualDisk` / `MappedVirtualDiskForContainerScratch` Settings (controller 0 only). */
export const WcowMappedVirtualDiskSettings = GoStruct(
  wire({ ContainerPath: GoString(), Lun: GoInt32(), Controller: GoUInt8() }),
  'WCOWMappedVirtualDisk',
);
/** Static type of {@link WcowMappedVirtualDiskSettings}. */
export type WcowMappedVirtualDiskSettings = Static<typeof WcowMappedVirtualDiskSettings>;

/** LCOW `SCSIDevice` Settings (Remove: the device at (Controller, Lun) is about to be unplugged). */
export const ScsiDeviceSettings = GoStruct(wire({ Controller: GoUInt8(), Lun: GoUInt8() }), 'SCSIDevice');
/** Static type of {@link ScsiDeviceSettings}. */
export type ScsiDeviceSettings = Static<typeof ScsiDeviceSettings>;

/** LCOW `MappedDirectory` Settings (`LCOWMappedDirectory`): a Plan 9 share mounted over vsock. */
export const LcowMappedDirectorySettings = GoStruct(
  wire({ MountPath: GoString(), Port: GoInt32(), ShareName: GoString(), ReadOnly: GoBool() }),
  'LCOWMappedDirectory',
);
/** Static type of {@link LcowMappedDirectorySettings}. */
export type LcowMappedDirectorySettings = Static<typeof LcowMappedDirectorySettings>;

/** WCOW `MappedDirectory` Settings (`MappedDirectory` of schema 2: a VSMB share's host path). */
export const WcowMappedDirectorySettings = GoStruct(
  wire({ HostPath: GoString(), HostPathType: GoString(), ContainerPath: GoString(), ReadOnly: GoBool() }),
  'WCOWMappedDirectory',
);
/** Static type of {@link WcowMappedDirectorySettings}. */
export type WcowMappedDirectorySettings = Static<typeof WcowMappedDirectorySettings>;

/** LCOW `VPMemDevice` Settings (`LCOWMappedVPMemDevice`), with the optional multi-mapping info. */
export const VpmemDeviceSettings = GoStruct(
  wire({
    DeviceNumber: GoUInt32(),
    MountPath: GoString(),
    MappingInfo: GoStruct(wire({ DeviceOffsetInBytes: GoUInt64(), DeviceSizeInBytes: GoUInt64() })),
    VerityInfo: GoStruct({}),
  }),
  'LCOWMappedVPMemDevice',
);
/** Static type of {@link VpmemDeviceSettings}. */
export type VpmemDeviceSettings = Static<typeof VpmemDeviceSettings>;

/** LCOW `VPCIDevice` Settings (`LCOWMappedVPCIDevice`). */
export const VpciDeviceSettings = GoStruct(wire({ VMBusGUID: GoString() }), 'LCOWMappedVPCIDevice');
/** Static type of {@link VpciDeviceSettings}. */
export type VpciDeviceSettings = Static<typeof VpciDeviceSettings>;

/** LCOW `Network` Settings (`LCOWNetworkAdapter`), in the order the guest reads them. */
export const LcowNetworkAdapterSettings = GoStruct(
  wire({
    NamespaceID: GoString(),
    ID: GoString(),
    MacAddress: GoString(),
    DNSSuffix: GoString(),
    DNSServerList: GoString(),
    EncapOverhead: GoUInt16(),
    VPCIAssigned: GoBool(),
    IPConfigs: GoArray(GoStruct(wire({ IPAddress: GoString(), PrefixLength: GoUInt8() }))),
    Routes: GoArray(
      GoStruct(wire({ NextHop: GoString(), DestinationPrefix: GoString(), Metric: GoUInt16() })),
    ),
    PolicyBasedRouting: GoBool(),
    EnableLowMetric: GoBool(),
  }),
  'LCOWNetworkAdapter',
);
/** Static type of {@link LcowNetworkAdapterSettings}. */
export type LcowNetworkAdapterSettings = Static<typeof LcowNetworkAdapterSettings>;

/** WCOW `Network` Settings (`NetworkModifyRequest`): `RequestType` PreAdd / Add / Remove of the adapter. */
export const WcowNetworkModifySettings = GoStruct(
  wire({ AdapterId: GoString(), RequestType: GoString(), Settings: GoStruct({}) }),
  'NetworkModifyRequest',
);
/** Static type of {@link WcowNetworkModifySettings}. */
export type WcowNetworkModifySettings = Static<typeof WcowNetworkModifySettings>;

/** WCOW `NetworkNamespace` Settings (an HNS namespace document: `ID`, or `Id`). */
export const NetworkNamespaceSettings = GoStruct(
  wire({ ID: GoString(), Id: GoString() }),
  'NetworkNamespace',
);
/** Static type of {@link NetworkNamespaceSettings}. */
export type NetworkNamespaceSettings = Static<typeof NetworkNamespaceSettings>;

const combinedLayersFields = {
  ContainerRootPath: GoString(),
  Layers: GoArray(GoStruct(wire({ Id: GoString(), PathType: GoString(), Path: GoString() }))),
  ScratchPath: GoString(),
  FilterType: GoString(),
};

/** `CombinedLayers` Settings (LCOW overlay / WCOW filter of read-only layers and a scratch). */
export const CombinedLayersSettings = GoStruct(
  wire({ ContainerID: GoString(), ...combinedLayersFields }),
  'CombinedLayers',
);
/** Static type of {@link CombinedLayersSettings}. */
export type CombinedLayersSettings = Static<typeof CombinedLayersSettings>;

/** Confidential WCOW `CWCOWCombinedLayers` Settings: the container id and the inner CombinedLayers. */
export const CwcowCombinedLayersSettings = GoStruct(
  wire({ ContainerID: GoString(), CombinedLayers: GoStruct(wire(combinedLayersFields)) }),
  'CWCOWCombinedLayers',
);
/** Static type of {@link CwcowCombinedLayersSettings}. */
export type CwcowCombinedLayersSettings = Static<typeof CwcowCombinedLayersSettings>;

/** WCOW `WCOWBlockCims` Settings: block CIMs on SCSI LUNs of controller 0 mounted as one volume. */
export const BlockCimsSettings = GoStruct(
  wire({
    VolumeGUID: GoString(),
    ContainerID: GoString(),
    MountFlags: GoUInt32(),
    BlockCIMs: GoArray(GoStruct(wire({ CimName: GoString(), Lun: GoInt32() }))),
  }),
  'WCOWBlockCIMMounts',
);
/** Static type of {@link BlockCimsSettings}. */
export type BlockCimsSettings = Static<typeof BlockCimsSettings>;

/** WCOW `HvSocket` Settings (`HvSocketAddress`): the guest's and the host's HvSocket addresses. */
export const HvSocketAddressSettings = GoStruct(
  wire({ LocalAddress: GoString(), ParentAddress: GoString() }),
  'HvSocketAddress',
);
/** Static type of {@link HvSocketAddressSettings}. */
export type HvSocketAddressSettings = Static<typeof HvSocketAddressSettings>;

/** `SecurityPolicy` Settings (`ConfidentialOptions`): the base64 policy and UVM references. */
export const SecurityPolicySettings = GoStruct(
  wire({
    EnforcerType: GoString(),
    EncodedSecurityPolicy: GoString(),
    EncodedUVMReference: GoString(),
    EncodedUVMHashEnvelopeReference: GoString(),
  }),
  'ConfidentialOptions',
);
/** Static type of {@link SecurityPolicySettings}. */
export type SecurityPolicySettings = Static<typeof SecurityPolicySettings>;

/** `SecurityPolicyFragment` Settings: a base64 COSE_Sign1 fragment and its media type. */
export const SecurityPolicyFragmentSettings = GoStruct(
  wire({ Fragment: GoString(), MediaType: GoString() }),
  'SecurityPolicyFragment',
);
/** Static type of {@link SecurityPolicyFragmentSettings}. */
export type SecurityPolicyFragmentSettings = Static<typeof SecurityPolicyFragmentSettings>;

/** `ContainerConstraints` Settings (Update of a container's resources: the OCI `linux` / `windows` resources). */
export const ContainerConstraintsSettings = GoStruct(
  wire({ Linux: GoStruct({}), Windows: GoStruct({}) }),
  'ContainerConstraints',
);
/** Static type of {@link ContainerConstraintsSettings}. */
export type ContainerConstraintsSettings = Static<typeof ContainerConstraintsSettings>;

/** `PodCgroupMemoryLimit` has no Settings: anything sent is ignored. */
export const PodCgroupMemoryLimitSettings = GoAny();
