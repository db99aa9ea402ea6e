/**
 * The guest-side table: what the emulated GCS has mounted or configured inside the VM (mapped
 * virtual disks, mapped directories, VPMem mounts, NICs, combined layers, VPCI devices, security
 * policy…), its containers and emulated processes. Survives bridge reconnects; lives as long as
 * the VM. Modified only by `resources/`, `containers.ts` and `exec.ts`.
 */
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import type { DeviceTable } from '../../../devices.js';
import type { EmulatedProcess } from './processes.js';
import { normalizePath, type Obj } from './settings.js';

export interface MappedDisk {
  /** LCOW MountPath, or WCOW ContainerPath */
  MountPath: string;
  Controller: number;
  Lun: number;
  Partition: number;
  ReadOnly: boolean;
  Encrypted: boolean;
  Options: string[];
  BlockDev: boolean;
  EnsureFilesystem: boolean;
  Filesystem: string;
  /** WCOW MappedVirtualDiskForContainerScratch */
  Scratch: boolean;
  /** the host attachment object seen at Add (identity check for "still the same disk") */
  attachment: Obj;
}

export interface MappedDirectory {
  MountPath: string;
  /** LCOW: Plan 9 share name and vsock port */
  ShareName: string;
  Port: number;
  /** WCOW: host path */
  HostPath: string;
  ReadOnly: boolean;
}

export interface VPMemMount {
  DeviceNumber: number;
  MountPath: string;
  MappingInfo: { DeviceOffsetInBytes: number; DeviceSizeInBytes: number } | null;
  /** the host device / mapping object seen at Add */
  hostObject: Obj;
}

export interface CombinedLayers {
  ContainerID: string;
  ContainerRootPath: string;
  Layers: string[];
  ScratchPath: string;
  FilterType: string;
}

export interface NetworkAdapterEntry {
  NamespaceID: string;
  ID: string;
  settings: Obj;
  /** WCOW: PreAdd seen, Add not yet */
  preAddedOnly: boolean;
}

export interface BlockCimMount {
  VolumeGUID: string;
  ContainerID: string;
  MountFlags: number;
  BlockCIMs: { CimName: string; Lun: number }[];
}

export interface GuestContainer {
  id: string;
  state: 'Created' | 'Running' | 'Exited';
  config: unknown;
  /** the OCI spec of its Create (`OciSpecification`) */
  spec: Obj;
  constraints: unknown[];
  /** its init process (made at Create, started by the ExecuteProcess without OciProcess) */
  init: EmulatedProcess | undefined;
  /** the exit notification's Type, once exited */
  exitType: string | null;
  /** the exit notification was sent (or queued) */
  notified: boolean;
}

export class GuestTable {
  /** mapped virtual disks by (normalized) mount path */
  readonly disks = new Map<string, MappedDisk>();
  /** SCSI devices unplugged by SCSIDevice Remove: `${controller}:${lun}` → host attachment object. */
  readonly unplugged = new Map<string, Obj>();
  readonly directories = new Map<string, MappedDirectory>();
  readonly vpmem = new Map<string, VPMemMount>();
  /** VPCI devices by lower-case VMBus GUID */
  readonly vpci = new Map<string, { VMBusGUID: string }>();
  /** network namespaces (id as given) → exists; adapters by lower-case adapter id */
  readonly namespaces = new Map<string, Obj>();
  readonly adapters = new Map<string, NetworkAdapterEntry>();
  readonly layers = new Map<string, CombinedLayers>();
  readonly blockCims = new Map<string, BlockCimMount>();
  securityPolicy: Obj | null = null;
  readonly policyFragments: Obj[] = [];
  hvSocket: { LocalAddress: string; ParentAddress: string } | null = null;
  readonly containers = new Map<string, GuestContainer>();
  /** every emulated process by pid (exited ones kept for late waits, the oldest dropped first) */
  readonly processes = new Map<number, EmulatedProcess>();
  nextPid = 100;
  /** WCOW cold start: Create / Start of the null container seen */
  uvmCreated = false;
  uvmStarted = false;
  cgroupMemoryUpdates = 0;
  readonly serviceSettings: Obj[] = [];

  /** The attachment seen by the guest at (controller index, lun), unplugged ones excluded. */
  attachment(host: DeviceTable, controller: number, lun: number): Obj | undefined {
    const guid = ScsiControllerGuids[controller];
    if (guid === undefined) return undefined;
    const att = host.scsiAttachment(guid, lun);
    if (att === undefined) return undefined;
    const gone = this.unplugged.get(`${controller}:${lun}`);
    if (gone === att) return undefined;
    if (gone !== undefined) this.unplugged.delete(`${controller}:${lun}`); // re-added by the host
    return att;
  }

  /** What is mounted at exactly `path` (any kind), or `undefined`. */
  mountAt(path: string): string | undefined {
    const p = normalizePath(path);
    if (this.disks.has(p)) return 'a mapped virtual disk';
    if (this.directories.has(p)) return 'a mapped directory';
    if (this.vpmem.has(p)) return 'a VPMem device';
    if (this.layers.has(p)) return 'combined layers';
    return undefined;
  }

  /** Every mount path (disks, directories, VPMem). */
  *mountPaths(): Iterable<string> {
    yield* this.disks.keys();
    yield* this.directories.keys();
    yield* this.vpmem.keys();
  }
}
