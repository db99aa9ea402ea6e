/** @uvmkit/vpmem through the real path (koffi → libcomputecore.so → hcsd). */
import {
  type HcsError,
  isAlreadyExists,
  isInvalidState,
  isNotFound,
  systemOf,
  UtilityVM,
} from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import {
  argumentRefusal,
  lcowDocument,
  refusal,
  rejection,
  startTestVm,
  type TestVm,
  uniqueSystemId,
} from '@uvmkit/hcs-emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addVPMemDevice,
  addVPMemMapping,
  removeVPMemDevice,
  removeVPMemMapping,
  vpmem,
} from '../src/index.js';

const DEV = 'VirtualMachine/Devices/VirtualPMem/Devices';
const layer = { HostPath: 'C:\\layers\\base\\layer.vhd', ReadOnly: true, ImageFormat: 'Vhd1' } as const;
const image = { HostPath: 'C:\\layers\\app\\layer.vhd', ImageFormat: 'Vhd1' } as const;

let fixture: TestVm<UtilityVM>;
let hcsd: HcsdProcess;
let vm: UtilityVM;

/** The ModifySettingRequests hcsd received for `v`, in order. */
const modifyLog = (v: UtilityVM) => hcsd.control.modifyLog(v.id);

beforeAll(async () => {
  fixture = await startTestVm({ UtilityVM, systemOf }, { prefix: 'vpmem', owner: 'vpmem-test' });
  ({ hcsd, vm } = fixture);
});
afterAll(() => fixture?.close());

async function devices(): Promise<Record<string, unknown>> {
  const v = (await hcsd.control.system(vm.id)).devices.vpmem;
  expect(v?.MaximumCount).toBe(64);
  return v?.Devices ?? {};
}

describe('plugin', () => {
  it('UtilityVM.use(vpmem) installs the four methods; calling through the VM sends the same document', async () => {
    expect(vpmem.name).toBe('vpmem');
    expect(vpmem.coreRange).toBe('^1.0.0');
    expect(Object.keys(vpmem.methods).sort()).toEqual([
      'addVPMemDevice',
      'addVPMemMapping',
      'removeVPMemDevice',
      'removeVPMemMapping',
    ]);
    UtilityVM.use(vpmem);
    expect(UtilityVM.has('vpmem')).toBe(true);
    await vm.addVPMemDevice(9, layer);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: `${DEV}/9`,
      RequestType: 'Add',
      Settings: layer,
    });
    await vm.removeVPMemDevice(9);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({ ResourcePath: `${DEV}/9`, RequestType: 'Remove' });
    expect(await devices()).toStrictEqual({});
  });
});

describe('devices', () => {
  it('addVPMemDevice sends Add with the VirtualPMemDevice and fills the slot', async () => {
    await addVPMemDevice(vm, 0, layer);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0',
      RequestType: 'Add',
      Settings: { HostPath: 'C:\\layers\\base\\layer.vhd', ReadOnly: true, ImageFormat: 'Vhd1' },
    });
    expect(await devices()).toStrictEqual({ '0': layer });
    await addVPMemDevice(vm, 63, { HostPath: 'C:\\rootfs.vhdx', ImageFormat: 'Vhdx', SizeBytes: 1048576 });
    expect(await devices()).toStrictEqual({
      '0': layer,
      '63': { HostPath: 'C:\\rootfs.vhdx', ImageFormat: 'Vhdx', SizeBytes: 1048576 },
    });
  });

  it('adding to an occupied slot fails with ERROR_ALREADY_EXISTS, wrapped; the table is unchanged', async () => {
    const before = (await modifyLog(vm)).length;
    const err = await rejection<HcsError>(addVPMemDevice(vm, 0, image));
    expect(err.code).toBe('ERROR_ALREADY_EXISTS');
    expect(isAlreadyExists(err)).toBe(true);
    expect(err.hresult).toBe(0x800700b7);
    expect(err.id).toBe(vm.id);
    expect(err.message).toBe(
      `failed to add VPMem device 0: HcsModifyComputeSystem ${JSON.stringify(vm.id)} failed with ERROR_ALREADY_EXISTS (0x800700B7): VPMem device 0 already exists`,
    );
    expect((err.cause as Error).message).toBe(err.message.slice('failed to add VPMem device 0: '.length));
    expect((await modifyLog(vm)).length).toBe(before + 1);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: `${DEV}/0`,
      RequestType: 'Add',
      Settings: image,
    });
    expect(await devices()).toStrictEqual({
      '0': layer,
      '63': { HostPath: 'C:\\rootfs.vhdx', ImageFormat: 'Vhdx', SizeBytes: 1048576 },
    });
  });

  it("a device number at or above the controller's MaximumCount fails with E_BOUNDS", async () => {
    const err = await rejection<HcsError>(addVPMemDevice(vm, 64, layer));
    expect(err.hresult).toBe(0x8000000b);
    expect(err.code).toBe('E_BOUNDS');
    expect(err.message).toMatch(
      /^failed to add VPMem device 64: HcsModifyComputeSystem .* not below the controller's MaximumCount 64$/,
    );
    expect(Object.keys(await devices())).toEqual(['0', '63']);
  });

  it('removeVPMemDevice sends Remove without Settings and frees the slot', async () => {
    await removeVPMemDevice(vm, 63);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/63',
      RequestType: 'Remove',
    });
    expect(await devices()).toStrictEqual({ '0': layer });
  });

  it('removing an absent device fails with ERROR_NOT_FOUND (isNotFound), wrapped', async () => {
    const err = await rejection<HcsError>(removeVPMemDevice(vm, 63));
    expect(isNotFound(err)).toBe(true);
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(err.hresult).toBe(0x80070490);
    expect(err.message).toMatch(
      /^failed to remove VPMem device 63: HcsModifyComputeSystem .*: VPMem device 63 does not exist$/,
    );
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({ ResourcePath: `${DEV}/63`, RequestType: 'Remove' });
  });
});

