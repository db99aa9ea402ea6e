/**
 * A consumer that installs only @uvmkit/scsi and @uvmkit/network (see package.json): the other
 * managers are not installed, so their methods are absent at run time (and, in
 * types.test-d.ts, in types).
 */
import { systemOf, UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { network } from '@uvmkit/network';
import { scsi } from '@uvmkit/scsi';
import { afterAll, beforeAll, expect, test } from 'vitest';

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startTestHcsd();
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
  UtilityVM.use(network);
  const id = uniqueSystemId('consumer');
  await using vm = await UtilityVM.create(
    id,
    lcowDocument({ owner: 'consumer-check', guestConnection: false }),
  );
  await systemOf(vm).start(); // no lifetime manager here: the core's ComputeSystem starts it
  const disk = { Type: 'VirtualDisk', Path: '/disks/data.vhdx' } as const;
  const nicId = '5f3b2c1a-0d4e-4b6f-8a9c-112233445566';
  const endpoint = { EndpointId: 'a1b2c3d4-e5f6-4789-abcd-0123456789ab', MacAddress: '00-15-5D-52-C0-01' };
  await vm.addSCSIDisk(disk, 0, 1);
  await vm.addNIC(nicId, endpoint);
  expect(await hcsd.control.modifyLog(id)).toEqual([
    {
      ResourcePath: `VirtualMachine/Devices/Scsi/${ScsiControllerGuids[0]}/Attachments/1`,
      RequestType: 'Add',
      Settings: disk,
    },
    {
      ResourcePath: `VirtualMachine/Devices/NetworkAdapters/${nicId}`,
      RequestType: 'Add',
      Settings: endpoint,
    },
  ]);
  const devices = (await hcsd.control.system(id)).devices;
  expect(devices.scsi[ScsiControllerGuids[0]]).toEqual({ '1': disk });
  expect(devices.networkAdapters).toEqual({ [nicId]: endpoint });
  expect('start' in vm).toBe(false);
});
