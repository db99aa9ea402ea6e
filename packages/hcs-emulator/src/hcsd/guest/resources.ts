/**
 * ModifySettings on the emulated guest: routing by ResourceType / RequestType (gcs-protocol.md §5)
 * and the host/guest consistency rules (a mount must name what the host attached to this VM, a
 * mount in use by combined layers cannot go away, …). Every rejection throws a `GuestFailure`
 * and leaves the table untouched.
 */
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import type { DeviceTable } from '../devices.js';
import { GHR, type GuestOs, gfail, NULL_CONTAINER_ID } from './protocol.js';
import { checkGuestPath, Fields, isGuid, isObj, isUnder, normalizePath, type Obj } from './settings.js';
import type { GuestTable } from './table.js';

export interface ModifyContext {
  readonly os: GuestOs;
  readonly table: GuestTable;
  readonly host: DeviceTable;
  /** the VM's RuntimeId (HvSocket LocalAddress) */
  readonly runtimeId: string;
}

type RequestType = 'Add' | 'Remove' | 'Update' | 'PreAdd';

type Handler = (ctx: ModifyContext, rt: RequestType, s: Fields) => void;

interface Resource {
  readonly requestTypes: readonly RequestType[];
  readonly handler: Handler;
}

/** The `Request` of a ModifySettings message, routed and applied. */
export function modifySettings(ctx: ModifyContext, containerId: string, request: unknown): void {
  if (!isObj(request)) gfail(GHR.INVALID_JSON, 'ModifySettings: Request must be a JSON object');
  const req = new Fields(request, 'Request');
  const resourceType = req.string('ResourceType');
  const rtText = req.string('RequestType');
  const rt = (rtText === '' ? 'Add' : rtText) as RequestType;
  if (containerId.toLowerCase() !== NULL_CONTAINER_ID) {
    if (resourceType !== 'ContainerConstraints')
      gfail(
        GHR.E_FAIL,
        `modify for container ${containerId}: resource type ${JSON.stringify(resourceType)} is not supported (only ContainerConstraints)`,
      );
    if (rt !== 'Update')
      gfail(GHR.E_FAIL, `invalid RequestType ${JSON.stringify(rtText)} for ContainerConstraints`);
    const c = ctx.table.containers.get(containerId);
    if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
    const s = new Fields(request.Settings, 'Settings');
    s.object('Linux');
    s.object('Windows');
    c.constraints.push(structuredClone(s.raw));
    return;
  }
  const table = ctx.os === 'Linux' ? LINUX : WINDOWS;
  const res = Object.hasOwn(table, resourceType) ? table[resourceType] : undefined;
  if (res === undefined) {
    gfail(GHR.E_FAIL, `invalid ResourceType ${JSON.stringify(resourceType)} for a ${ctx.os} guest`);
  }
  if (!res.requestTypes.includes(rt)) {
    gfail(GHR.E_FAIL, `invalid RequestType ${JSON.stringify(rtText)} for ResourceType ${resourceType}`);
  }
  res.handler(ctx, rt, new Fields(request.Settings, 'Settings'));
}

// ---- shared rules ----

function controllerInRange(controller: number): void {
  if (controller >= ScsiControllerGuids.length)
    gfail(
      GHR.E_INVALIDARG,
      `SCSI controller index ${controller} is out of range (0..${ScsiControllerGuids.length - 1})`,
    );
}

function hostDisk(ctx: ModifyContext, controller: number, lun: number): Obj {
  controllerInRange(controller);
  if (lun < 0 || lun > 63) gfail(GHR.E_INVALIDARG, `SCSI LUN ${lun} is out of range (0..63)`);
  const att = ctx.table.attachment(ctx.host, controller, lun);
  if (att === undefined)
    gfail(
      GHR.ERROR_NOT_FOUND,
      `no SCSI disk at controller ${controller} (${ScsiControllerGuids[controller]}) LUN ${lun}: the host has not attached one to this VM`,
    );
  return att;
}

function freeMountPath(t: GuestTable, path: string): void {
  const what = t.mountAt(path);
  if (what !== undefined)
    gfail(GHR.ERROR_ALREADY_EXISTS, `${normalizePath(path)} is already in use by ${what}`);
}

