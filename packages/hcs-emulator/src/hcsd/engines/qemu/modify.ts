/**
 * HcsModifyComputeSystem on a running QEMU VM: every resource path of hcs-api.md §6a, realized
 * through QMP as qemu.md §7 maps it, or refused with ERROR_NOT_SUPPORTED and the reason (the rows
 * of the README's choices table). Removals wait for `DEVICE_DELETED` (the guest released the
 * device) before the backend is deleted. A failure undoes the half-done part, so QEMU matches
 * the device table that the service leaves untouched.
 */
import { statSync, symlinkSync, unlinkSync } from 'node:fs';
import { totalmem } from 'node:os';
import { NULL_GUID } from '@uvmkit/hcs-schema';
import type { ModifyCall } from '../../engine.js';
import { fail, HcsdFailure, HR } from '../../errors.js';
import { isObj, type Obj } from '../../json.js';
import type { CpuLimiter } from './cgroup.js';
import {
  MEMORY_BLOCK_MB,
  MEMORY_GROWTH_MB,
  netdevArgs,
  netdevId,
  nicDevice,
  nicId,
  type P9Slot,
  pmemDevice,
  pmemId,
  pmemObject,
  type ScsiController,
  scsiBlockdev,
  scsiDevice,
  scsiDiskId,
  scsiNodeName,
  shareDevice,
  shareId,
  shareReadOnly,
  VIRTIO_MEM_ID,
} from './cmdline.js';
import { checkAttachment, checkPmem } from './preflight.js';
import type { QmpClient } from './qmp.js';

/** How long the guest gets to release a device after `device_del`. */
export const DEVICE_DELETE_TIMEOUT_MS = 15_000;

/** The live VM state a Modify works on (owned by the VM object). */
export interface ModifyContext {
  readonly qmp: QmpClient;
  readonly vmDir: string;
  readonly config: Obj;
  readonly scsi: readonly ScsiController[];
  readonly ports: readonly string[];
  /** Device id → root port (mutated here). */
  readonly placement: Record<string, string>;
  readonly p9Slots: readonly P9Slot[];
  /** Share device id → fsdev slot (mutated here). */
  readonly p9Used: Record<string, string>;
  readonly bootMemoryMB: number;
  readonly processors: number;
  readonly pid: number;
  readonly limiter: CpuLimiter;
}

/** Why each refused path cannot be realized here (also the README's table). */
export const UNREALIZABLE: Readonly<Record<string, string>> = {
  VPMemRemove: 'QEMU cannot unplug virtio-pmem ("virtio based memory devices cannot be unplugged")',
  VPMemMapping: 'multi-mapped VPMem has no virtio-pmem counterpart',
  VirtualPci: 'device assignment needs VFIO, and this host has no /dev/vfio or IOMMU',
  VsmbShare: 'VSMB is a Hyper-V VMBus file share; there is no QEMU device for it (use Plan9)',
  FlexibleIov: 'Flexible IOV devices are Hyper-V emulator plug-ins with no QEMU counterpart',
  SharedMemoryRegion: 'Hyper-V shared memory sections have no QEMU counterpart here',
  MappedPipe: 'a mapped pipe needs the Hyper-V VMBus pipe transport (use the HvSocket relay)',
  ComPort: 'COM ports are ISA serial devices, which QEMU cannot hot-plug (give them in the create document)',
  CpuGroup: 'Hyper-V CPU groups have no counterpart (processor limits use a cgroup instead)',
  IdledProcessors:
    'a vCPU count change is vCPU hot-plug, which stalls the guest for 12–30 s under TCG and crashed QEMU 7.2 (qemu.md §4)',
  CpuFrequencyPowerCap: 'QEMU cannot cap a vCPU frequency',
  Gpu: 'GPU partitioning needs a host GPU and VFIO',
  Licensing: 'Hyper-V licensing state has no QEMU counterpart',
  MemoryAboveGrowth: `a running VM grows at most ${MEMORY_GROWTH_MB} MB above its boot memory (the size of its virtio-mem device)`,
  ProcessorReservation: 'a CPU reservation has no cgroup counterpart on this host',
  ProcessorMaximumFrequency: 'QEMU cannot cap a vCPU frequency',
  NicUpdate:
    'only ConnectionState can change on a running NIC (QEMU set_link); MAC and endpoint are fixed at device_add',
};

