/** HcsModifyComputeSystem on a real QEMU VM: every hot-add visible in QEMU and the guest, gone after Remove. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rejection, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeSystem } from '../../src/compute-system.js';
import type { HcsError } from '../../src/errors.js';
import {
  alive,
  type QemuHcsd,
  qemuDocument,
  qemuView,
  qmp,
  SCSI0,
  startQemuHcsd,
  waitDevices,
  waitLog,
} from './helpers.js';

const DEV = 'VirtualMachine/Devices';
const NIC = '6d2f9c7a-1b7e-4d6a-9a5e-0c1d2e3f4a5b';
const NOT_SUPPORTED = 0x80070032;
const EP = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';

let q: QemuHcsd;
let cs: ComputeSystem;
let id: string;
let pid = 0;
const scratch = mkdtempSync(join(tmpdir(), 'uvmkit-qemu-mod-'));
const disk = join(scratch, 'disk.img');
const share = join(scratch, 'share');
const pmem = join(scratch, 'pmem.img');

beforeAll(async () => {
  const content = join(scratch, 'content');
  mkdirSync(content);
  writeFileSync(join(content, 'marker'), 'uvmkit-marker\n');
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', content, disk, '16M']);
  mkdirSync(share);
  writeFileSync(join(share, 'hello'), 'from the host\n');
  writeFileSync(pmem, '');
  truncateSync(pmem, 4 << 20);
  q = await startQemuHcsd();
  id = uniqueSystemId('qemu-mod');
  cs = await ComputeSystem.create(id, qemuDocument({ memoryMB: 512 }));
  await cs.start();
  pid = (await qemuView(q.hcsd, id)).pid ?? 0;
  await waitLog(q.hcsd, id, /uvmkit-init: READY/);
});
afterAll(async () => {
  await cs?.terminate().catch(() => {});
  await cs?.close().catch(() => {});
  await q?.hcsd.stop();
  if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
  rmSync(q?.stateDir ?? '/nonexistent', { recursive: true, force: true });
});

const modify = (ResourcePath: string, RequestType: string, Settings?: unknown) =>
  cs.modify({ ResourcePath, RequestType, ...(Settings === undefined ? {} : { Settings }) });

describe('qemu engine: Modify', () => {
  it('SCSI disk: blockdev + scsi-hd in QEMU, sda in the guest; Remove deletes both', async () => {
    const path = `${DEV}/Scsi/${SCSI0}/Attachments/2`;
    await modify(path, 'Add', { Type: 'VirtualDisk', Path: disk });
    const view = await qemuView(q.hcsd, id);
    expect(view.block).toContainEqual({ qdev: 'scsi0-lun2', node: 'scsi0-lun2-blk', file: disk });
    // The guest saw the disk at once (uevent), mounted its ext4 and read the marker file.
    const log = await waitLog(q.hcsd, id, /uvmkit-init: disk sda marker=uvmkit-marker/);
    expect(log).toContain('uvmkit-init: uevent add sda');
    expect(await waitDevices(q.hcsd, id, (l) => l.includes('block=sda,'))).toContain('block=sda,');
    await modify(path, 'Remove');
    await waitLog(q.hcsd, id, /uvmkit-init: uevent remove sda/);
    expect((await qemuView(q.hcsd, id)).block?.some((b) => b.qdev === 'scsi0-lun2')).toBe(false);
    const nodes = await qmp<{ 'node-name': string }[]>(q.hcsd, id, 'query-named-block-nodes');
    expect(nodes.some((n) => n['node-name'].startsWith('scsi0-lun2'))).toBe(false);
    expect(await waitDevices(q.hcsd, id, (l) => l.includes('block= '))).toContain('block= ');
  });

  it('an unreadable disk image: ERROR_FILE_NOT_FOUND, nothing added', async () => {
    const err = await rejection<HcsError>(
      modify(`${DEV}/Scsi/${SCSI0}/Attachments/5`, 'Add', {
        Type: 'VirtualDisk',
        Path: join(scratch, 'missing.img'),
      }),
    );
    expect((err.hresult ?? 0) >>> 0).toBe(0x80070002);
    expect((await qemuView(q.hcsd, id)).block?.some((b) => b.qdev === 'scsi0-lun5')).toBe(false);
  });

  it('NIC: virtio-net-pci on a root port with the MAC, eth0 in the guest; Remove unplugs it', async () => {
    const path = `${DEV}/NetworkAdapters/${NIC}`;
    await modify(path, 'Add', { EndpointId: EP, MacAddress: '00-15-5D-0A-0B-0C' });
    const view = await qemuView(q.hcsd, id);
    const dev = view.pci?.find((d) => d.id === `nic-${NIC}`);
    expect(dev?.port).toBe(view.placement[`nic-${NIC}`]);
    expect(dev?.port).toMatch(/^rp\d+$/);
    const mac = await qmp<string>(q.hcsd, id, 'qom-get', {
      path: `/machine/peripheral/nic-${NIC}`,
      property: 'mac',
    });
    expect(mac).toBe('00:15:5d:0a:0b:0c');
    await waitDevices(q.hcsd, id, (l) => l.includes('net=eth0,lo,'));
    await modify(path, 'Remove', { EndpointId: EP, MacAddress: '00-15-5D-0A-0B-0C' });
    expect((await qemuView(q.hcsd, id)).pci?.some((d) => d.id === `nic-${NIC}`)).toBe(false);
    await waitDevices(q.hcsd, id, (l) => l.includes('net=lo,'));
  });

  it('Plan 9 share: virtio-9p-pci with its mount tag; Remove unplugs it', async () => {
    const s = { Name: 'hostshare', AccessName: 'hostshare', Path: share, Port: 564, Flags: 0 };
    await modify(`${DEV}/Plan9/Shares`, 'Add', s);
    expect((await qemuView(q.hcsd, id)).pci?.some((d) => d.id === 'p9-hostshare')).toBe(true);
    await waitDevices(q.hcsd, id, (l) => l.includes('9p=hostshare,'));
    await modify(`${DEV}/Plan9/Shares`, 'Remove', { Name: 'hostshare', AccessName: 'hostshare', Port: 564 });
    expect((await qemuView(q.hcsd, id)).pci?.some((d) => d.id === 'p9-hostshare')).toBe(false);
    await waitDevices(q.hcsd, id, (l) => l.includes('9p= '));
  });

  it('VPMem: virtio-pmem-pci, /dev/pmem0 in the guest; its Remove is refused with the reason', async () => {
    await modify(`${DEV}/VirtualPMem/Devices/0`, 'Add', {
      HostPath: pmem,
      ReadOnly: true,
      ImageFormat: 'Vhd1',
    });
    expect((await qemuView(q.hcsd, id)).pci?.some((d) => d.id === 'pmem0')).toBe(true);
    await waitLog(q.hcsd, id, /uvmkit-init: uevent add pmem0/);
    const err = await rejection<HcsError>(modify(`${DEV}/VirtualPMem/Devices/0`, 'Remove'));
    expect((err.hresult ?? 0) >>> 0).toBe(NOT_SUPPORTED);
    expect(err.message).toContain('QEMU cannot unplug virtio-pmem');
    expect((await qemuView(q.hcsd, id)).pci?.some((d) => d.id === 'pmem0')).toBe(true);
  });

  it('memory: the balloon shrinks the VM; above the boot size the guest plugs virtio-mem blocks, and unplugs them', async () => {
    const MB = 1024 * 1024;
    const until = async <T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
      const deadline = Date.now() + 90_000;
      let v = await read();
      while (!done(v) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        v = await read();
      }
      return v;
    };
    const balloon = (mb: number) =>
      until(
        () => qmp<{ actual: number }>(q.hcsd, id, 'query-balloon'),
        (b) => b.actual === mb * MB,
      );
    // What the guest's virtio_mem driver has plugged (QEMU learns it from the driver's requests).
    const plugged = async (): Promise<{ size: number; 'requested-size': number }> => {
      const devs = await qmp<
        { type: string; data: { id?: string; size: number; 'requested-size': number } }[]
      >(q.hcsd, id, 'query-memory-devices');
      const vmem = devs.find((d) => d.type === 'virtio-mem')?.data;
      if (vmem === undefined) throw new Error('no virtio-mem device');
      return vmem;
    };
    const size = 'VirtualMachine/ComputeTopology/Memory/SizeInMB';

    await modify(size, 'Update', 256);
    expect((await balloon(256)).actual).toBe(256 * MB);
    expect((await plugged()).size).toBe(0);

    await modify(size, 'Update', 1024);
    const grown = await until(plugged, (v) => v.size === 512 * MB);
    expect(grown).toMatchObject({ size: 512 * MB, 'requested-size': 512 * MB });
    expect((await balloon(512)).actual).toBe(512 * MB); // the boot memory, all of it let out of the balloon

    await modify(size, 'Update', 512);
    const back = await until(plugged, (v) => v.size === 0);
    expect(back).toMatchObject({ size: 0, 'requested-size': 0 }); // movable memory: the guest gave it back

    const tooMuch = await rejection<HcsError>(modify(size, 'Update', 512 + 16384 + 2));
    expect((tooMuch.hresult ?? 0) >>> 0).toBe(NOT_SUPPORTED);
    expect(tooMuch.message).toContain('a running VM grows at most 16384 MB above its boot memory');
    const odd = await rejection<HcsError>(modify(size, 'Update', 513));
    expect(odd.code).toBe('ERROR_INVALID_PARAMETER');
    expect(odd.message).toContain('above the boot memory it grows in 2 MB blocks');
  });

  it('processor limits: a cgroup cpu quota on the QEMU process', async () => {
    await modify('VirtualMachine/ComputeTopology/Processor/Limits', 'Update', { Limit: 5000, Weight: 200 });
    const view = await qemuView(q.hcsd, id);
    expect(view.cgroup?.['cgroup.procs']?.split('\n')).toContain(String(view.pid));
    if (view.cgroup?.['cpu.cfs_quota_us'] !== undefined) {
      expect(view.cgroup['cpu.cfs_quota_us']).toBe('50000');
      expect(view.cgroup['cpu.shares']).toBe('2048');
    } else {
      expect(view.cgroup?.['cpu.max']).toBe('50000 100000');
    }
  });

  it.each([
    [
      'VirtualPci Add',
      `${DEV}/VirtualPci/a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d`,
      'Add',
      { Functions: [{ DeviceInstancePath: 'PCI\\VEN_1' }] },
      'VFIO',
    ],
    ['VSMB share Add', `${DEV}/VirtualSmb/Shares`, 'Add', { Name: 's', Path: '/tmp' }, 'VSMB'],
    ['mapped pipe Add', `${DEV}/MappedPipes/\\\\.\\pipe\\p1`, 'Add', undefined, 'VMBus pipe'],
    ['COM port Add', `${DEV}/ComPorts/1`, 'Add', { NamedPipe: '\\\\.\\pipe\\com2' }, 'ISA serial'],
    [
      'idled processors',
      'VirtualMachine/ComputeTopology/Processor/IdledProcessors',
      'Update',
      { IdleProcessorCount: 0 },
      'vCPU hot-plug',
    ],
    [
      'CPU frequency cap',
      'VirtualMachine/ComputeTopology/Processor/CpuFrequencyPowerCap',
      'Update',
      1000,
      'frequency',
    ],
    [
      'CPU group',
      'VirtualMachine/ComputeTopology/Processor/CpuGroup',
      'Update',
      { Id: '11111111-2222-3333-4444-555555555555' },
      'CPU groups',
    ],
    ['GPU', 'VirtualMachine/ComputeTopology/Gpu', 'Update', { AssignmentMode: 'Default' }, 'GPU'],
    [
      'flexible IOV',
      `${DEV}/FlexibleIov/dev1`,
      'Add',
      { EmulatorId: '11111111-2222-3333-4444-555555555555', HostingModel: 'Internal' },
      'plug-ins',
    ],
    [
      'shared memory',
      `${DEV}/SharedMemory/Regions`,
      'Add',
      { SectionName: 's1', StartOffset: 0, Length: 4096 },
      'shared memory',
    ],
    [
      'VPMem mapping',
      `${DEV}/VirtualPMem/Devices/0/Mappings/0`,
      'Add',
      { HostPath: '/tmp/x.vhd', ImageFormat: 'Vhd1' },
      'multi-mapped',
    ],
    [
      'processor reservation',
      'VirtualMachine/ComputeTopology/Processor/Limits',
      'Update',
      { Reservation: 100 },
      'reservation',
    ],
  ])('%s: ERROR_NOT_SUPPORTED with the reason', async (_name, path, requestType, settings, reason) => {
    const err = await rejection<HcsError>(modify(path, requestType, settings));
    expect([(err.hresult ?? 0) >>> 0, err.message]).toEqual([
      NOT_SUPPORTED,
      expect.stringContaining('not realizable by the qemu engine'),
    ]);
    expect(err.message).toContain(reason);
    expect((await qemuView(q.hcsd, id)).status).toBe('running');
  });
});