/** A mount that combined layers (layer or scratch) still use cannot be removed. */
function notInUse(t: GuestTable, mountPath: string): void {
  for (const l of t.layers.values()) {
    const used =
      l.Layers.some((p) => isUnder(p, mountPath)) ||
      (l.ScratchPath !== '' && isUnder(l.ScratchPath, mountPath));
    if (used)
      gfail(GHR.INVALID_STATE, `${mountPath} is in use by the combined layers at ${l.ContainerRootPath}`);
  }
}

const windowsPath = (ctx: ModifyContext): boolean => ctx.os === 'Windows';

// ---- SCSI ----

function mappedVirtualDiskLinux(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const mountPath = s.string('MountPath');
  const controller = s.u8('Controller');
  const lun = s.u8('Lun');
  const partition = s.u64('Partition');
  const readOnly = s.bool('ReadOnly');
  const encrypted = s.bool('Encrypted');
  const options = s.stringArray('Options');
  const blockDev = s.bool('BlockDev');
  const ensureFs = s.bool('EnsureFilesystem');
  const filesystem = s.string('Filesystem');
  s.object('VerityInfo');
  checkGuestPath(mountPath, 'MountPath');
  const path = normalizePath(mountPath);
  const t = ctx.table;
  if (rt === 'Add') {
    const att = hostDisk(ctx, controller, lun);
    freeMountPath(t, path);
    t.disks.set(path, {
      MountPath: path,
      Controller: controller,
      Lun: lun,
      Partition: partition,
      ReadOnly: readOnly,
      Encrypted: encrypted,
      Options: options,
      BlockDev: blockDev,
      EnsureFilesystem: ensureFs,
      Filesystem: filesystem,
      Scratch: false,
      attachment: att,
    });
    return;
  }
  removeDisk(t, path, controller, lun);
}

function removeDisk(t: GuestTable, path: string, controller: number, lun: number): void {
  const d = t.disks.get(path);
  if (d === undefined) gfail(GHR.ERROR_NOT_FOUND, `no mapped virtual disk is mounted at ${path}`);
  if (d.Controller !== controller || d.Lun !== lun)
    gfail(
      GHR.ERROR_NOT_FOUND,
      `${path} is controller ${d.Controller} LUN ${d.Lun}, not controller ${controller} LUN ${lun}`,
    );
  notInUse(t, path);
  t.disks.delete(path);
}

function mappedVirtualDiskWindows(scratch: boolean): Handler {
  return (ctx, rt, s) => {
    const containerPath = s.string('ContainerPath');
    const lun = s.i32('Lun');
    const controller = s.u8('Controller');
    if (controller !== 0)
      gfail(GHR.E_INVALIDARG, `a Windows guest maps disks of controller 0 only, not ${controller}`);
    checkGuestPath(containerPath, 'ContainerPath', true);
    const t = ctx.table;
    if (rt === 'Add') {
      const att = hostDisk(ctx, 0, lun);
      freeMountPath(t, containerPath);
      t.disks.set(normalizePath(containerPath), {
        MountPath: normalizePath(containerPath),
        Controller: 0,
        Lun: lun,
        Partition: 0,
        ReadOnly: false,
        Encrypted: false,
        Options: [],
        BlockDev: false,
        EnsureFilesystem: scratch,
        Filesystem: scratch ? 'ReFS' : '',
        Scratch: scratch,
        attachment: att,
      });
      return;
    }
    removeDisk(t, normalizePath(containerPath), 0, lun);
  };
}

function scsiDeviceRemove(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const controller = s.u8('Controller');
  const lun = s.u8('Lun');
  controllerInRange(controller);
  const t = ctx.table;
  const att = t.attachment(ctx.host, controller, lun);
  if (att === undefined)
    gfail(GHR.ERROR_NOT_FOUND, `no SCSI device at controller ${controller} LUN ${lun} in the guest`);
  for (const d of t.disks.values()) {
    if (d.Controller === controller && d.Lun === lun)
      gfail(
        GHR.INVALID_STATE,
        `SCSI device controller ${controller} LUN ${lun} is still mounted at ${d.MountPath}`,
      );
  }
  t.unplugged.set(`${controller}:${lun}`, att);
}

// ---- Plan 9 / mapped directories ----

