/** @uvmkit/pci through the real path (koffi → libcomputecore.so → hcsd). */
import {
  HcsError,
  isAborted,
  isAlreadyExists,
  isInvalidArgument,
  isInvalidState,
  isNotFound,
  systemOf,
  UtilityVM,
} from '@uvmkit/hcs-core';
import type { HcsdControl } from '@uvmkit/hcs-emulator';
import {
  abortWhileHeld,
  argumentRefusal,
  notRunningOutcomes,
  notRunningReport,
  refusal,
  rejection,
  startsWithPattern,
  startTestVm,
  type TestVm,
} from '@uvmkit/hcs-emulator/testing';
import { describeValue, type VirtualPciDevice } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDevice, pci, removeDevice } from '../src/index.js';

let fixture: TestVm<UtilityVM>;
let control: HcsdControl;
let vm: UtilityVM;
let id: string;

const GPU = '2f1e8a7c-5b4d-4e3f-9a2b-1c0d9e8f7a6b';
const VF_UPPER = 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D';
const VF = VF_UPPER.toLowerCase();
const path = (guid: string) => `VirtualMachine/Devices/VirtualPci/${guid}`;

const gpu: VirtualPciDevice = {
  Functions: [{ DeviceInstancePath: 'PCIP\\VEN_10DE&DEV_13F2&SUBSYS_115E10DE&REV_A1\\6&17F903&0&00400000' }],
};
const vf: VirtualPciDevice = {
  Functions: [
    {
      DeviceInstancePath: 'PCI\\VEN_15B3&DEV_1016&SUBSYS_00031590&REV_80\\5&2A5B8C1&0&0',
      VirtualFunction: 3,
    },
  ],
  PropagateNumaAffinity: true,
};

beforeAll(async () => {
  fixture = await startTestVm({ UtilityVM, systemOf }, { prefix: 'pci', owner: 'uvmkit-pci-test' });
  ({ control, vm, id } = fixture);
});
afterAll(() => fixture?.close());

const BAD_GUIDS = [
  'gpu0',
  `../VirtualPci/${GPU}`,
  `${GPU}/..`,
  `${GPU}/../../Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/0`,
  '/',
  '%2F',
  `%7B${GPU}%7D`,
  `{${GPU}}`,
  GPU.replace(/-/g, ''),
  '',
  '..',
  0,
  undefined,
];

/** Asserts a local rejection: InvalidArgument naming `vmbusGuid`, hcsd got nothing. */
async function expectBadGuid(call: () => Promise<unknown>, verb: string, guid: unknown) {
  const prefix = `failed to ${verb} virtual PCI device ${describeValue(guid)}: invalid argument vmbusGuid (`;
  const inspect = (err: unknown) => ({ invalidArgument: isInvalidArgument(err) });
  expect(await refusal(control, id, call, inspect)).toEqual(
    argumentRefusal('vmbusGuid', expect.stringMatching(startsWithPattern(prefix)), { invalidArgument: true }),
  );
}

describe('plugin', () => {
  it('importing installs nothing; use() adds addDevice/removeDevice', () => {
    expect(UtilityVM.has('pci')).toBe(false);
    expect('addDevice' in UtilityVM.prototype).toBe(false);
    expect(pci.name).toBe('pci');
    expect(pci.coreRange).toBe('^1.0.0');
    expect(Object.keys(pci.methods).sort()).toEqual(['addDevice', 'removeDevice']);
    UtilityVM.use(pci);
    expect(UtilityVM.has('pci')).toBe(true);
    expect(typeof vm.addDevice).toBe('function');
  });
});

