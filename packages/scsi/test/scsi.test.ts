/** @uvmkit/scsi through the real path (koffi → libcomputecore.so → hcsd). */
import {
  ClosedError,
  HcsError,
  isAborted,
  isAlreadyExists,
  isClosed,
  isInvalidArgument,
  isInvalidState,
  isNotFound,
  isTimeout,
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
import { type Attachment, ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSCSIDisk, removeSCSIDisk, scsi } from '../src/index.js';

let fixture: TestVm<UtilityVM>;
let control: HcsdControl;
let vm: UtilityVM;
let id: string;

const C0 = ScsiControllerGuids[0];
const C1 = ScsiControllerGuids[1];
const path = (controller: string, lun: number) =>
  `VirtualMachine/Devices/Scsi/${controller}/Attachments/${lun}`;

const scratch: Attachment = {
  Type: 'VirtualDisk',
  Path: 'C:\\ProgramData\\uvmkit\\scratch.vhdx',
  CachingMode: 'ReadOnlyCached',
};
const layer: Attachment = { Type: 'VirtualDisk', Path: 'C:\\layers\\base\\layer.vhd', ReadOnly: true };

beforeAll(async () => {
  fixture = await startTestVm({ UtilityVM, systemOf }, { prefix: 'scsi', owner: 'uvmkit-scsi-test' });
  ({ control, vm, id } = fixture);
});
afterAll(() => fixture?.close());

/** Asserts a request was rejected locally: InvalidArgument naming `argument`, hcsd got nothing. */
async function expectInvalidArgument(
  call: () => Promise<unknown>,
  argument: string,
  prefix: string,
): Promise<void> {
  const start = `failed to ${prefix}: invalid argument ${argument} (`;
  const inspect = (err: unknown) => ({ invalidArgument: isInvalidArgument(err) });
  expect(await refusal(control, id, call, inspect)).toEqual(
    argumentRefusal(argument, expect.stringMatching(startsWithPattern(start)), { invalidArgument: true }),
  );
}

describe('plugin', () => {
  it('before use(): calling a method throws PluginMissing naming the package and UtilityVM.use, and sends nothing', async () => {
    expect(UtilityVM.has('scsi')).toBe(false);
    const before = (await control.modifyLog(id)).length;
    let thrown: unknown;
    try {
      await vm.addSCSIDisk(scratch, 0, 5);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HcsError);
    expect(thrown).toMatchObject({
      code: 'PluginMissing',
      op: 'addSCSIDisk',
      hresult: undefined,
      message:
        'vm.addSCSIDisk() is provided by @uvmkit/scsi, which is not installed on UtilityVM: call UtilityVM.use(scsi) at start-up (import { scsi } from @uvmkit/scsi)',
    });
    expect(() => vm.removeSCSIDisk(0, 5)).toThrow(/^vm\.removeSCSIDisk\(\) is provided by @uvmkit\/scsi/);
    expect('addSCSIDisk' in vm).toBe(false);
    expect(Object.hasOwn(UtilityVM.prototype, 'addSCSIDisk')).toBe(false);
    expect((vm as unknown as Record<string, unknown>).notAManagerMethod).toBeUndefined();
    expect((await control.modifyLog(id)).length).toBe(before);
  });

  it('importing installs nothing; use() adds addSCSIDisk/removeSCSIDisk', () => {
    expect(UtilityVM.has('scsi')).toBe(false);
    expect('addSCSIDisk' in UtilityVM.prototype).toBe(false);
    expect(scsi.name).toBe('scsi');
    expect(scsi.coreRange).toBe('^1.0.0');
    expect(Object.keys(scsi.methods).sort()).toEqual(['addSCSIDisk', 'removeSCSIDisk']);
    UtilityVM.use(scsi);
    expect(UtilityVM.has('scsi')).toBe(true);
    expect(typeof vm.addSCSIDisk).toBe('function');
    UtilityVM.use(scsi); // no-op
  });
});

describe('addSCSIDisk', () => {
  it('attaches at controller 0 LUN 3: exact document, device table', async () => {
    const before = (await control.modifyLog(id)).length;
    await addSCSIDisk(vm, scratch, 0, 3);
    const log = await control.modifyLog(id);
    expect(log.slice(before)).toEqual([{ ResourcePath: path(C0, 3), RequestType: 'Add', Settings: scratch }]);
    expect(Object.keys(log[before] as object)).toEqual(['ResourcePath', 'RequestType', 'Settings']);
    const devices = (await control.system(id)).devices;
    expect(devices.scsi).toEqual({ [C0]: { '3': scratch }, [C1]: {} });
  });

  it('through the installed method, on controller 1 LUN 0 and LUN 63', async () => {
    UtilityVM.use(scsi);
    const before = (await control.modifyLog(id)).length;
    await vm.addSCSIDisk(layer, 1, 0);
    await vm.addSCSIDisk(scratch, 1, 63, { timeout: 5000 });
    expect((await control.modifyLog(id)).slice(before)).toEqual([
      { ResourcePath: path(C1, 0), RequestType: 'Add', Settings: layer },
      { ResourcePath: path(C1, 63), RequestType: 'Add', Settings: scratch },
    ]);
    expect((await control.system(id)).devices.scsi).toEqual({
      [C0]: { '3': scratch },
      [C1]: { '0': layer, '63': scratch },
    });
  });

  it('an occupied LUN → ERROR_ALREADY_EXISTS (0x800700B7), table unchanged', async () => {
    const before = (await control.modifyLog(id)).length;
    const err = await rejection<HcsError>(addSCSIDisk(vm, layer, 0, 3));
    expect(err).toBeInstanceOf(HcsError);
    expect(err.hresult).toBe(0x800700b7);
    expect(err.code).toBe('ERROR_ALREADY_EXISTS');
    expect(isAlreadyExists(err)).toBe(true);
    expect(err.id).toBe(id);
    expect(err.op).toBe('HcsModifyComputeSystem');
    expect(err.cause).toBeInstanceOf(HcsError);
    expect(err.message).toBe(
      `failed to add SCSI disk at controller 0 LUN 3: HcsModifyComputeSystem ${JSON.stringify(id)} failed with ERROR_ALREADY_EXISTS (0x800700B7): SCSI controller ${C0} LUN 3 is already occupied`,
    );
    expect(err.message).toBe(
      `failed to add SCSI disk at controller 0 LUN 3: ${(err.cause as HcsError).message}`,
    );
    expect(err.hcsMessage).toBe(`SCSI controller ${C0} LUN 3 is already occupied`);
    expect((await control.modifyLog(id)).slice(before)).toEqual([
      { ResourcePath: path(C0, 3), RequestType: 'Add', Settings: layer },
    ]);
    expect((await control.system(id)).devices.scsi[C0]).toEqual({ '3': scratch });
  });

  it('a controller the VM does not have (2) → ERROR_DEV_NOT_EXIST (0x80070037)', async () => {
    const err = await rejection<HcsError>(addSCSIDisk(vm, scratch, 2, 0));
    expect(err.hresult).toBe(0x80070037);
    expect(err.code).toBe('ERROR_DEV_NOT_EXIST');
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toMatch(/^failed to add SCSI disk at controller 2 LUN 0: HcsModifyComputeSystem /);
    expect(err.hcsMessage).toBe(`SCSI controller ${ScsiControllerGuids[2]} is not configured on this VM`);
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: path(ScsiControllerGuids[2], 0),
      RequestType: 'Add',
      Settings: scratch,
    });
    expect(Object.keys((await control.system(id)).devices.scsi).sort()).toEqual([C0, C1].sort());
  });

  it('invalid settings → InvalidArgument naming the field path; nothing sent', async () => {
    const log = await control.modifyLog(id);
    const wrongType = await rejection<HcsError>(
      addSCSIDisk(vm, { ...scratch, Type: 'Floppy' } as never, 0, 4),
    );
    expect(wrongType.code).toBe('InvalidArgument');
    expect(wrongType.message).toMatch(
      /^failed to add SCSI disk at controller 0 LUN 4: invalid ModifySettingRequest: Settings\.Type: /,
    );
    const noPath = await rejection<HcsError>(addSCSIDisk(vm, { Type: 'VirtualDisk' } as never, 0, 4));
    expect(noPath.message).toMatch(/: Settings\.Path: /);
    const extra = await rejection<HcsError>(addSCSIDisk(vm, { ...scratch, Readonly: true } as never, 0, 4));
    expect(extra.message).toMatch(/: Settings(\.Readonly)?: /);
    const none = await rejection<HcsError>(addSCSIDisk(vm, undefined as never, 0, 4));
    expect(none.message).toBe(
      'failed to add SCSI disk at controller 0 LUN 4: invalid ModifySettingRequest: Settings: is required',
    );
    expect(await control.modifyLog(id)).toEqual(log);
  });

  it('a bad argument and bad Settings fail with one shape: op addSCSIDisk, the VM id, the issues; nothing sent', async () => {
    const log = await control.modifyLog(id);
    const shape = (err: HcsError) => ({
      code: err.code,
      op: err.op,
      id: err.id,
      hresult: err.hresult,
      message: err.message,
      issues: (err.cause as { issues?: unknown }).issues,
    });
    const badLun = await rejection<HcsError>(addSCSIDisk(vm, scratch, 0, 64));
    const badSettings = await rejection<HcsError>(addSCSIDisk(vm, { Path: 'C:\\d.vhdx' } as never, 0, 4));
    expect([shape(badLun), shape(badSettings)]).toEqual([
      {
        code: 'InvalidArgument',
        op: 'addSCSIDisk',
        id,
        hresult: undefined,
        message:
          'failed to add SCSI disk at controller 0 LUN 64: invalid argument lun (64): must be in 0..63',
        issues: [{ path: 'lun', message: 'must be in 0..63' }],
      },
      {
        code: 'InvalidArgument',
        op: 'addSCSIDisk',
        id,
        hresult: undefined,
        message:
          'failed to add SCSI disk at controller 0 LUN 4: invalid ModifySettingRequest: Settings.Type: is required',
        issues: [{ path: 'Settings.Type', message: 'is required' }],
      },
    ]);
    expect(await control.modifyLog(id)).toEqual(log);
  });

  it('invalid controller → InvalidArgument "controller"; nothing sent', async () => {
    for (const c of [4, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '0', '../1', '/', '%2F', C0, null]) {
      await expectInvalidArgument(
        () => addSCSIDisk(vm, scratch, c as never, 1),
        'controller',
        `add SCSI disk at controller ${typeof c === 'string' ? JSON.stringify(c) : String(c)} LUN 1`,
      );
    }
  });

  it('invalid LUN → InvalidArgument "lun"; nothing sent', async () => {
    for (const l of [64, -1, 0.5, Number.NaN, '1', '3/../4', '../0', '%2F1', undefined]) {
      await expectInvalidArgument(
        () => addSCSIDisk(vm, scratch, 0, l as never),
        'lun',
        `add SCSI disk at controller 0 LUN ${typeof l === 'string' ? JSON.stringify(l) : String(l)}`,
      );
    }
  });

  it('passes options: abort while hcsd holds the request → Aborted, nothing attached', async () => {
    const err = await abortWhileHeld<HcsError>(control, id, (signal) =>
      addSCSIDisk(vm, scratch, 0, 10, { signal }),
    );
    expect(err.code).toBe('Aborted');
    expect(isAborted(err)).toBe(true);
    expect(err.message).toMatch(/^failed to add SCSI disk at controller 0 LUN 10: /);
    expect((await control.system(id)).devices.scsi[C0]).toEqual({ '3': scratch });
  });

  it('passes options: timeout → Timeout', async () => {
    await control.delay({ method: 'Modify', ms: 2000, count: 1, id });
    const err = await rejection<HcsError>(addSCSIDisk(vm, scratch, 0, 11, { timeout: 50 }));
    expect(err.code).toBe('Timeout');
    expect(isTimeout(err)).toBe(true);
    expect(err.message).toMatch(/^failed to add SCSI disk at controller 0 LUN 11: /);
    // the held request was cancelled in hcsd: it never takes effect
    expect((await control.pending()).filter((x) => x.method === 'Modify')).toEqual([]);
    expect((await control.system(id)).devices.scsi[C0]).toEqual({ '3': scratch });
    await control.clearFaults();
  });
});