function mappedDirectoryLinux(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const mountPath = s.string('MountPath');
  const port = s.i32('Port');
  const shareName = s.string('ShareName');
  const readOnly = s.bool('ReadOnly');
  checkGuestPath(mountPath, 'MountPath');
  const path = normalizePath(mountPath);
  const t = ctx.table;
  if (rt === 'Add') {
    if (shareName === '') gfail(GHR.E_INVALIDARG, 'ShareName is required');
    const share = ctx.host.plan9Share(shareName);
    if (share === undefined)
      gfail(GHR.ERROR_NOT_FOUND, `no Plan 9 share named ${JSON.stringify(shareName)} was added to this VM`);
    const sharePort = typeof share.Port === 'number' ? share.Port : 564;
    if (port !== sharePort)
      gfail(
        GHR.ERROR_NOT_FOUND,
        `nothing serves Plan 9 share ${JSON.stringify(shareName)} on vsock port ${port} (the share uses ${sharePort})`,
      );
    freeMountPath(t, path);
    t.directories.set(path, {
      MountPath: path,
      ShareName: shareName,
      Port: port,
      HostPath: '',
      ReadOnly: readOnly,
    });
    return;
  }
  const d = t.directories.get(path);
  if (d === undefined) gfail(GHR.ERROR_NOT_FOUND, `no mapped directory is mounted at ${path}`);
  notInUse(t, path);
  t.directories.delete(path);
}

function mappedDirectoryWindows(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const hostPath = s.string('HostPath');
  s.string('HostPathType');
  const containerPath = s.string('ContainerPath');
  const readOnly = s.bool('ReadOnly');
  checkGuestPath(containerPath, 'ContainerPath', true);
  const path = normalizePath(containerPath);
  const t = ctx.table;
  if (rt === 'Add') {
    if (hostPath === '') gfail(GHR.E_INVALIDARG, 'HostPath is required');
    freeMountPath(t, path);
    t.directories.set(path, {
      MountPath: path,
      ShareName: '',
      Port: 0,
      HostPath: hostPath,
      ReadOnly: readOnly,
    });
    return;
  }
  if (!t.directories.has(path)) gfail(GHR.ERROR_NOT_FOUND, `no mapped directory at ${path}`);
  notInUse(t, path);
  t.directories.delete(path);
}

// ---- VPMem ----

function vpmemDevice(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const n = s.u32('DeviceNumber');
  const mountPath = s.string('MountPath');
  const mapping = s.object('MappingInfo');
  const offset = mapping?.u64('DeviceOffsetInBytes') ?? 0;
  const size = mapping?.u64('DeviceSizeInBytes') ?? 0;
  s.object('VerityInfo');
  checkGuestPath(mountPath, 'MountPath');
  const path = normalizePath(mountPath);
  const t = ctx.table;
  if (rt === 'Add') {
    let hostObject = ctx.host.vpmemDevice(n);
    if (hostObject === undefined) gfail(GHR.ERROR_NOT_FOUND, `no VPMem device ${n} was added to this VM`);
    if (mapping !== undefined) {
      hostObject = ctx.host.vpmemMapping(n, offset);
      if (hostObject === undefined)
        gfail(GHR.ERROR_NOT_FOUND, `VPMem device ${n} has no mapping at offset ${offset}`);
    }
    freeMountPath(t, path);
    t.vpmem.set(path, {
      DeviceNumber: n,
      MountPath: path,
      MappingInfo: mapping === undefined ? null : { DeviceOffsetInBytes: offset, DeviceSizeInBytes: size },
      hostObject,
    });
    return;
  }
  const m = t.vpmem.get(path);
  if (m === undefined) gfail(GHR.ERROR_NOT_FOUND, `no VPMem device is mounted at ${path}`);
  if (m.DeviceNumber !== n) gfail(GHR.ERROR_NOT_FOUND, `${path} is VPMem device ${m.DeviceNumber}, not ${n}`);
  notInUse(t, path);
  t.vpmem.delete(path);
}

// ---- VPCI ----

function vpciDevice(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const guid = s.string('VMBusGUID');
  if (!isGuid(guid)) gfail(GHR.E_INVALIDARG, `VMBusGUID ${JSON.stringify(guid)} is not a GUID`);
  if (ctx.host.virtualPci(guid) === undefined)
    gfail(GHR.ERROR_NOT_FOUND, `no virtual PCI device ${guid} was assigned to this VM`);
  const key = guid.toLowerCase();
  if (ctx.table.vpci.has(key)) gfail(GHR.ERROR_ALREADY_EXISTS, `VPCI device ${guid} is already present`);
  ctx.table.vpci.set(key, { VMBusGUID: guid });
}

