/**
 * A consumer that installs only @uvmkit/scsi and @uvmkit/network (see package.json): the other
 * managers are not installed, so their methods are absent at run time (and, in
 * types.test-d.ts, in types).
 */
import { systemOf, UtilityVM } from '@uvmkit/hcs-core';
import { type HcsdProcess, startHcsd } from '@uvmkit/hcs-emulator';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { network } from '@uvmkit/network';
import { scsi } from '@uvmkit/scsi';
import { afterAll, beforeAll, expect, test } from 'vitest';

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startHcsd();
  process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
});
afterAll(async () => {
  await hcsd?.stop();
});

const otherManagers = ['vpmem', 'plan9', 'vsmb', 'pci', 'pipe', 'vmsocket', 'resources', 'lifetime'];
const otherMethods = [
  'addVPMemDevice',
  'addPlan9',
  'addVSMB',
  'addDevice',
  'addPipe',
  'updateHvSocketService',
  'updateMemory',
  'setCPUGroup',
  'start',
  'terminate',
];

test('the other managers are not installed packages at all', async () => {
  for (const name of otherManagers) {
    await expect(import(`@uvmkit/${name}`), name).rejects.toThrow(/Cannot find (package|module)/);
  }
});

test('only the installed managers add methods to UtilityVM', () => {
  UtilityVM.use(scsi);
  UtilityVM.use(network);
  expect(UtilityVM.plugins().sort()).toEqual(['network', 'scsi']);
  for (const m of ['addSCSIDisk', 'removeSCSIDisk', 'addNIC', 'removeNIC', 'updateNIC']) {
    expect(typeof (UtilityVM.prototype as unknown as Record<string, unknown>)[m], m).toBe('function');
  }
  for (const m of otherMethods) expect(m in UtilityVM.prototype, m).toBe(false);
});

test('the two installed managers work through hcsd', async () => {
  UtilityVM.use(scsi);
  const id = `consumer-${process.pid}`;
  await using vm = await UtilityVM.create(id, {
    SchemaVersion: { Major: 2, Minor: 1 },
    Owner: 'consumer-check',
    ShouldTerminateOnLastHandleClosed: true,
    VirtualMachine: {
      Chipset: { Uefi: {} },
      ComputeTopology: { Memory: { SizeInMB: 512 }, Processor: { Count: 1 } },
      Devices: { Scsi: { [ScsiControllerGuids[0]]: { Attachments: {} } } },
    },
  });
  await systemOf(vm).start(); // no lifetime manager here: the core's ComputeSystem starts it
  await vm.addSCSIDisk({ Type: 'VirtualDisk', Path: '/disks/data.vhdx' }, 0, 1);
  const log = await hcsd.control.modifyLog(id);
  expect(log).toEqual([
    {
      ResourcePath: `VirtualMachine/Devices/Scsi/${ScsiControllerGuids[0]}/Attachments/1`,
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Path: '/disks/data.vhdx' },
    },
  ]);
  expect('start' in vm).toBe(false);
});
