/** @uvmkit/plan9 through the real path (koffi → libcomputecore.so → hcsd). */
import {
  HcsError,
  isAlreadyExists,
  isInvalidArgument,
  isInvalidState,
  isNotFound,
  isTimeout,
  systemOf,
  UtilityVM,
} from '@uvmkit/hcs-core';
import type { HcsdControl } from '@uvmkit/hcs-emulator';
import {
  argumentRefusal,
  notRunningOutcomes,
  notRunningReport,
  refusal,
  rejection,
  startsWithPattern,
  startTestVm,
  type TestVm,
} from '@uvmkit/hcs-emulator/testing';
import {
  describeValue,
  type InvalidArgumentError,
  type Plan9Share,
  Plan9ShareFlags,
} from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPlan9, plan9, removePlan9 } from '../src/index.js';

let fixture: TestVm<UtilityVM>;
let control: HcsdControl;
let vm: UtilityVM;
let id: string;

const PATH = 'VirtualMachine/Devices/Plan9/Shares';

// shaped like hcsshim's AddPlan9: Name = AccessName, port 564, LinuxMetadata
const share1: Plan9Share = {
  Name: '1',
  AccessName: '1',
  Path: 'C:\\ProgramData\\uvmkit\\share1',
  Port: 564,
  Flags: Plan9ShareFlags.LinuxMetadata,
};
const share2: Plan9Share = {
  Name: '2',
  AccessName: '2',
  Path: 'C:\\ProgramData\\uvmkit\\config',
  Port: 564,
  Flags: Plan9ShareFlags.LinuxMetadata | Plan9ShareFlags.ReadOnly | Plan9ShareFlags.RestrictFileAccess,
  AllowedFiles: ['resolv.conf', 'hosts'],
};

beforeAll(async () => {
  fixture = await startTestVm({ UtilityVM, systemOf }, { prefix: 'p9', owner: 'uvmkit-plan9-test' });
  ({ control, vm, id } = fixture);
});
afterAll(() => fixture?.close());

const BAD_NAMES = [
  '',
  '.',
  '..',
  '../1',
  '1/../2',
  '/',
  '%2F',
  '1%2F..',
  'a\\b',
  'a\u0000b',
  'a\nb',
  7,
  undefined,
];

/** Asserts a local rejection: InvalidArgument naming `share.Name`, hcsd got nothing. */
async function expectBadName(call: () => Promise<unknown>, verb: string, name: unknown) {
  const prefix = `failed to ${verb} Plan 9 share ${describeValue(name)}: invalid argument share.Name (`;
  const inspect = (err: unknown) => ({ invalidArgument: isInvalidArgument(err) });
  expect(await refusal(control, id, call, inspect)).toEqual(
    argumentRefusal('share.Name', expect.stringMatching(startsWithPattern(prefix)), {
      invalidArgument: true,
    }),
  );
}

describe('plugin', () => {
  it('importing installs nothing; use() adds addPlan9/removePlan9', () => {
    expect(UtilityVM.has('plan9')).toBe(false);
    expect('addPlan9' in UtilityVM.prototype).toBe(false);
    expect(plan9.name).toBe('plan9');
    expect(plan9.coreRange).toBe('^1.0.0');
    expect(Object.keys(plan9.methods).sort()).toEqual(['addPlan9', 'removePlan9']);
    UtilityVM.use(plan9);
    expect(UtilityVM.has('plan9')).toBe(true);
    expect(typeof vm.addPlan9).toBe('function');
  });
});

describe('addPlan9', () => {
  it('adds the whole share: exact document, device table', async () => {
    const before = (await control.modifyLog(id)).length;
    await addPlan9(vm, share1);
    const log = await control.modifyLog(id);
    expect(log.slice(before)).toEqual([{ ResourcePath: PATH, RequestType: 'Add', Settings: share1 }]);
    expect(Object.keys(log[before] as object)).toEqual(['ResourcePath', 'RequestType', 'Settings']);
    expect((await control.system(id)).devices.plan9Shares).toEqual([share1]);
    UtilityVM.use(plan9);
    await vm.addPlan9(share2, { timeout: 5000 });
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: PATH,
      RequestType: 'Add',
      Settings: share2,
    });
    expect((await control.system(id)).devices.plan9Shares).toEqual([share1, share2]);
  });

  it('a name already shared → ERROR_ALREADY_EXISTS (0x800700B7), table unchanged', async () => {
    const dup = { ...share2, Name: '1', AccessName: '1' };
    const err = await rejection<HcsError>(addPlan9(vm, dup));
    expect(err).toBeInstanceOf(HcsError);
    expect(err.hresult).toBe(0x800700b7);
    expect(err.code).toBe('ERROR_ALREADY_EXISTS');
    expect(isAlreadyExists(err)).toBe(true);
    expect(err.id).toBe(id);
    expect(err.message).toBe(`failed to add Plan 9 share "1": ${(err.cause as HcsError).message}`);
    expect(err.hcsMessage).toBe('Plan 9 share "1" already exists');
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: PATH,
      RequestType: 'Add',
      Settings: dup,
    });
    expect((await control.system(id)).devices.plan9Shares).toEqual([share1, share2]);
  });

  it('invalid settings → InvalidArgument naming the field; nothing sent', async () => {
    const log = await control.modifyLog(id);
    const cases: [unknown, RegExp][] = [
      [{ ...share1, Name: '3', Flags: -1 }, /: Settings\.Flags: /],
      [{ ...share1, Name: '3', Port: 'ninep' }, /: Settings\.Port: /],
      [{ ...share1, Name: '3', Path: '' }, /: Settings\.Path: /],
      [{ ...share1, Name: '3', AllowedFiles: 'hosts' }, /: Settings\.AllowedFiles: /],
      [{ ...share1, Name: '3', Readonly: true }, /: Settings(\.Readonly)?: /],
    ];
    for (const [settings, re] of cases) {
      const err = await rejection<HcsError>(addPlan9(vm, settings as never));
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toMatch(/^failed to add Plan 9 share "3": invalid ModifySettingRequest: /);
      expect(err.message).toMatch(re);
    }
    expect(await control.modifyLog(id)).toEqual(log);
  });

  it('invalid share names and non-object shares → InvalidArgument; nothing sent', async () => {
    const log = await control.modifyLog(id);
    for (const name of BAD_NAMES)
      await expectBadName(() => addPlan9(vm, { ...share1, Name: name } as never), 'add', name);
    for (const bad of [null, undefined, 'share1', [share1]]) {
      const err = await rejection<HcsError>(addPlan9(vm, bad as never));
      expect(err.code).toBe('InvalidArgument');
      expect((err.cause as InvalidArgumentError).argument).toBe('share');
      expect(err.message).toMatch(/^failed to add Plan 9 share undefined: invalid argument share \(/);
    }
    expect(await control.modifyLog(id)).toEqual(log);
  });

  it('passes options: timeout while hcsd holds the request → Timeout, nothing added', async () => {
    await control.delay({ method: 'Modify', ms: 2000, count: 1, id });
    const err = await rejection<HcsError>(
      addPlan9(vm, { ...share1, Name: '9', AccessName: '9' }, { timeout: 50 }),
    );
    expect(err.code).toBe('Timeout');
    expect(isTimeout(err)).toBe(true);
    expect(err.message).toMatch(/^failed to add Plan 9 share "9": /);
    expect((await control.pending()).filter((x) => x.method === 'Modify')).toEqual([]);
    expect((await control.system(id)).devices.plan9Shares).toEqual([share1, share2]);
    await control.clearFaults();
  });
});