// ---- network ----

function networkLinux(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const nsId = s.string('NamespaceID');
  const id = s.string('ID');
  s.string('MacAddress');
  s.string('DNSSuffix');
  s.string('DNSServerList');
  s.u16('EncapOverhead');
  const vpciAssigned = s.bool('VPCIAssigned');
  for (const ip of s.array('IPConfigs')) {
    ip.string('IPAddress');
    ip.u8('PrefixLength');
  }
  for (const r of s.array('Routes')) {
    r.string('NextHop');
    r.string('DestinationPrefix');
    r.u16('Metric');
  }
  s.bool('PolicyBasedRouting');
  s.bool('EnableLowMetric');
  if (id === '') gfail(GHR.E_INVALIDARG, 'ID (the adapter id) is required');
  const t = ctx.table;
  const key = id.toLowerCase();
  if (rt === 'Add') {
    if (nsId === '') gfail(GHR.E_INVALIDARG, 'NamespaceID is required');
    if (!vpciAssigned && ctx.host.networkAdapter(id) === undefined)
      gfail(GHR.ERROR_NOT_FOUND, `no network adapter ${id} was added to this VM`);
    if (t.adapters.has(key)) gfail(GHR.ERROR_ALREADY_EXISTS, `network adapter ${id} is already configured`);
    if (!t.namespaces.has(nsId)) t.namespaces.set(nsId, { ID: nsId });
    t.adapters.set(key, { NamespaceID: nsId, ID: id, settings: structuredClone(s.raw), preAddedOnly: false });
    return;
  }
  if (!t.namespaces.has(nsId))
    gfail(GHR.ERROR_NOT_FOUND, `network namespace ${JSON.stringify(nsId)} not found`);
  const a = t.adapters.get(key);
  if (a === undefined || a.NamespaceID !== nsId)
    gfail(GHR.ERROR_NOT_FOUND, `network adapter ${id} is not in namespace ${nsId}`);
  t.adapters.delete(key);
}

function networkWindows(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const id = s.string('AdapterId');
  const inner = s.string('RequestType');
  const settings = s.object('Settings');
  if (!isGuid(id)) gfail(GHR.E_INVALIDARG, `AdapterId ${JSON.stringify(id)} is not a GUID`);
  const t = ctx.table;
  const key = id.toLowerCase();
  const existing = t.adapters.get(key);
  switch (inner) {
    case 'PreAdd':
      if (existing !== undefined)
        gfail(GHR.ERROR_ALREADY_EXISTS, `network adapter ${id} is already configured`);
      t.adapters.set(key, {
        NamespaceID: '',
        ID: id,
        settings: structuredClone(settings?.raw ?? {}),
        preAddedOnly: true,
      });
      return;
    case 'Add':
    case '':
      if (ctx.host.networkAdapter(id) === undefined)
        gfail(GHR.ERROR_NOT_FOUND, `no network adapter ${id} was added to this VM`);
      if (existing !== undefined && !existing.preAddedOnly)
        gfail(GHR.ERROR_ALREADY_EXISTS, `network adapter ${id} is already configured`);
      t.adapters.set(key, {
        NamespaceID: '',
        ID: id,
        settings: structuredClone(settings?.raw ?? existing?.settings ?? {}),
        preAddedOnly: false,
      });
      return;
    case 'Remove':
      if (existing === undefined) gfail(GHR.ERROR_NOT_FOUND, `network adapter ${id} is not configured`);
      t.adapters.delete(key);
      return;
    default:
      gfail(GHR.E_FAIL, `invalid NetworkModifyRequest RequestType ${JSON.stringify(inner)}`);
  }
}

function networkNamespace(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const id = s.has('ID') ? s.string('ID') : s.string('Id');
  if (id === '') gfail(GHR.E_INVALIDARG, 'the namespace ID is required');
  const t = ctx.table;
  if (rt === 'Add') {
    if (t.namespaces.has(id)) gfail(GHR.ERROR_ALREADY_EXISTS, `network namespace ${id} already exists`);
    t.namespaces.set(id, structuredClone(s.raw));
    return;
  }
  if (!t.namespaces.has(id)) gfail(GHR.ERROR_NOT_FOUND, `network namespace ${JSON.stringify(id)} not found`);
  t.namespaces.delete(id);
}

