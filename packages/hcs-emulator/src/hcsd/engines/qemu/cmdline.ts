/**
 * The QEMU command line for one ComputeSystem document (qemu.md §7): a pure function from the
 * LCOW document to argv, plus the device plan the engine needs for hot-plug (which PCI root port
 * each device sits on, which ports are free, the 9p slots).
 *
 * Layout (fixed, so a restore target gets the very same topology as its source): q35, PVH boot of
 * an uncompressed vmlinux, `-nodefaults -no-user-config`; on pcie.0 at fixed slots: ROOT_PORTS
 * pcie-root-ports (0x02…), then the SCSI controllers (one virtio-scsi-pci per `Devices.Scsi` entry
 * in document order), the virtio-serial bus with the relay port, the balloon, the 9p device slots'
 * fsdevs. NICs, Plan 9 shares and VPMem devices always sit on a root port, so every one of them can
 * be hot-removed (except VPMem, which QEMU cannot unplug). Block devices are `-blockdev` nodes.
 * Arguments that carry host paths use QEMU's JSON syntax, so no path needs comma escaping.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fail, HR } from '../../errors.js';
import { isObj, type Obj } from '../../json.js';

/** PCI root ports created at start, for every device that may be hot-plugged or removed. */
export const ROOT_PORTS = 16;
/** First pcie.0 slot of the root ports; controllers follow them. */
const FIRST_PORT_SLOT = 0x02;
const FIRST_CONTROLLER_SLOT = FIRST_PORT_SLOT + ROOT_PORTS;
/** HCS allows up to 4 SCSI controllers on a VM. */
export const MAX_SCSI_CONTROLLERS = 4;
/** virtio-scsi: HCS LUNs 0…63 on target 0. */
export const MAX_LUN = 63;
/** 9p fsdev slots (the fsdev must be on the command line; its path is a symlink set at realize time). */
export const P9_SLOTS_RW = 4;
export const P9_SLOTS_RO = 2;
/** Memory-device slots and the address space above RAM for VPMem devices. */
export const MEMORY_SLOTS = 8;
export const HOTPLUG_MEMORY_MB = 32768;
/**
 * How far a running VM's memory can grow above its boot size: a virtio-mem device of this size
 * (address space only: its RAM backend has `reserve=off`, so the host commits only what the guest
 * plugs and touches), plugged by the guest's virtio_mem driver when Modify raises SizeInMB.
 */
export const MEMORY_GROWTH_MB = 16384;
/** virtio-mem's plug granularity (the guest plugs and unplugs whole blocks). */
export const MEMORY_BLOCK_MB = 2;
/** The QOM id of that device (QMP `qom-set` of its `requested-size`). */
export const VIRTIO_MEM_ID = 'vmem0';

export type Accel = 'kvm' | 'tcg';

export interface CmdlineInput {
  /** The ComputeSystem document (the create document with committed modifications). */
  readonly config: Obj;
  /** The VM's state directory (QMP socket, relay socket, log, 9p slot links). */
  readonly vmDir: string;
  readonly accel: Accel;
  /** Size in bytes of a host file (VPMem backing files); throws if it cannot be read. */
  readonly fileSize: (path: string) => number;
  /** Device id → root port id, from a saved VM (restore); otherwise ports are assigned in order. */
  readonly placement?: Readonly<Record<string, string>>;
  /** Share device id → 9p fsdev slot, from a saved VM (restore); otherwise slots go in order. */
  readonly p9Placement?: Readonly<Record<string, string>>;
  /** `-incoming` URI (restore). */
  readonly incoming?: string;
  /** `-name` (the compute system id). */
  readonly name?: string;
}

export interface ScsiController {
  /** The HCS key (`Devices.Scsi.<key>`). */
  readonly key: string;
  /** The QEMU device id (`scsi0`…), its bus is `<id>.0`. */
  readonly id: string;
}

export interface P9Slot {
  readonly fsdev: string;
  readonly readOnly: boolean;
  /** The symlink the fsdev's path names; pointed at the share before the device is realized. */
  readonly link: string;
}