describe('removePlan9', () => {
  it('sends only {Name, AccessName, Port}: exact document, device table', async () => {
    await removePlan9(vm, share2);
    const log = await control.modifyLog(id);
    expect(log.at(-1)).toEqual({
      ResourcePath: PATH,
      RequestType: 'Remove',
      Settings: { Name: '2', AccessName: '2', Port: 564 },
    });
    expect(Object.keys(log.at(-1) as object)).toEqual(['ResourcePath', 'RequestType', 'Settings']);
    expect(Object.keys((log.at(-1) as { Settings: object }).Settings)).toEqual([
      'Name',
      'AccessName',
      'Port',
    ]);
    expect((await control.system(id)).devices.plan9Shares).toEqual([share1]);
  });

  it('a share given by Name only sends {Name}', async () => {
    await vm.removePlan9({ Name: '1' });
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: PATH,
      RequestType: 'Remove',
      Settings: { Name: '1' },
    });
    expect((await control.system(id)).devices.plan9Shares).toEqual([]);
  });

  it('an absent share → ERROR_NOT_FOUND', async () => {
    const err = await rejection<HcsError>(removePlan9(vm, share1));
    expect(err.hresult).toBe(0x80070490);
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toMatch(/^failed to remove Plan 9 share "1": HcsModifyComputeSystem /);
    expect(err.hcsMessage).toBe('Plan 9 share "1" does not exist');
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: PATH,
      RequestType: 'Remove',
      Settings: { Name: '1', AccessName: '1', Port: 564 },
    });
  });

  it('invalid names, shares and settings → InvalidArgument; nothing sent', async () => {
    await addPlan9(vm, share1);
    const log = await control.modifyLog(id);
    for (const name of BAD_NAMES) {
      await expectBadName(() => removePlan9(vm, { ...share1, Name: name } as never), 'remove', name);
    }
    const notObject = await rejection<HcsError>(removePlan9(vm, null as never));
    expect((notObject.cause as InvalidArgumentError).argument).toBe('share');
    const badPort = await rejection<HcsError>(removePlan9(vm, { ...share1, Port: -564 }));
    expect(badPort.code).toBe('InvalidArgument');
    expect(badPort.message).toMatch(/^failed to remove Plan 9 share "1": .*Settings\.Port: /);
    expect(await control.modifyLog(id)).toEqual(log);
    expect((await control.system(id)).devices.plan9Shares).toEqual([share1]);
  });
});

describe('VM not running', () => {
  it('Created or Paused → HCS_E_INVALID_STATE; Stopped → HCS_E_SYSTEM_ALREADY_STOPPED (both methods)', async () => {
    const { outcomes, log, devices } = await notRunningReport({ UtilityVM, systemOf }, control, {
      prefix: 'p9',
      owner: 'uvmkit-plan9-test',
      calls: (uvm) => [
        ['add', () => addPlan9(uvm, share1)],
        ['remove', () => removePlan9(uvm, share1)],
      ],
      inspect: (err) => ({ invalidState: isInvalidState(err) }),
    });
    expect(outcomes).toEqual(
      notRunningOutcomes(['add', 'remove'], (state, call) => ({
        message: expect.stringMatching(new RegExp(`^failed to ${call} Plan 9 share "1": `)),
        invalidState: state !== 'Stopped',
      })),
    );
    const add = { ResourcePath: PATH, RequestType: 'Add', Settings: share1 };
    const remove = {
      ResourcePath: PATH,
      RequestType: 'Remove',
      Settings: { Name: '1', AccessName: '1', Port: 564 },
    };
    expect(log).toEqual([add, remove, add, remove, add, remove]);
    expect(devices.plan9Shares).toEqual([]);
  });
});