describe('mappings', () => {
  it('addVPMemMapping sends Add with the VirtualPMemMapping at Devices/<n>/Mappings/<offset>', async () => {
    await addVPMemMapping(vm, 0, 4096, image);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0/Mappings/4096',
      RequestType: 'Add',
      Settings: { HostPath: 'C:\\layers\\app\\layer.vhd', ImageFormat: 'Vhd1' },
    });
    const big = 2 ** 40;
    await addVPMemMapping(vm, 0, big, { HostPath: 'C:\\layers\\x.vhd' });
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: `${DEV}/0/Mappings/1099511627776`,
      RequestType: 'Add',
      Settings: { HostPath: 'C:\\layers\\x.vhd' },
    });
    expect(await devices()).toStrictEqual({
      '0': { ...layer, Mappings: { '4096': image, '1099511627776': { HostPath: 'C:\\layers\\x.vhd' } } },
    });
  });

  it('a mapping at an occupied offset fails with ERROR_ALREADY_EXISTS', async () => {
    const err = await rejection<HcsError>(addVPMemMapping(vm, 0, 4096, { HostPath: 'C:\\other.vhd' }));
    expect(err.hresult).toBe(0x800700b7);
    expect(err.message).toMatch(
      /^failed to add VPMem mapping at offset 4096 of device 0: HcsModifyComputeSystem .*: VPMem device 0 mapping at offset 4096 already exists$/,
    );
  });

  it('a mapping on an absent device fails with ERROR_NOT_FOUND naming the device', async () => {
    const err = await rejection<HcsError>(addVPMemMapping(vm, 5, 0, image));
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toMatch(
      /^failed to add VPMem mapping at offset 0 of device 5: HcsModifyComputeSystem .*: VPMem device 5 does not exist$/,
    );
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: `${DEV}/5/Mappings/0`,
      RequestType: 'Add',
      Settings: image,
    });
  });

  it('removeVPMemMapping sends Remove without Settings; an absent offset is ERROR_NOT_FOUND', async () => {
    await removeVPMemMapping(vm, 0, 4096);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0/Mappings/4096',
      RequestType: 'Remove',
    });
    expect(await devices()).toStrictEqual({
      '0': { ...layer, Mappings: { '1099511627776': { HostPath: 'C:\\layers\\x.vhd' } } },
    });
    const err = await rejection<HcsError>(removeVPMemMapping(vm, 0, 4096));
    expect(isNotFound(err)).toBe(true);
    expect(err.hresult).toBe(0x80070490);
    expect(err.message).toMatch(
      /^failed to remove VPMem mapping at offset 4096 of device 0: HcsModifyComputeSystem .*: VPMem device 0 mapping at offset 4096 does not exist$/,
    );
  });

  it('removing a device removes its mappings', async () => {
    await removeVPMemDevice(vm, 0);
    expect(await devices()).toStrictEqual({});
    const err = await rejection<HcsError>(removeVPMemMapping(vm, 0, 1099511627776));
    expect(err.message).toMatch(/: VPMem device 0 does not exist$/);
  });
});