function refuse(row: keyof typeof UNREALIZABLE, what: string): never {
  fail(HR.ERROR_NOT_SUPPORTED, `${what}: not realizable by the qemu engine: ${UNREALIZABLE[row]}`);
}

const get = (o: unknown, ...keys: string[]): unknown => {
  let v: unknown = o;
  for (const k of keys) v = isObj(v) ? v[k] : undefined;
  return v;
};

function freePort(ctx: ModifyContext, deviceId: string): string {
  const used = new Set(Object.values(ctx.placement));
  const port = ctx.ports.find((p) => !used.has(p));
  if (port === undefined)
    fail(HR.E_FAIL, `no free PCI root port for ${deviceId} (all ${ctx.ports.length} are in use)`);
  return port;
}

/** `device_del` and wait for the guest to release the device. */
async function unplug(ctx: ModifyContext, id: string, signal: AbortSignal): Promise<void> {
  const deleted = ctx.qmp.waitEvent('DEVICE_DELETED', (d) => d.device === id, {
    timeoutMs: DEVICE_DELETE_TIMEOUT_MS,
    signal,
  });
  deleted.catch(() => {});
  try {
    await ctx.qmp.execute('device_del', { id }, { signal });
  } catch (e) {
    void deleted.catch(() => {});
    throw e;
  }
  try {
    await deleted;
  } catch (e) {
    if (e instanceof HcsdFailure && e.hresult === HR.E_FAIL)
      fail(
        HR.ERROR_TIMEOUT,
        `device ${id}: the guest did not release it within ${DEVICE_DELETE_TIMEOUT_MS} ms (${e.message})`,
      );
    throw e;
  }
}

/** Best-effort undo of a half-done add. */
async function undo(ctx: ModifyContext, command: string, args: Obj): Promise<void> {
  try {
    await ctx.qmp.execute(command, args, { timeoutMs: 5_000 });
  } catch {
    // the add's own error is what the caller reports
  }
}

function controllerFor(ctx: ModifyContext, key: string): ScsiController {
  const lower = key.toLowerCase();
  const c = ctx.scsi.find((s) => s.key.toLowerCase() === lower);
  if (!c) fail(HR.ERROR_DEV_NOT_EXIST, `SCSI controller ${key} is not configured on this VM`);
  return c;
}

async function scsi(ctx: ModifyContext, call: ModifyCall, signal: AbortSignal): Promise<void> {
  const c = controllerFor(ctx, String(call.match.params.controller));
  const lun = Number(call.match.params.lun);
  if (call.requestType === 'Add') {
    const att = call.settings as Obj;
    checkAttachment(`Scsi ${c.key} LUN ${lun}`, att);
    await ctx.qmp.execute('blockdev-add', scsiBlockdev(c.id, lun, att), { signal });
    try {
      await ctx.qmp.execute('device_add', scsiDevice(c.id, lun, att), { signal });
    } catch (e) {
      await undo(ctx, 'blockdev-del', { 'node-name': scsiNodeName(c.id, lun) });
      throw e;
    }
    return;
  }
  await unplug(ctx, scsiDiskId(c.id, lun), signal);
  await ctx.qmp.execute('blockdev-del', { 'node-name': scsiNodeName(c.id, lun) }, { signal });
}

