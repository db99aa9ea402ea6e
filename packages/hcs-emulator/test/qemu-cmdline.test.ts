import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { describe, expect, it } from 'vitest';
import {
  buildCmdline,
  type CmdlineInput,
  kernelCmdline,
  macAddress,
  pipeSocketPath,
} from '../src/hcsd/engines/qemu/cmdline.js';
import { HcsdFailure, HR } from '../src/hcsd/errors.js';

const SCSI0 = ScsiControllerGuids[0];
const SCSI1 = ScsiControllerGuids[1];
const NIC = '6d2f9c7a-1b7e-4d6a-9a5e-0c1d2e3f4a5b';

function doc(
  devices: Record<string, unknown> = {},
  vm: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    SchemaVersion: { Major: 2, Minor: 1 },
    VirtualMachine: {
      Chipset: {
        LinuxKernelDirect: { KernelFilePath: '/g/vmlinux', InitRdPath: '/g/initrd', KernelCmdLine: 'quiet' },
      },
      ComputeTopology: { Memory: { SizeInMB: 512 }, Processor: { Count: 2 } },
      Devices: devices,
      ...vm,
    },
  };
}

const input = (config: Record<string, unknown>, extra: Partial<CmdlineInput> = {}): CmdlineInput => ({
  config,
  vmDir: '/s/vm1',
  accel: 'tcg',
  fileSize: (p) => (p === '/img/pmem0.img' ? 64 << 20 : Number.NaN),
  ...extra,
});

const PORTS = Array.from({ length: 16 }, (_, i) => [
  '-device',
  `pcie-root-port,id=rp${i},bus=pcie.0,chassis=${i + 1},addr=0x${(2 + i).toString(16)}`,
]).flat();
const FSDEVS = [
  '-fsdev',
  'local,id=p9rw0,path=/s/vm1/9p-p9rw0,security_model=none',
  '-fsdev',
  'local,id=p9rw1,path=/s/vm1/9p-p9rw1,security_model=none',
  '-fsdev',
  'local,id=p9rw2,path=/s/vm1/9p-p9rw2,security_model=none',
  '-fsdev',
  'local,id=p9rw3,path=/s/vm1/9p-p9rw3,security_model=none',
  '-fsdev',
  'local,id=p9ro0,path=/s/vm1/9p-p9ro0,security_model=none,readonly=on',
  '-fsdev',
  'local,id=p9ro1,path=/s/vm1/9p-p9ro1,security_model=none,readonly=on',
];
const HEAD = [
  '-machine',
  'q35,accel=tcg',
  '-cpu',
  'max',
  '-m',
  'size=512M,slots=8,maxmem=49664M', // boot + 32 GiB for VPMem + 16 GiB of memory growth
  '-smp',
  '2',
  '-nodefaults',
  '-no-user-config',
  '-display',
  'none',
];
const BOOT = [
  '-kernel',
  '/g/vmlinux',
  '-initrd',
  '/g/initrd',
  '-append',
  'quiet console=ttyS0 panic=-1 memhp_default_state=online_movable',
  '-qmp',
  'unix:/s/vm1/qmp.sock,server=on,wait=off',
];
const CONSOLE = ['-chardev', 'file,id=com0,path=/s/vm1/vm.log,append=on', '-serial', 'chardev:com0'];
const SERIAL = [
  '-device',
  'virtio-serial-pci,id=vser0,bus=pcie.0,addr=0x16',
  '-chardev',
  'socket,id=relay,path=/s/vm1/relay.sock,server=on,wait=off',
  '-device',
  'virtserialport,bus=vser0.0,chardev=relay,name=uvmkit.relay',
  '-device',
  'virtio-balloon-pci,id=balloon0,bus=pcie.0,addr=0x17',
  '-object',
  'memory-backend-ram,id=vmem0mem,size=16384M,reserve=off',
  '-device',
  'virtio-mem-pci,id=vmem0,memdev=vmem0mem,requested-size=0,block-size=2M,bus=pcie.0,addr=0x18',
];