describe('invalid arguments: nothing is sent', () => {
  const cases: [string, () => Promise<void>, string, string][] = [
    [
      'device -1',
      () => addVPMemDevice(vm, -1, layer),
      'deviceNumber',
      'failed to add VPMem device -1: invalid argument deviceNumber (-1): must be in 0..127',
    ],
    [
      'device 128',
      () => addVPMemDevice(vm, 128, layer),
      'deviceNumber',
      'failed to add VPMem device 128: invalid argument deviceNumber (128): must be in 0..127',
    ],
    [
      'device 1.5',
      () => addVPMemDevice(vm, 1.5, layer),
      'deviceNumber',
      'failed to add VPMem device 1.5: invalid argument deviceNumber (1.5): must be a safe integer',
    ],
    [
      'device NaN',
      () => removeVPMemDevice(vm, Number.NaN),
      'deviceNumber',
      'failed to remove VPMem device NaN: invalid argument deviceNumber (NaN): must be a safe integer',
    ],
    [
      'device "0"',
      () => removeVPMemDevice(vm, '0' as never),
      'deviceNumber',
      'failed to remove VPMem device 0: invalid argument deviceNumber ("0"): must be a number',
    ],
    [
      'device "../0"',
      () => addVPMemDevice(vm, '../0' as never, layer),
      'deviceNumber',
      'failed to add VPMem device ../0: invalid argument deviceNumber ("../0"): must be a number',
    ],
    [
      'device "0/Mappings/0"',
      () => removeVPMemDevice(vm, '0/Mappings/0' as never),
      'deviceNumber',
      'failed to remove VPMem device 0/Mappings/0: invalid argument deviceNumber ("0/Mappings/0"): must be a number',
    ],
    [
      'device "%2F"',
      () => addVPMemDevice(vm, '%2F' as never, layer),
      'deviceNumber',
      'failed to add VPMem device %2F: invalid argument deviceNumber ("%2F"): must be a number',
    ],
    [
      'mapping device 128',
      () => addVPMemMapping(vm, 128, 0, image),
      'deviceNumber',
      'failed to add VPMem mapping at offset 0 of device 128: invalid argument deviceNumber (128): must be in 0..127',
    ],
    [
      'mapping device "../../Scsi"',
      () => removeVPMemMapping(vm, '../../Scsi' as never, 0),
      'deviceNumber',
      'failed to remove VPMem mapping at offset 0 of device ../../Scsi: invalid argument deviceNumber ("../../Scsi"): must be a number',
    ],
    [
      'offset -1',
      () => addVPMemMapping(vm, 0, -1, image),
      'offsetBytes',
      'failed to add VPMem mapping at offset -1 of device 0: invalid argument offsetBytes (-1): must be in 0..9007199254740991',
    ],
    [
      'offset 2^53',
      () => addVPMemMapping(vm, 0, 2 ** 53, image),
      'offsetBytes',
      'failed to add VPMem mapping at offset 9007199254740992 of device 0: invalid argument offsetBytes (9007199254740992): must be a safe integer',
    ],
    [
      'offset 0.5',
      () => removeVPMemMapping(vm, 0, 0.5),
      'offsetBytes',
      'failed to remove VPMem mapping at offset 0.5 of device 0: invalid argument offsetBytes (0.5): must be a safe integer',
    ],
    [
      'offset "0/../1"',
      () => removeVPMemMapping(vm, 0, '0/../1' as never),
      'offsetBytes',
      'failed to remove VPMem mapping at offset 0/../1 of device 0: invalid argument offsetBytes ("0/../1"): must be a number',
    ],
    [
      'offset "%2F"',
      () => addVPMemMapping(vm, 0, '%2F' as never, image),
      'offsetBytes',
      'failed to add VPMem mapping at offset %2F of device 0: invalid argument offsetBytes ("%2F"): must be a number',
    ],
  ];
  for (const [name, call, argument, message] of cases) {
    it(`${name} → InvalidArgument naming ${argument}`, async () => {
      expect(await refusal(hcsd.control, vm.id, call)).toEqual(argumentRefusal(argument, message));
    });
  }

  it('invalid settings → InvalidArgument naming the field path', async () => {
    const before = (await modifyLog(vm)).length;
    const missing = await rejection<HcsError>(addVPMemDevice(vm, 1, { ReadOnly: true } as never));
    expect(missing.code).toBe('InvalidArgument');
    expect(missing.message).toBe(
      'failed to add VPMem device 1: invalid ModifySettingRequest: Settings.HostPath: is required',
    );
    const format = await rejection<HcsError>(
      addVPMemDevice(vm, 1, { HostPath: 'C:\\a.vhd', ImageFormat: 'Qcow2' } as never),
    );
    expect(format.code).toBe('InvalidArgument');
    expect(format.message).toMatch(
      /^failed to add VPMem device 1: invalid ModifySettingRequest: Settings\.ImageFormat: /,
    );
    const extra = await rejection<HcsError>(
      addVPMemMapping(vm, 1, 0, { HostPath: 'C:\\a.vhd', ReadOnly: true } as never),
    );
    expect(extra.code).toBe('InvalidArgument');
    expect(extra.message).toMatch(
      /^failed to add VPMem mapping at offset 0 of device 1: invalid ModifySettingRequest: Settings(\.ReadOnly)?: /,
    );
    const empty = await rejection<HcsError>(addVPMemMapping(vm, 1, 0, { HostPath: '' }));
    expect(empty.message).toMatch(/Settings\.HostPath: /);
    expect((await modifyLog(vm)).length).toBe(before);
    expect(await devices()).toStrictEqual({});
  });
});