async function nic(ctx: ModifyContext, call: ModifyCall, signal: AbortSignal): Promise<void> {
  const key = String(call.match.params.nicId);
  const id = nicId(key);
  const settings = (call.settings ?? {}) as Obj;
  if (call.requestType === 'Add') {
    const port = freePort(ctx, id);
    const dev = nicDevice(key, settings, port);
    await ctx.qmp.execute('netdev_add', netdevArgs(key), { signal });
    try {
      await ctx.qmp.execute('device_add', dev, { signal });
    } catch (e) {
      await undo(ctx, 'netdev_del', { id: netdevId(key) });
      throw e;
    }
    ctx.placement[id] = port;
    return;
  }
  if (call.requestType === 'Remove') {
    await unplug(ctx, id, signal);
    delete ctx.placement[id];
    await ctx.qmp.execute('netdev_del', { id: netdevId(key) }, { signal });
    return;
  }
  // Update: only the link state can change.
  const nics = get(ctx.config, 'VirtualMachine', 'Devices', 'NetworkAdapters');
  const current = isObj(nics)
    ? Object.entries(nics).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1]
    : undefined;
  for (const field of ['MacAddress', 'EndpointId', 'InstanceId']) {
    const now = get(current, field);
    const next = settings[field];
    if (next !== undefined && String(next).toLowerCase() !== String(now ?? '').toLowerCase())
      refuse('NicUpdate', `NetworkAdapters/${key} Update of ${field}`);
  }
  const state = settings.ConnectionState;
  if (state !== undefined)
    await ctx.qmp.execute('set_link', { name: id, up: state !== 'Disabled' }, { signal });
}

function setLink(link: string, target: string): void {
  try {
    unlinkSync(link);
  } catch {
    // absent
  }
  symlinkSync(target, link);
}

async function plan9(ctx: ModifyContext, call: ModifyCall, signal: AbortSignal): Promise<void> {
  const share = call.settings as Obj;
  const name = String(share.Name);
  const id = shareId(name);
  if (call.requestType === 'Add') {
    const path = share.Path;
    if (typeof path !== 'string') fail(HR.E_INVALIDARG, `Plan9 share ${name}: Path is required`);
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      fail(HR.ERROR_PATH_NOT_FOUND, `Plan9 share ${name}: ${path} does not exist`);
    }
    if (!isDir) fail(HR.E_INVALIDARG, `Plan9 share ${name}: ${path} is not a directory`);
    const ro = shareReadOnly(share);
    const inUse = new Set(Object.values(ctx.p9Used));
    const slot = ctx.p9Slots.find((s) => s.readOnly === ro && !inUse.has(s.fsdev));
    if (!slot)
      fail(HR.E_FAIL, `Plan9 share ${name}: every ${ro ? 'read-only' : 'read-write'} 9p slot is in use`);
    const port = freePort(ctx, id);
    setLink(slot.link, path);
    try {
      await ctx.qmp.execute('device_add', shareDevice(share, slot.fsdev, port), { signal });
    } catch (e) {
      setLink(slot.link, ctx.vmDir);
      throw e;
    }
    ctx.p9Used[id] = slot.fsdev;
    ctx.placement[id] = port;
    return;
  }
  await unplug(ctx, id, signal);
  const fsdev = ctx.p9Used[id];
  const slot = ctx.p9Slots.find((s) => s.fsdev === fsdev);
  if (slot) setLink(slot.link, ctx.vmDir);
  delete ctx.p9Used[id];
  delete ctx.placement[id];
}

async function vpmem(ctx: ModifyContext, call: ModifyCall, signal: AbortSignal): Promise<void> {
  const index = String(call.match.params.deviceNumber);
  if (call.requestType === 'Remove') refuse('VPMemRemove', `VirtualPMem/Devices/${index} Remove`);
  const dev = call.settings as Obj;
  if (isObj(dev.Mappings) && Object.keys(dev.Mappings).length > 0)
    refuse('VPMemMapping', `VirtualPMem/Devices/${index}.Mappings`);
  const size = checkPmem(index, dev);
  const id = pmemId(index);
  const port = freePort(ctx, id);
  const obj = pmemObject(index, dev, size);
  await ctx.qmp.execute('object-add', obj, { signal });
  try {
    await ctx.qmp.execute('device_add', pmemDevice(index, port), { signal });
  } catch (e) {
    await undo(ctx, 'object-del', { id: obj.id });
    throw e;
  }
  ctx.placement[id] = port;
}

/**
 * The VM's memory to `SizeInMB`: up to the boot size the balloon takes it there (and nothing is
 * plugged); above it the balloon is let out and the virtio-mem device is asked for the rest, which
 * the guest's driver plugs. Both are asynchronous in the guest, as Hyper-V's memory resize is.
 */