function failure(fn: () => unknown): HcsdFailure {
  try {
    fn();
  } catch (e) {
    if (e instanceof HcsdFailure) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('qemu command line', () => {
  it('an LCOW document with no devices: q35, PVH kernel, root ports, relay port, balloon, virtio-mem, 9p slots', () => {
    const plan = buildCmdline(input(doc()));
    expect(plan.argv).toEqual([...HEAD, ...BOOT, ...CONSOLE, ...PORTS, ...SERIAL, ...FSDEVS]);
    expect(plan.qmpPath).toBe('/s/vm1/qmp.sock');
    expect(plan.relayPath).toBe('/s/vm1/relay.sock');
    expect(plan.logPath).toBe('/s/vm1/vm.log');
    expect(plan.placement).toEqual({});
    expect(plan.ports).toHaveLength(16);
    expect(plan.memoryMB).toBe(512);
    expect(plan.processors).toBe(2);
    expect(Object.keys(plan.p9Links)).toHaveLength(6);
    expect(Object.values(plan.p9Links).every((t) => t === '/s/vm1')).toBe(true);
  });

  it('every device class: SCSI in document order with its LUNs, NIC with MAC, share, VPMem, COM port', () => {
    const plan = buildCmdline(
      input(
        doc(
          {
            Scsi: {
              [SCSI1]: {
                Attachments: { '3': { Type: 'VirtualDisk', Path: '/img/a,b.vhdx', ReadOnly: true } },
              },
              [SCSI0]: {
                Attachments: {
                  '0': { Type: 'VirtualDisk', Path: '/img/root.img' },
                  '1': { Type: 'Iso', Path: '/img/cd.iso' },
                },
              },
            },
            NetworkAdapters: { [NIC]: { EndpointId: 'e', MacAddress: '00-15-5D-0A-0B-0C' } },
            Plan9: {
              Shares: [{ Name: 'tools', AccessName: 'tools', Path: '/srv/tools', Port: 564, Flags: 1 }],
            },
            VirtualPMem: {
              MaximumCount: 4,
              Devices: { '0': { HostPath: '/img/pmem0.img', ReadOnly: true, ImageFormat: 'Vhd1' } },
            },
            ComPorts: { '0': { NamedPipe: '\\\\.\\pipe\\vm1-com1' } },
            HvSocket: { HvSocketConfig: {} },
          },
          { StopOnReset: true },
        ),
      ),
    );
    const com = [
      '-chardev',
      'socket,id=com0,path=/s/vm1/pipe-vm1-com1.sock,server=on,wait=off,logfile=/s/vm1/vm.log,logappend=on',
      '-serial',
      'chardev:com0',
    ];
    const head = [...HEAD, '-no-reboot', ...BOOT];
    expect(plan.argv).toEqual([
      ...head,
      ...com,
      ...PORTS,
      '-device',
      'virtio-scsi-pci,id=scsi0,bus=pcie.0,addr=0x12',
      '-device',
      'virtio-scsi-pci,id=scsi1,bus=pcie.0,addr=0x13',
      '-blockdev',
      JSON.stringify({
        driver: 'vhdx',
        'node-name': 'scsi0-lun3-blk',
        'read-only': true,
        file: { driver: 'file', filename: '/img/a,b.vhdx', 'read-only': true },
      }),
      '-device',
      JSON.stringify({
        driver: 'scsi-hd',
        id: 'scsi0-lun3',
        bus: 'scsi0.0',
        'scsi-id': 0,
        lun: 3,
        drive: 'scsi0-lun3-blk',
      }),
      '-blockdev',
      JSON.stringify({
        driver: 'raw',
        'node-name': 'scsi1-lun0-blk',
        'read-only': false,
        file: { driver: 'file', filename: '/img/root.img', 'read-only': false },
      }),
      '-device',
      JSON.stringify({
        driver: 'scsi-hd',
        id: 'scsi1-lun0',
        bus: 'scsi1.0',
        'scsi-id': 0,
        lun: 0,
        drive: 'scsi1-lun0-blk',
      }),
      '-blockdev',
      JSON.stringify({
        driver: 'raw',
        'node-name': 'scsi1-lun1-blk',
        'read-only': true,
        file: { driver: 'file', filename: '/img/cd.iso', 'read-only': true },
      }),
      '-device',
      JSON.stringify({
        driver: 'scsi-cd',
        id: 'scsi1-lun1',
        bus: 'scsi1.0',
        'scsi-id': 0,
        lun: 1,
        drive: 'scsi1-lun1-blk',
      }),
      ...SERIAL,
      '-netdev',
      JSON.stringify({ type: 'user', id: `net-${NIC}` }),
      '-device',
      JSON.stringify({
        driver: 'virtio-net-pci',
        id: `nic-${NIC}`,
        netdev: `net-${NIC}`,
        bus: 'rp0',
        mac: '00:15:5d:0a:0b:0c',
      }),
      ...FSDEVS,
      '-device',
      JSON.stringify({
        driver: 'virtio-9p-pci',
        id: 'p9-tools',
        fsdev: 'p9ro0',
        mount_tag: 'tools',
        bus: 'rp1',
      }),
      '-object',
      JSON.stringify({
        'qom-type': 'memory-backend-file',
        id: 'pmem0-mem',
        'mem-path': '/img/pmem0.img',
        size: 64 << 20,
        share: false,
        readonly: true,
      }),
      '-device',
      JSON.stringify({ driver: 'virtio-pmem-pci', id: 'pmem0', memdev: 'pmem0-mem', bus: 'rp2' }),
    ]);
    expect(plan.scsi).toEqual([
      { key: SCSI1, id: 'scsi0' },
      { key: SCSI0, id: 'scsi1' },
    ]);
    expect(plan.placement).toEqual({ [`nic-${NIC}`]: 'rp0', 'p9-tools': 'rp1', pmem0: 'rp2' });
    expect(plan.p9Used).toEqual({ 'p9-tools': 'p9ro0' });
    expect(plan.p9Links['/s/vm1/9p-p9ro0']).toBe('/srv/tools');
  });

  it('a restore keeps the saved placement and adds -incoming', () => {
    const plan = buildCmdline(
      input(doc({ NetworkAdapters: { [NIC]: {} } }), {
        placement: { [`nic-${NIC}`]: 'rp7' },
        incoming: 'exec:cat /s/x.state',
        accel: 'kvm',
        name: 'a,b',
      }),
    );
    expect(plan.argv.slice(0, 6)).toEqual([
      '-name',
      'guest=a,,b',
      '-machine',
      'q35,accel=kvm',
      '-cpu',
      'host',
    ]);
    expect(plan.argv).toContain(
      JSON.stringify({ driver: 'virtio-net-pci', id: `nic-${NIC}`, netdev: `net-${NIC}`, bus: 'rp7' }),
    );
    expect(plan.argv.slice(-2)).toEqual(['-incoming', 'exec:cat /s/x.state']);
    expect(plan.placement).toEqual({ [`nic-${NIC}`]: 'rp7' });
  });

  it('a restore puts each share back on its saved 9p slot', () => {
    const shares = [
      { Name: 'a', Path: '/srv/a' },
      { Name: 'b', Path: '/srv/b' },
    ];
    const plan = buildCmdline(
      input(doc({ Plan9: { Shares: shares } }), { p9Placement: { 'p9-a': 'p9rw2', 'p9-b': 'p9rw0' } }),
    );
    expect(plan.p9Used).toEqual({ 'p9-a': 'p9rw2', 'p9-b': 'p9rw0' });
    expect(plan.p9Links['/s/vm1/9p-p9rw2']).toBe('/srv/a');
    expect(plan.p9Links['/s/vm1/9p-p9rw0']).toBe('/srv/b');
    expect(plan.p9Links['/s/vm1/9p-p9rw1']).toBe('/s/vm1');
  });

  it('an id that is not a safe QEMU id is hashed', () => {
    const plan = buildCmdline(input(doc({ NetworkAdapters: { 'my nic!': {} } })));
    const dev = plan.argv.find((a) => a.includes('virtio-net-pci')) ?? '';
    expect(JSON.parse(dev).id).toMatch(/^nic-[0-9a-f]{16}$/);
  });

  it('kernel command line: console, panic and the hot-plugged memory policy are added only when absent', () => {
    expect(kernelCmdline('')).toBe('console=ttyS0 panic=-1 memhp_default_state=online_movable');
    expect(kernelCmdline('console=hvc0 panic=5 memhp_default_state=offline x')).toBe(
      'console=hvc0 panic=5 memhp_default_state=offline x',
    );
    expect(macAddress('AA:bb:CC:00:11:22')).toBe('aa:bb:cc:00:11:22');
    expect(pipeSocketPath('/d', '/run/x.sock')).toBe('/run/x.sock');
  });

  it.each([
    [
      'no VirtualMachine',
      { SchemaVersion: {} },
      HR.E_INVALIDARG,
      'VirtualMachine: the qemu engine runs virtual machines only',
    ],
    [
      'UEFI boot',
      { VirtualMachine: { Chipset: { Uefi: {} } } },
      HR.ERROR_NOT_SUPPORTED,
      'Chipset.Uefi: not realizable by the qemu engine: UEFI boot needs OVMF firmware; give Chipset.LinuxKernelDirect',
    ],
    [
      'no kernel',
      { VirtualMachine: { Chipset: { LinuxKernelDirect: {} } } },
      HR.E_INVALIDARG,
      'LinuxKernelDirect.KernelFilePath: is required',
    ],
    [
      'tiny memory',
      doc({}, { ComputeTopology: { Memory: { SizeInMB: 8 } } }),
      HR.E_INVALIDARG,
      'ComputeTopology.Memory.SizeInMB 8: at least 64 (MB) is needed',
    ],
    [
      'VSMB share',
      doc({ VirtualSmb: { Shares: [{ Name: 'x', Path: '/x' }] } }),
      HR.ERROR_NOT_SUPPORTED,
      'Devices.VirtualSmb: not realizable by the qemu engine: VSMB is a Hyper-V VMBus file share; there is no QEMU device for it (use Plan9)',
    ],
    [
      'VirtualPci',
      doc({ VirtualPci: { a: { Functions: [] } } }),
      HR.ERROR_NOT_SUPPORTED,
      'Devices.VirtualPci: not realizable by the qemu engine: device assignment needs VFIO, and this host has no /dev/vfio or IOMMU',
    ],
    [
      'unknown class',
      doc({ Frobnicator: {} }),
      HR.ERROR_NOT_SUPPORTED,
      'Devices.Frobnicator: not realizable by the qemu engine: unknown device class',
    ],
    [
      'pass-through disk',
      doc({ Scsi: { a: { Attachments: { '0': { Type: 'PassThru', Path: '/dev/sda' } } } } }),
      HR.ERROR_NOT_SUPPORTED,
      'Scsi attachment Type PassThru: the qemu engine attaches image files only (no host disk pass-through here)',
    ],
    [
      'LUN out of range',
      doc({ Scsi: { a: { Attachments: { '64': { Path: '/x' } } } } }),
      HR.E_INVALIDARG,
      'Devices.Scsi.a.Attachments.64: LUN 0…63',
    ],
    [
      'bad MAC',
      doc({ NetworkAdapters: { n: { MacAddress: 'zz' } } }),
      HR.E_INVALIDARG,
      'NetworkAdapter MacAddress "zz": not a MAC address',
    ],
    [
      'COM3',
      doc({ ComPorts: { '2': { NamedPipe: '/x' } } }),
      HR.E_INVALIDARG,
      'Devices.ComPorts.2: index 0 or 1',
    ],
    [
      'bad pipe',
      doc({ ComPorts: { '0': { NamedPipe: 'COM1' } } }),
      HR.E_INVALIDARG,
      'ComPort NamedPipe "COM1": not a pipe name (\\\\.\\pipe\\<name>) or a Unix path',
    ],
    [
      'five controllers',
      doc({ Scsi: { a: {}, b: {}, c: {}, d: {}, e: {} } }),
      HR.E_INVALIDARG,
      'Devices.Scsi: at most 4 controllers',
    ],
    [
      'three read-only shares',
      doc({ Plan9: { Shares: [1, 2, 3].map((i) => ({ Name: `s${i}`, Path: '/x', Flags: 1 })) } }),
      HR.E_FAIL,
      'Plan9 share s3: all 2 read-only 9p slots are in use',
    ],
  ])('refuses %s', (_name, config, hresult, message) => {
    const f = failure(() => buildCmdline(input(config as Record<string, unknown>)));
    expect([f.hresult, f.message]).toEqual([hresult, message]);
  });

  it('refuses a state directory with a comma', () => {
    const f = failure(() => buildCmdline(input(doc(), { vmDir: '/s/a,b' })));
    expect([f.hresult, f.message]).toEqual([
      HR.E_INVALIDARG,
      'state directory /s/a,b: QEMU option values cannot hold a comma',
    ]);
  });
});