describe('addDevice', () => {
  it('assigns: exact document, device table; an upper-case GUID is sent lower-cased', async () => {
    const before = (await control.modifyLog(id)).length;
    await addDevice(vm, GPU, gpu);
    UtilityVM.use(pci);
    await vm.addDevice(VF_UPPER, vf, { timeout: 5000 });
    const log = await control.modifyLog(id);
    expect(log.slice(before)).toEqual([
      { ResourcePath: path(GPU), RequestType: 'Add', Settings: gpu },
      { ResourcePath: path(VF), RequestType: 'Add', Settings: vf },
    ]);
    expect(Object.keys(log[before] as object)).toEqual(['ResourcePath', 'RequestType', 'Settings']);
    expect((await control.system(id)).devices.virtualPci).toEqual({ [GPU]: gpu, [VF]: vf });
  });

  it('a GUID already assigned → ERROR_ALREADY_EXISTS (0x800700B7), table unchanged', async () => {
    const err = await rejection<HcsError>(addDevice(vm, GPU.toUpperCase(), vf));
    expect(err).toBeInstanceOf(HcsError);
    expect(err.hresult).toBe(0x800700b7);
    expect(err.code).toBe('ERROR_ALREADY_EXISTS');
    expect(isAlreadyExists(err)).toBe(true);
    expect(err.id).toBe(id);
    expect(err.message).toBe(
      `failed to add virtual PCI device ${JSON.stringify(GPU.toUpperCase())}: ${(err.cause as HcsError).message}`,
    );
    expect(err.hcsMessage).toBe(`virtual PCI device ${GPU} already exists`);
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: path(GPU),
      RequestType: 'Add',
      Settings: vf,
    });
    expect((await control.system(id)).devices.virtualPci).toEqual({ [GPU]: gpu, [VF]: vf });
  });

  it('invalid settings → InvalidArgument naming the field; nothing sent', async () => {
    const log = await control.modifyLog(id);
    const NEW = 'c0ffee00-1234-4abc-8def-000000000001';
    const cases: [unknown, RegExp][] = [
      [{ Functions: [] }, /: Settings\.Functions: /],
      [{}, /: Settings(\.Functions)?: /],
      [{ Functions: [{ VirtualFunction: 1 }] }, /: Settings\.Functions\.0(\.DeviceInstancePath)?: /],
      [
        { Functions: [{ DeviceInstancePath: 'PCI\\X', VirtualFunction: 70000 }] },
        /: Settings\.Functions\.0\.VirtualFunction: /,
      ],
      [{ ...gpu, PropagateNumaAffinity: 'yes' }, /: Settings\.PropagateNumaAffinity: /],
      [undefined, /: Settings: is required$/],
    ];
    for (const [settings, re] of cases) {
      const err = await rejection<HcsError>(addDevice(vm, NEW, settings as never));
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toMatch(
        new RegExp(`^failed to add virtual PCI device "${NEW}": invalid ModifySettingRequest: `),
      );
      expect(err.message).toMatch(re);
    }
    expect(await control.modifyLog(id)).toEqual(log);
  });

  it('invalid VMBus GUIDs → InvalidArgument "vmbusGuid"; nothing sent', async () => {
    for (const bad of BAD_GUIDS) await expectBadGuid(() => addDevice(vm, bad as never, gpu), 'add', bad);
  });

  it('passes options: abort while hcsd holds the request → Aborted, nothing assigned', async () => {
    const NEW = 'c0ffee00-1234-4abc-8def-000000000002';
    const err = await abortWhileHeld<HcsError>(control, id, (signal) => addDevice(vm, NEW, gpu, { signal }));
    expect(err.code).toBe('Aborted');
    expect(isAborted(err)).toBe(true);
    expect(err.message).toMatch(new RegExp(`^failed to add virtual PCI device "${NEW}": `));
    expect(Object.keys((await control.system(id)).devices.virtualPci).sort()).toEqual([GPU, VF].sort());
  });
});

describe('removeDevice', () => {
  it('removes with no Settings: exact document, device table', async () => {
    await removeDevice(vm, VF_UPPER);
    const log = await control.modifyLog(id);
    expect(log.at(-1)).toEqual({ ResourcePath: path(VF), RequestType: 'Remove' });
    expect(Object.keys(log.at(-1) as object)).toEqual(['ResourcePath', 'RequestType']);
    expect((await control.system(id)).devices.virtualPci).toEqual({ [GPU]: gpu });
  });

  it('an absent device → ERROR_NOT_FOUND', async () => {
    const err = await rejection<HcsError>(vm.removeDevice(VF));
    expect(err.hresult).toBe(0x80070490);
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toMatch(
      new RegExp(`^failed to remove virtual PCI device "${VF}": HcsModifyComputeSystem `),
    );
    expect(err.hcsMessage).toBe(`virtual PCI device ${VF} does not exist`);
    expect((await control.modifyLog(id)).at(-1)).toEqual({ ResourcePath: path(VF), RequestType: 'Remove' });
  });

  it('invalid VMBus GUIDs → InvalidArgument "vmbusGuid"; nothing sent', async () => {
    for (const bad of BAD_GUIDS) await expectBadGuid(() => removeDevice(vm, bad as never), 'remove', bad);
    expect((await control.system(id)).devices.virtualPci).toEqual({ [GPU]: gpu });
  });
});

describe('VM not running', () => {
  it('Created or Paused → HCS_E_INVALID_STATE; Stopped → HCS_E_SYSTEM_ALREADY_STOPPED (both methods)', async () => {
    const { outcomes, log, devices } = await notRunningReport({ UtilityVM, systemOf }, control, {
      prefix: 'pci',
      owner: 'uvmkit-pci-test',
      calls: (uvm) => [
        ['add', () => addDevice(uvm, GPU, gpu)],
        ['remove', () => removeDevice(uvm, GPU)],
      ],
      inspect: (err) => ({ invalidState: isInvalidState(err) }),
    });
    expect(outcomes).toEqual(
      notRunningOutcomes(['add', 'remove'], (state, call) => ({
        message: expect.stringMatching(new RegExp(`^failed to ${call} virtual PCI device "${GPU}": `)),
        invalidState: state !== 'Stopped',
      })),
    );
    const add = { ResourcePath: path(GPU), RequestType: 'Add', Settings: gpu };
    const remove = { ResourcePath: path(GPU), RequestType: 'Remove' };
    expect(log).toEqual([add, remove, add, remove, add, remove]);
    expect(devices.virtualPci).toEqual({});
  });
});