describe('removeSCSIDisk', () => {
  it('detaches: exact document (no Settings), device table', async () => {
    const before = (await control.modifyLog(id)).length;
    await removeSCSIDisk(vm, 1, 63);
    const log = await control.modifyLog(id);
    expect(log.slice(before)).toEqual([{ ResourcePath: path(C1, 63), RequestType: 'Remove' }]);
    expect(Object.keys(log[before] as object)).toEqual(['ResourcePath', 'RequestType']);
    expect((await control.system(id)).devices.scsi[C1]).toEqual({ '0': layer });
    await vm.removeSCSIDisk(1, 0);
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: path(C1, 0),
      RequestType: 'Remove',
    });
    expect((await control.system(id)).devices.scsi[C1]).toEqual({});
  });

  it('an empty LUN → ERROR_NOT_FOUND (0x80070490)', async () => {
    const err = await rejection<HcsError>(removeSCSIDisk(vm, 0, 5));
    expect(err.hresult).toBe(0x80070490);
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toMatch(/^failed to remove SCSI disk at controller 0 LUN 5: HcsModifyComputeSystem /);
    expect(err.hcsMessage).toBe(`SCSI controller ${C0} LUN 5 has no attachment`);
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: path(C0, 5),
      RequestType: 'Remove',
    });
  });

  it('a controller the VM does not have (3) → ERROR_DEV_NOT_EXIST', async () => {
    const err = await rejection<HcsError>(removeSCSIDisk(vm, 3, 0));
    expect(err.hresult).toBe(0x80070037);
    expect(err.code).toBe('ERROR_DEV_NOT_EXIST');
    expect(err.message).toMatch(/^failed to remove SCSI disk at controller 3 LUN 0: /);
  });

  it('invalid controller / LUN → InvalidArgument naming it; nothing sent', async () => {
    for (const c of [4, -1, '../0', '/', '%2F', 'df6d0690-79e5-55b6-a5ec-c1e2f77f580a']) {
      await expectInvalidArgument(
        () => removeSCSIDisk(vm, c as never, 3),
        'controller',
        `remove SCSI disk at controller ${typeof c === 'string' ? JSON.stringify(c) : String(c)} LUN 3`,
      );
    }
    for (const l of [64, 1e9, -0.5, '3/../4', '%33']) {
      await expectInvalidArgument(
        () => removeSCSIDisk(vm, 0, l as never),
        'lun',
        `remove SCSI disk at controller 0 LUN ${typeof l === 'string' ? JSON.stringify(l) : String(l)}`,
      );
    }
    expect((await control.system(id)).devices.scsi[C0]).toEqual({ '3': scratch });
  });
});