describe('VM state, controller and call options', () => {
  it('a VM without a VirtualPMem controller: ERROR_DEV_NOT_EXIST; Created: HCS_E_INVALID_STATE; Stopped: HCS_E_SYSTEM_ALREADY_STOPPED', async () => {
    const other = await UtilityVM.create(
      uniqueSystemId('vpmem'),
      lcowDocument({ owner: 'vpmem-test', vpmem: false }),
    );
    try {
      const created = await rejection<HcsError>(addVPMemDevice(other, 0, layer));
      expect(isInvalidState(created)).toBe(true);
      expect(created.code).toBe('HCS_E_INVALID_STATE');
      expect(created.message).toMatch(/^failed to add VPMem device 0: HcsModifyComputeSystem /);
      await systemOf(other).start();
      const noController = await rejection<HcsError>(addVPMemDevice(other, 0, layer));
      expect(noController.hresult).toBe(0x80070037);
      expect(noController.code).toBe('ERROR_DEV_NOT_EXIST');
      expect(isNotFound(noController)).toBe(true);
      expect(noController.message).toMatch(/: this VM has no VirtualPMem controller$/);
      const noControllerMapping = await rejection<HcsError>(addVPMemMapping(other, 0, 0, image));
      expect(noControllerMapping.hresult).toBe(0x80070037);
      expect(noControllerMapping.code).toBe('ERROR_DEV_NOT_EXIST');
      await systemOf(other).terminate();
      await other.exited;
      const stopped = await rejection<HcsError>(removeVPMemDevice(other, 0));
      expect(stopped.code).toBe('HCS_E_SYSTEM_ALREADY_STOPPED');
      expect(stopped.message).toMatch(/^failed to remove VPMem device 0: HcsModifyComputeSystem /);
      expect((await hcsd.control.modifyLog(other.id)).length).toBe(4);
      expect((await hcsd.control.system(other.id)).devices.vpmem).toBe(null);
    } finally {
      await other.close();
    }
  });

  it('options reach vm.modify: an aborted signal sends nothing; a timeout rejects with Timeout', async () => {
    const before = (await modifyLog(vm)).length;
    const aborted = await rejection<HcsError>(addVPMemDevice(vm, 2, layer, { signal: AbortSignal.abort() }));
    expect(aborted.code).toBe('Aborted');
    expect(aborted.message).toMatch(/^failed to add VPMem device 2: /);
    expect((await modifyLog(vm)).length).toBe(before);
    await hcsd.control.delay({ method: 'Modify', ms: 400, count: 1 });
    const timedOut = await rejection<HcsError>(addVPMemDevice(vm, 2, layer, { timeout: 50 }));
    expect(timedOut.code).toBe('Timeout');
    expect(timedOut.message).toMatch(/^failed to add VPMem device 2: /);
  });

  it('an HCS failure keeps code, hresult and the ResultError message', async () => {
    await hcsd.control.fault({ method: 'Modify', count: 1, hresult: 0x80070005, message: 'denied here' });
    const err = await rejection<HcsError>(removeVPMemMapping(vm, 3, 0));
    expect(err.code).toBe('ERROR_ACCESS_DENIED');
    expect(err.hresult).toBe(0x80070005);
    expect(err.hcsMessage).toBe('denied here');
    expect(err.message).toMatch(
      /^failed to remove VPMem mapping at offset 0 of device 3: HcsModifyComputeSystem .*denied here$/,
    );
  });
});