async function memory(ctx: ModifyContext, call: ModifyCall, signal: AbortSignal): Promise<void> {
  const mb = call.settings;
  if (typeof mb !== 'number') fail(HR.E_INVALIDARG, 'Memory/SizeInMB: Settings must be a number');
  const boot = ctx.bootMemoryMB;
  const grow = Math.max(0, mb - boot);
  if (grow > MEMORY_GROWTH_MB) refuse('MemoryAboveGrowth', `Memory/SizeInMB ${mb} (boot memory ${boot} MB)`);
  if (grow % MEMORY_BLOCK_MB !== 0)
    fail(
      HR.E_INVALIDARG,
      `Memory/SizeInMB ${mb}: above the boot memory it grows in ${MEMORY_BLOCK_MB} MB blocks`,
    );
  const host = totalmem();
  if (mb * 1024 * 1024 > host)
    fail(
      HR.ERROR_NOT_ENOUGH_MEMORY,
      `Memory/SizeInMB ${mb}: more than the host's ${Math.floor(host / 1048576)} MB`,
    );
  const requested = { path: `/machine/peripheral/${VIRTIO_MEM_ID}`, property: 'requested-size' };
  if (grow === 0) await ctx.qmp.execute('qom-set', { ...requested, value: 0 }, { signal });
  await ctx.qmp.execute('balloon', { value: Math.min(mb, boot) * 1024 * 1024 }, { signal });
  if (grow > 0) await ctx.qmp.execute('qom-set', { ...requested, value: grow * 1024 * 1024 }, { signal });
}

function limits(ctx: ModifyContext, call: ModifyCall): void {
  const s = (call.settings ?? {}) as Obj;
  if (typeof s.Reservation === 'number' && s.Reservation > 0)
    refuse('ProcessorReservation', 'Processor/Limits.Reservation');
  if (typeof s.MaximumFrequencyMHz === 'number' && s.MaximumFrequencyMHz > 0)
    refuse('ProcessorMaximumFrequency', 'Processor/Limits.MaximumFrequencyMHz');
  const limit = typeof s.Limit === 'number' ? s.Limit : undefined;
  const weight = typeof s.Weight === 'number' ? s.Weight : undefined;
  if (limit !== undefined && (limit < 1 || limit > 10000))
    fail(HR.E_INVALIDARG, `Processor/Limits.Limit ${limit}: 1…10000`);
  ctx.limiter.apply(ctx.pid, ctx.processors, limit, weight);
}

const resourcePath = (call: ModifyCall): string =>
  typeof call.document.ResourcePath === 'string' ? call.document.ResourcePath : call.match.kind;

/** Realize one validated Modify. */
export async function realizeModify(
  ctx: ModifyContext,
  call: ModifyCall,
  signal: AbortSignal,
): Promise<void> {
  const kind = call.match.kind;
  switch (kind) {
    case 'ScsiAttachment':
      return scsi(ctx, call, signal);
    case 'NetworkAdapter':
      return nic(ctx, call, signal);
    case 'Plan9Share':
      return plan9(ctx, call, signal);
    case 'VPMemDevice':
      return vpmem(ctx, call, signal);
    case 'VPMemMapping':
      return refuse('VPMemMapping', resourcePath(call));
    case 'MemorySize':
      return memory(ctx, call, signal);
    case 'ProcessorLimits':
      limits(ctx, call);
      return;
    case 'CpuGroup': {
      const id = get(call.settings, 'Id');
      const inGroup =
        get(ctx.config, 'VirtualMachine', 'ComputeTopology', 'Processor', 'CpuGroup') !== undefined;
      // Leaving no group is what the VM already is: nothing to realize.
      if (typeof id === 'string' && id.toLowerCase() === NULL_GUID && !inGroup) return;
      return refuse('CpuGroup', resourcePath(call));
    }
    case 'HvSocketService':
      // The relay bridges every service id; the table (committed by the service) is what it consults.
      return;
    case 'VirtualPci':
    case 'VsmbShare':
    case 'FlexibleIov':
    case 'SharedMemoryRegion':
    case 'MappedPipe':
    case 'ComPort':
    case 'IdledProcessors':
    case 'CpuFrequencyPowerCap':
    case 'Gpu':
    case 'Licensing':
      return refuse(kind, resourcePath(call));
  }
}