// ---- combined layers ----

function combinedLayers(
  ctx: ModifyContext,
  rt: RequestType,
  s: Fields,
  containerIdKey = 'ContainerID',
): void {
  const windows = windowsPath(ctx);
  const containerId = s.string(containerIdKey);
  const root = s.string('ContainerRootPath');
  const layers = s.array('Layers').map((l) => {
    l.string('Id');
    l.string('PathType');
    return l.string('Path');
  });
  const scratch = s.string('ScratchPath');
  const filterType = s.string('FilterType');
  checkGuestPath(root, 'ContainerRootPath', windows);
  const rootKey = normalizePath(root);
  const t = ctx.table;
  if (rt === 'Remove') {
    if (!t.layers.has(rootKey)) gfail(GHR.ERROR_NOT_FOUND, `no combined layers at ${rootKey}`);
    t.layers.delete(rootKey);
    return;
  }
  if (windows && filterType !== '' && filterType !== 'UnionFS' && filterType !== 'WCIFS')
    gfail(GHR.E_INVALIDARG, `FilterType ${JSON.stringify(filterType)} is not UnionFS or WCIFS`);
  if (layers.length === 0) gfail(GHR.E_INVALIDARG, 'Layers must name at least one layer');
  const mounts = [...t.mountPaths()];
  const onMount = (p: string): boolean => mounts.some((m) => isUnder(p, m));
  for (const [i, p] of layers.entries()) {
    checkGuestPath(p, `Layers.${i}.Path`, windows);
    if (!windows && !onMount(p))
      gfail(
        GHR.ERROR_NOT_FOUND,
        `layer ${p} is not on a mapped virtual disk, VPMem device or mapped directory`,
      );
  }
  if (scratch !== '') {
    checkGuestPath(scratch, 'ScratchPath', windows);
    if (!windows && !onMount(scratch))
      gfail(GHR.ERROR_NOT_FOUND, `scratch ${scratch} is not on a mapped virtual disk or mapped directory`);
  }
  freeMountPath(t, rootKey);
  t.layers.set(rootKey, {
    ContainerID: containerId,
    ContainerRootPath: rootKey,
    Layers: layers,
    ScratchPath: scratch,
    FilterType: filterType,
  });
}

function cwcowCombinedLayers(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const containerId = s.string('ContainerID');
  const inner = s.object('CombinedLayers') ?? new Fields({}, 'Settings.CombinedLayers');
  combinedLayers(ctx, rt, new Fields({ ...inner.raw, ContainerID: containerId }, 'Settings.CombinedLayers'));
}

// ---- WCOW block CIMs ----

function blockCims(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const volume = s.string('VolumeGUID');
  const containerId = s.string('ContainerID');
  const flags = s.u32('MountFlags');
  const cims = s.array('BlockCIMs').map((c) => ({ CimName: c.string('CimName'), Lun: c.i32('Lun') }));
  if (!isGuid(volume)) gfail(GHR.E_INVALIDARG, `VolumeGUID ${JSON.stringify(volume)} is not a GUID`);
  const key = volume.toLowerCase();
  const t = ctx.table;
  if (rt === 'Remove') {
    if (!t.blockCims.has(key)) gfail(GHR.ERROR_NOT_FOUND, `no block CIMs are mounted as volume ${volume}`);
    t.blockCims.delete(key);
    return;
  }
  if (cims.length === 0) gfail(GHR.E_INVALIDARG, 'BlockCIMs must name at least one CIM');
  for (const c of cims) {
    if (c.CimName === '') gfail(GHR.E_INVALIDARG, 'BlockCIMs: CimName is required');
    hostDisk(ctx, 0, c.Lun);
  }
  if (t.blockCims.has(key)) gfail(GHR.ERROR_ALREADY_EXISTS, `volume ${volume} is already mounted`);
  t.blockCims.set(key, { VolumeGUID: volume, ContainerID: containerId, MountFlags: flags, BlockCIMs: cims });
}

// ---- HvSocket, security policy, memory ----