describe('VM not running', () => {
  it('Created or Paused → HCS_E_INVALID_STATE; Stopped → HCS_E_SYSTEM_ALREADY_STOPPED (both methods)', async () => {
    const {
      vm: closedVm,
      id: cid,
      outcomes,
      log,
      devices,
    } = await notRunningReport({ UtilityVM, systemOf }, control, {
      prefix: 'scsi',
      owner: 'uvmkit-scsi-test',
      calls: (uvm) => [
        ['add', () => addSCSIDisk(uvm, scratch, 0, 0)],
        ['remove', () => removeSCSIDisk(uvm, 0, 0)],
      ],
      inspect: (err) => ({ invalidState: isInvalidState(err) }),
    });
    expect(outcomes).toEqual(
      notRunningOutcomes(['add', 'remove'], (state, call) => ({
        message: expect.stringMatching(new RegExp(`^failed to ${call} SCSI disk at controller 0 LUN 0: `)),
        invalidState: state !== 'Stopped',
      })),
    );
    expect(log).toEqual([
      { ResourcePath: path(C0, 0), RequestType: 'Add', Settings: scratch },
      { ResourcePath: path(C0, 0), RequestType: 'Remove' },
      { ResourcePath: path(C0, 0), RequestType: 'Add', Settings: scratch },
      { ResourcePath: path(C0, 0), RequestType: 'Remove' },
      { ResourcePath: path(C0, 0), RequestType: 'Add', Settings: scratch },
      { ResourcePath: path(C0, 0), RequestType: 'Remove' },
    ]);
    expect(devices.scsi).toEqual({ [C0]: {}, [C1]: {} });
    // a use-after-close passes through unchanged: the ClosedError itself, nothing sent
    const logAfterClose = await control.modifyLog(cid);
    const closed = await rejection<HcsError>(addSCSIDisk(closedVm, scratch, 0, 0));
    expect(closed).toBeInstanceOf(ClosedError);
    expect(closed.code).toBe('Closed');
    expect(isClosed(closed)).toBe(true);
    expect(closed.message).not.toMatch(/^failed to /);
    expect(await control.modifyLog(cid)).toEqual(logAfterClose);
  });
});