export interface VmPlan {
  readonly argv: string[];
  readonly qmpPath: string;
  readonly relayPath: string;
  readonly logPath: string;
  readonly ports: readonly string[];
  /** Device id → root port id, for every device on a root port. */
  readonly placement: Record<string, string>;
  readonly scsi: readonly ScsiController[];
  readonly p9Slots: readonly P9Slot[];
  /** Device id → 9p slot fsdev, for the cold shares. */
  readonly p9Used: Record<string, string>;
  /** Links the engine must create before spawning: link path → target directory. */
  readonly p9Links: Record<string, string>;
  readonly memoryMB: number;
  readonly processors: number;
}

const get = (o: unknown, ...keys: string[]): unknown => {
  let v: unknown = o;
  for (const k of keys) v = isObj(v) ? v[k] : undefined;
  return v;
};

/** A QEMU id for an HCS name: the name itself when it is a safe id, else a hash of it. */
export function qemuId(prefix: string, name: string): string {
  if (/^[A-Za-z0-9_-]{1,40}$/.test(name)) return `${prefix}-${name}`;
  return `${prefix}-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

export const scsiDiskId = (controller: string, lun: number) => `${controller}-lun${lun}`;
export const scsiNodeName = (controller: string, lun: number) => `${controller}-lun${lun}-blk`;
export const nicId = (key: string) => qemuId('nic', key);
export const netdevId = (key: string) => qemuId('net', key);
export const pmemId = (index: string) => `pmem${index}`;
export const pmemMemId = (index: string) => `pmem${index}-mem`;
export const shareId = (name: string) => qemuId('p9', name);

/** The QEMU block driver for a disk path (by extension). */
export function blockFormat(path: string): string {
  const lower = path.toLowerCase();
  if (lower.endsWith('.vhdx')) return 'vhdx';
  if (lower.endsWith('.vhd')) return 'vpc';
  if (lower.endsWith('.qcow2')) return 'qcow2';
  return 'raw';
}

/** `blockdev-add` arguments (and the `-blockdev` JSON) for one SCSI attachment. */
export function scsiBlockdev(controller: string, lun: number, attachment: Obj): Obj {
  const path = attachment.Path;
  if (typeof path !== 'string' || path === '')
    fail(HR.E_INVALIDARG, `Scsi ${controller} LUN ${lun}: Path is required`);
  const type = attachment.Type ?? 'VirtualDisk';
  if (type === 'PassThru' || type === 'ExtensibleVirtualDisk')
    fail(
      HR.ERROR_NOT_SUPPORTED,
      `Scsi attachment Type ${String(type)}: the qemu engine attaches image files only (no host disk pass-through here)`,
    );
  const readOnly = attachment.ReadOnly === true || type === 'Iso';
  const cache = attachment.CachingMode === 'Uncached' ? { direct: false, 'no-flush': false } : undefined;
  return {
    driver: blockFormat(path),
    'node-name': scsiNodeName(controller, lun),
    'read-only': readOnly,
    ...(cache ? { cache } : {}),
    file: { driver: 'file', filename: path, 'read-only': readOnly },
  };
}

/** `device_add` arguments for one SCSI attachment. */
export function scsiDevice(controller: string, lun: number, attachment: Obj): Obj {
  return {
    driver: attachment.Type === 'Iso' ? 'scsi-cd' : 'scsi-hd',
    id: scsiDiskId(controller, lun),
    bus: `${controller}.0`,
    'scsi-id': 0,
    lun,
    drive: scsiNodeName(controller, lun),
  };
}

/** HCS `00-15-5D-01-02-03` (or colons) → `00:15:5d:01:02:03`. */
export function macAddress(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^[0-9A-Fa-f]{2}([-:][0-9A-Fa-f]{2}){5}$/.test(value))
    fail(HR.E_INVALIDARG, `NetworkAdapter MacAddress ${JSON.stringify(value)}: not a MAC address`);
  return value.replace(/-/g, ':').toLowerCase();
}

export function netdevArgs(key: string): Obj {
  return { type: 'user', id: netdevId(key) };
}

export function nicDevice(key: string, adapter: Obj, port: string): Obj {
  const mac = macAddress(adapter.MacAddress);
  return {
    driver: 'virtio-net-pci',
    id: nicId(key),
    netdev: netdevId(key),
    bus: port,
    ...(mac ? { mac } : {}),
  };
}

export function pmemObject(index: string, device: Obj, size: number): Obj {
  const path = device.HostPath;
  if (typeof path !== 'string' || path === '')
    fail(HR.E_INVALIDARG, `VirtualPMem device ${index}: HostPath is required`);
  const readOnly = device.ReadOnly === true;
  return {
    'qom-type': 'memory-backend-file',
    id: pmemMemId(index),
    'mem-path': path,
    size,
    share: !readOnly,
    readonly: readOnly,
  };
}

export function pmemDevice(index: string, port: string): Obj {
  return { driver: 'virtio-pmem-pci', id: pmemId(index), memdev: pmemMemId(index), bus: port };
}

/** Plan 9 share: `Name` is the mount tag; `ReadOnly` or `Flags & 1` is read-only. */
export function shareDevice(share: Obj, fsdev: string, port: string): Obj {
  const name = share.Name;
  if (typeof name !== 'string' || name === '') fail(HR.E_INVALIDARG, 'Plan9 share: Name is required');
  return { driver: 'virtio-9p-pci', id: shareId(name), fsdev, mount_tag: name, bus: port };
}

export const shareReadOnly = (share: Obj) =>
  share.ReadOnly === true || (typeof share.Flags === 'number' && (share.Flags & 1) === 1);

/** Windows pipe name (`\\.\pipe\x`) or Unix path → the Unix socket path a ComPort listens on. */
export function pipeSocketPath(vmDir: string, pipe: string): string {
  if (pipe.startsWith('/')) return pipe;
  const m = /^\\\\[.?]\\pipe\\(.+)$/i.exec(pipe);
  if (!m?.[1])
    fail(
      HR.E_INVALIDARG,
      `ComPort NamedPipe ${JSON.stringify(pipe)}: not a pipe name (\\\\.\\pipe\\<name>) or a Unix path`,
    );
  return join(vmDir, `pipe-${m[1].replace(/[^A-Za-z0-9_.-]/g, '_')}.sock`);
}

/** Fields of `Devices` the engine realizes at start; every other one is refused with a reason. */
const UNREALIZABLE_DEVICES: Record<string, string> = {
  VirtualSmb: 'VSMB is a Hyper-V VMBus file share; there is no QEMU device for it (use Plan9)',
  VirtualPci: 'device assignment needs VFIO, and this host has no /dev/vfio or IOMMU',
  FlexibleIov: 'Flexible IOV devices are Hyper-V emulator plug-ins with no QEMU counterpart',
  SharedMemory: 'Hyper-V shared memory sections have no QEMU counterpart here',
  VideoMonitor: 'the qemu engine runs headless (-display none)',
  EnhancedModeVideo: 'the qemu engine runs headless (-display none)',
  Gpu: 'GPU partitioning needs a host GPU and VFIO',
};
/** Fields accepted at start because they change nothing a Linux guest can see. */
const ACCEPTED_DEVICES = new Set([
  'Scsi',
  'NetworkAdapters',
  'Plan9',
  'VirtualPMem',
  'ComPorts',
  'HvSocket',
  'Keyboard',
  'Mouse',
  'GuestCrashReporting',
  'Battery',
]);

function unsupported(what: string, why: string): never {
  fail(HR.ERROR_NOT_SUPPORTED, `${what}: not realizable by the qemu engine: ${why}`);
}

/** The kernel command line: the document's, plus `console=ttyS0` when it names no console. */
export function kernelCmdline(doc: string): string {
  const parts = doc.trim() === '' ? [] : [doc.trim()];
  if (!/(^|\s)console=/.test(doc)) parts.push('console=ttyS0');
  if (!/(^|\s)panic=/.test(doc)) parts.push('panic=-1');
  // Memory the virtio-mem device plugs comes online by itself, movable so it can be unplugged.
  if (!/(^|\s)memhp_default_state=/.test(doc)) parts.push('memhp_default_state=online_movable');
  return parts.join(' ');
}

/** Translate the document. Throws an HcsdFailure for what the engine cannot realize. */
export function buildCmdline(input: CmdlineInput): VmPlan {
  const { config, vmDir } = input;
  const vm = config.VirtualMachine;
  if (!isObj(vm)) fail(HR.E_INVALIDARG, 'VirtualMachine: the qemu engine runs virtual machines only');
  const chipset = get(vm, 'Chipset');
  const direct = get(chipset, 'LinuxKernelDirect');
  if (isObj(get(chipset, 'Uefi')) && !isObj(direct))
    unsupported('Chipset.Uefi', 'UEFI boot needs OVMF firmware; give Chipset.LinuxKernelDirect');
  if (!isObj(direct)) fail(HR.E_INVALIDARG, 'Chipset.LinuxKernelDirect: is required by the qemu engine');
  const kernel = direct.KernelFilePath;
  if (typeof kernel !== 'string' || kernel === '')
    fail(HR.E_INVALIDARG, 'LinuxKernelDirect.KernelFilePath: is required');
  const initrd = direct.InitRdPath;
  if (initrd !== undefined && (typeof initrd !== 'string' || initrd === ''))
    fail(HR.E_INVALIDARG, 'LinuxKernelDirect.InitRdPath: must be a path');
  const append = typeof direct.KernelCmdLine === 'string' ? direct.KernelCmdLine : '';

  const memoryMB = get(vm, 'ComputeTopology', 'Memory', 'SizeInMB') ?? 1024;
  if (typeof memoryMB !== 'number' || !Number.isInteger(memoryMB) || memoryMB < 64)
    fail(
      HR.E_INVALIDARG,
      `ComputeTopology.Memory.SizeInMB ${JSON.stringify(memoryMB)}: at least 64 (MB) is needed`,
    );
  const processors = get(vm, 'ComputeTopology', 'Processor', 'Count') ?? 1;
  if (typeof processors !== 'number' || !Number.isInteger(processors) || processors < 1 || processors > 64)
    fail(HR.E_INVALIDARG, `ComputeTopology.Processor.Count ${JSON.stringify(processors)}: 1…64`);

  const qmpPath = join(vmDir, 'qmp.sock');
  const relayPath = join(vmDir, 'relay.sock');
  const logPath = join(vmDir, 'vm.log');
  if (vmDir.includes(','))
    fail(HR.E_INVALIDARG, `state directory ${vmDir}: QEMU option values cannot hold a comma`);
  const argv: string[] = [];
  if (input.name !== undefined) argv.push('-name', `guest=${input.name.replace(/,/g, ',,')}`);
  argv.push('-machine', input.accel === 'kvm' ? 'q35,accel=kvm' : 'q35,accel=tcg');
  argv.push('-cpu', input.accel === 'kvm' ? 'host' : 'max');
  const maxmem = memoryMB + HOTPLUG_MEMORY_MB + MEMORY_GROWTH_MB;
  argv.push('-m', `size=${memoryMB}M,slots=${MEMORY_SLOTS},maxmem=${maxmem}M`);
  argv.push('-smp', String(processors));
  argv.push('-nodefaults', '-no-user-config', '-display', 'none');
  if (vm.StopOnReset === true) argv.push('-no-reboot');
  argv.push('-kernel', kernel);
  if (typeof initrd === 'string') argv.push('-initrd', initrd);
  argv.push('-append', kernelCmdline(append));
  argv.push('-qmp', `unix:${qmpPath},server=on,wait=off`);

  const devices = get(vm, 'Devices');
  const devs: Obj = isObj(devices) ? devices : {};
  for (const key of Object.keys(devs)) {
    const why = UNREALIZABLE_DEVICES[key];
    if (why !== undefined) {
      const v = devs[key];
      const empty =
        v === null || (isObj(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
      if (!empty) unsupported(`Devices.${key}`, why);
    } else if (!ACCEPTED_DEVICES.has(key)) unsupported(`Devices.${key}`, 'unknown device class');
  }

  // Serial console (COM1): a ComPorts["0"] pipe (logged to the VM log too), else the VM log.
  const com = get(devs, 'ComPorts');
  if (com !== undefined && !isObj(com)) fail(HR.E_INVALIDARG, 'Devices.ComPorts: must be an object');
  for (const k of Object.keys(com ?? {}))
    if (k !== '0' && k !== '1') fail(HR.E_INVALIDARG, `Devices.ComPorts.${k}: index 0 or 1`);
  for (const idx of ['0', '1']) {
    const port = get(com, idx);
    if (port === undefined) {
      if (idx === '0') argv.push('-chardev', `file,id=com0,path=${logPath},append=on`);
      else continue;
    } else {
      const pipe = get(port, 'NamedPipe');
      if (typeof pipe !== 'string' || pipe === '')
        fail(HR.E_INVALIDARG, `Devices.ComPorts.${idx}.NamedPipe: is required`);
      const sock = pipeSocketPath(vmDir, pipe);
      argv.push(
        '-chardev',
        `socket,id=com${idx},path=${sock},server=on,wait=off,logfile=${logPath},logappend=on`,
      );
    }
    argv.push('-serial', `chardev:com${idx}`);
  }

  // PCI root ports for everything removable.
  const ports: string[] = [];
  for (let i = 0; i < ROOT_PORTS; i++) {
    const id = `rp${i}`;
    ports.push(id);
    argv.push(
      '-device',
      `pcie-root-port,id=${id},bus=pcie.0,chassis=${i + 1},addr=0x${(FIRST_PORT_SLOT + i).toString(16)}`,
    );
  }
  const placement: Record<string, string> = {};
  const preset = input.placement ?? {};
  const taken = new Set(Object.values(preset));
  const portFor = (deviceId: string): string => {
    const fixed = preset[deviceId];
    if (fixed !== undefined) {
      if (!ports.includes(fixed))
        fail(HR.E_INVALIDARG, `saved placement of ${deviceId}: unknown port ${fixed}`);
      placement[deviceId] = fixed;
      return fixed;
    }
    const free = ports.find((p) => !taken.has(p));
    if (free === undefined) fail(HR.E_FAIL, `no free PCI root port for ${deviceId} (${ROOT_PORTS} in all)`);
    taken.add(free);
    placement[deviceId] = free;
    return free;
  };

  // SCSI controllers in document order, with their attachments.
  const scsiMap = get(devs, 'Scsi');
  if (scsiMap !== undefined && !isObj(scsiMap)) fail(HR.E_INVALIDARG, 'Devices.Scsi: must be an object');
  const scsi: ScsiController[] = [];
  const blockArgs: string[] = [];
  for (const [key, ctl] of Object.entries(scsiMap ?? {})) {
    if (scsi.length === MAX_SCSI_CONTROLLERS)
      fail(HR.E_INVALIDARG, `Devices.Scsi: at most ${MAX_SCSI_CONTROLLERS} controllers`);
    const id = `scsi${scsi.length}`;
    argv.push(
      '-device',
      `virtio-scsi-pci,id=${id},bus=pcie.0,addr=0x${(FIRST_CONTROLLER_SLOT + scsi.length).toString(16)}`,
    );
    scsi.push({ key, id });
    const att = get(ctl, 'Attachments');
    for (const [lunKey, a] of Object.entries(isObj(att) ? att : {})) {
      const lun = Number(lunKey);
      if (!/^\d+$/.test(lunKey) || lun > MAX_LUN)
        fail(HR.E_INVALIDARG, `Devices.Scsi.${key}.Attachments.${lunKey}: LUN 0…${MAX_LUN}`);
      if (!isObj(a)) fail(HR.E_INVALIDARG, `Devices.Scsi.${key}.Attachments.${lunKey}: must be an object`);
      blockArgs.push('-blockdev', JSON.stringify(scsiBlockdev(id, lun, a)));
      blockArgs.push('-device', JSON.stringify(scsiDevice(id, lun, a)));
    }
  }
  argv.push(...blockArgs);

  // The relay's virtio-serial port, and the balloon.
  const serialSlot = FIRST_CONTROLLER_SLOT + MAX_SCSI_CONTROLLERS;
  argv.push('-device', `virtio-serial-pci,id=vser0,bus=pcie.0,addr=0x${serialSlot.toString(16)}`);
  argv.push('-chardev', `socket,id=relay,path=${relayPath},server=on,wait=off`);
  argv.push('-device', 'virtserialport,bus=vser0.0,chardev=relay,name=uvmkit.relay');
  argv.push('-device', `virtio-balloon-pci,id=balloon0,bus=pcie.0,addr=0x${(serialSlot + 1).toString(16)}`);
  // Memory growth above the boot size (none plugged at start).
  argv.push('-object', `memory-backend-ram,id=${VIRTIO_MEM_ID}mem,size=${MEMORY_GROWTH_MB}M,reserve=off`);
  argv.push(
    '-device',
    `virtio-mem-pci,id=${VIRTIO_MEM_ID},memdev=${VIRTIO_MEM_ID}mem,requested-size=0,block-size=${MEMORY_BLOCK_MB}M,bus=pcie.0,addr=0x${(serialSlot + 2).toString(16)}`,
  );

  // NICs.
  const nics = get(devs, 'NetworkAdapters');
  if (nics !== undefined && !isObj(nics)) fail(HR.E_INVALIDARG, 'Devices.NetworkAdapters: must be an object');
  for (const [key, nic] of Object.entries(nics ?? {})) {
    if (!isObj(nic)) fail(HR.E_INVALIDARG, `Devices.NetworkAdapters.${key}: must be an object`);
    const dev = nicDevice(key, nic, 'rp?');
    argv.push('-netdev', JSON.stringify(netdevArgs(key)));
    argv.push('-device', JSON.stringify({ ...dev, bus: portFor(nicId(key)) }));
  }

  // Plan 9 shares: fsdev slots (paths are symlinks in the VM dir), cold shares on a slot each.
  const p9Slots: P9Slot[] = [];
  for (let i = 0; i < P9_SLOTS_RW + P9_SLOTS_RO; i++) {
    const readOnly = i >= P9_SLOTS_RW;
    const fsdev = readOnly ? `p9ro${i - P9_SLOTS_RW}` : `p9rw${i}`;
    const link = join(vmDir, `9p-${fsdev}`);
    p9Slots.push({ fsdev, readOnly, link });
    argv.push(
      '-fsdev',
      `local,id=${fsdev},path=${link},security_model=none${readOnly ? ',readonly=on' : ''}`,
    );
  }
  const p9Used: Record<string, string> = {};
  const p9Links: Record<string, string> = {};
  for (const slot of p9Slots) p9Links[slot.link] = vmDir;
  const shares = get(devs, 'Plan9', 'Shares');
  if (shares !== undefined && !Array.isArray(shares))
    fail(HR.E_INVALIDARG, 'Devices.Plan9.Shares: must be an array');
  for (const share of (shares ?? []) as unknown[]) {
    if (!isObj(share)) fail(HR.E_INVALIDARG, 'Devices.Plan9.Shares[]: must be an object');
    const path = share.Path;
    if (typeof path !== 'string' || path === '') fail(HR.E_INVALIDARG, 'Plan9 share: Path is required');
    const ro = shareReadOnly(share);
    const saved = input.p9Placement?.[shareId(String(share.Name))];
    const free = (s: P9Slot) => s.readOnly === ro && !Object.values(p9Used).includes(s.fsdev);
    const slot = p9Slots.find((s) => s.fsdev === saved && free(s)) ?? p9Slots.find(free);
    if (!slot)
      fail(
        HR.E_FAIL,
        `Plan9 share ${String(share.Name)}: all ${ro ? P9_SLOTS_RO : P9_SLOTS_RW} ${ro ? 'read-only' : 'read-write'} 9p slots are in use`,
      );
    const dev = shareDevice(share, slot.fsdev, 'rp?');
    p9Used[dev.id as string] = slot.fsdev;
    p9Links[slot.link] = path;
    argv.push('-device', JSON.stringify({ ...dev, bus: portFor(dev.id as string) }));
  }

  // VPMem devices.
  const pmem = get(devs, 'VirtualPMem', 'Devices');
  if (pmem !== undefined && !isObj(pmem))
    fail(HR.E_INVALIDARG, 'Devices.VirtualPMem.Devices: must be an object');
  for (const [index, d] of Object.entries(pmem ?? {})) {
    if (!isObj(d)) fail(HR.E_INVALIDARG, `Devices.VirtualPMem.Devices.${index}: must be an object`);
    if (isObj(d.Mappings) && Object.keys(d.Mappings).length > 0)
      unsupported(
        `VirtualPMem.Devices.${index}.Mappings`,
        'multi-mapped VPMem has no virtio-pmem counterpart',
      );
    const size = input.fileSize(String(d.HostPath));
    argv.push('-object', JSON.stringify(pmemObject(index, d, size)));
    argv.push('-device', JSON.stringify(pmemDevice(index, portFor(pmemId(index)))));
  }

  if (input.incoming !== undefined) argv.push('-incoming', input.incoming);
  return {
    argv,
    qmpPath,
    relayPath,
    logPath,
    ports,
    placement,
    scsi,
    p9Slots,
    p9Used,
    p9Links,
    memoryMB,
    processors,
  };
}