function hvSocket(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const local = s.string('LocalAddress');
  const parent = s.string('ParentAddress');
  if (!isGuid(local)) gfail(GHR.E_INVALIDARG, `LocalAddress ${JSON.stringify(local)} is not a GUID`);
  if (!isGuid(parent)) gfail(GHR.E_INVALIDARG, `ParentAddress ${JSON.stringify(parent)} is not a GUID`);
  if (local.toLowerCase() !== ctx.runtimeId.toLowerCase())
    gfail(GHR.E_INVALIDARG, `LocalAddress ${local} is not this VM's RuntimeId ${ctx.runtimeId}`);
  ctx.table.hvSocket = { LocalAddress: local, ParentAddress: parent };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function securityPolicy(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const enforcer = s.string('EnforcerType');
  const policy = s.string('EncodedSecurityPolicy');
  const uvmRef = s.string('EncodedUVMReference');
  const envelope = s.string('EncodedUVMHashEnvelopeReference');
  if (!BASE64.test(policy)) gfail(GHR.E_FAIL, 'EncodedSecurityPolicy is not base64');
  if (ctx.table.securityPolicy !== null) gfail(GHR.E_FAIL, 'a security policy has already been set');
  ctx.table.securityPolicy = {
    EnforcerType: enforcer,
    EncodedSecurityPolicy: policy,
    EncodedUVMReference: uvmRef,
    EncodedUVMHashEnvelopeReference: envelope,
  };
}

function securityPolicyFragment(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const fragment = s.string('Fragment');
  const mediaType = s.string('MediaType');
  if (fragment === '') gfail(GHR.E_INVALIDARG, 'Fragment is required');
  if (!BASE64.test(fragment)) gfail(GHR.E_FAIL, 'Fragment is not base64');
  ctx.table.policyFragments.push({
    Fragment: fragment,
    MediaType: mediaType === '' ? 'application/cose-x509+rego' : mediaType,
  });
}

function podCgroupMemoryLimit(ctx: ModifyContext): void {
  ctx.table.cgroupMemoryUpdates++;
}

const LINUX: Record<string, Resource> = {
  MappedVirtualDisk: { requestTypes: ['Add', 'Remove'], handler: mappedVirtualDiskLinux },
  SCSIDevice: { requestTypes: ['Remove'], handler: scsiDeviceRemove },
  MappedDirectory: { requestTypes: ['Add', 'Remove'], handler: mappedDirectoryLinux },
  VPMemDevice: { requestTypes: ['Add', 'Remove'], handler: vpmemDevice },
  VPCIDevice: { requestTypes: ['Add'], handler: vpciDevice },
  Network: { requestTypes: ['Add', 'Remove'], handler: networkLinux },
  CombinedLayers: { requestTypes: ['Add', 'Remove'], handler: (c, r, s) => combinedLayers(c, r, s) },
  SecurityPolicy: { requestTypes: ['Add'], handler: securityPolicy },
  SecurityPolicyFragment: { requestTypes: ['Add'], handler: securityPolicyFragment },
  PodCgroupMemoryLimit: { requestTypes: ['Update'], handler: podCgroupMemoryLimit },
};

const WINDOWS: Record<string, Resource> = {
  MappedVirtualDisk: { requestTypes: ['Add', 'Remove'], handler: mappedVirtualDiskWindows(false) },
  MappedVirtualDiskForContainerScratch: { requestTypes: ['Add'], handler: mappedVirtualDiskWindows(true) },
  MappedDirectory: { requestTypes: ['Add', 'Remove'], handler: mappedDirectoryWindows },
  Network: { requestTypes: ['Add', 'Remove'], handler: networkWindows },
  NetworkNamespace: { requestTypes: ['Add', 'Remove'], handler: networkNamespace },
  CombinedLayers: { requestTypes: ['Add', 'Remove'], handler: (c, r, s) => combinedLayers(c, r, s) },
  CWCOWCombinedLayers: { requestTypes: ['Add', 'Remove'], handler: cwcowCombinedLayers },
  WCOWBlockCims: { requestTypes: ['Add', 'Remove'], handler: blockCims },
  HvSocket: { requestTypes: ['Update'], handler: hvSocket },
  SecurityPolicy: { requestTypes: ['Add'], handler: securityPolicy },
  SecurityPolicyFragment: { requestTypes: ['Add'], handler: securityPolicyFragment },
};

/** The ResourceTypes an OS's guest serves, with their RequestTypes (for docs and tests). */
export function supportedResources(os: GuestOs): Record<string, readonly string[]> {
  const table = os === 'Linux' ? LINUX : WINDOWS;
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v.requestTypes]));
}
