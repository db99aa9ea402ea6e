/** @uvmkit/vsmb through the real path (koffi → libcomputecore.so → hcsd). */
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
import type { VirtualSmbShare } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVSMB, removeVSMB, updateVSMB, vsmb } from '../src/index.js';

const PATH = 'VirtualMachine/Devices/VirtualSmb/Shares';
/** hcsshim's options for a read-only, file-restricted share (single-file mapping). */
const restricted: VirtualSmbShare = {
  Name: 's1',
  Path: 'C:\\ProgramData\\containers\\c1\\config',
  AllowedFiles: ['hosts'],
  Options: {
    ReadOnly: true,
    ShareRead: true,
    CacheIo: true,
    TakeBackupPrivilege: true,
    NoOplocks: true,
    PseudoOplocks: true,
    NoLocks: true,
    PseudoDirnotify: true,
    RestrictFileAccess: true,
    SingleFileMapping: true,
  },
};
const layer: VirtualSmbShare = {
  Name: '2',
  Path: 'C:\\ProgramData\\containers\\layers\\abc',
  Options: {
    ReadOnly: true,
    CacheIo: true,
    ShareRead: true,
    TakeBackupPrivilege: true,
    ReparseBaseLayer: true,
  },
};

let fixture: TestVm<UtilityVM>;
let hcsd: HcsdProcess;
let vm: UtilityVM;

/** The ModifySettingRequests hcsd received for `v`, in order. */
const modifyLog = (v: UtilityVM) => hcsd.control.modifyLog(v.id);

beforeAll(async () => {
  fixture = await startTestVm({ UtilityVM, systemOf }, { prefix: 'vsmb', owner: 'vsmb-test' });
  ({ hcsd, vm } = fixture);
});
afterAll(() => fixture?.close());

async function shares(): Promise<unknown[]> {
  return (await hcsd.control.system(vm.id)).devices.vsmbShares;
}

describe('plugin', () => {
  it('UtilityVM.use(vsmb) installs addVSMB, removeVSMB, updateVSMB', async () => {
    expect(vsmb.name).toBe('vsmb');
    expect(vsmb.coreRange).toBe('^1.0.0');
    expect(Object.keys(vsmb.methods).sort()).toEqual(['addVSMB', 'removeVSMB', 'updateVSMB']);
    UtilityVM.use(vsmb);
    expect(UtilityVM.has('vsmb')).toBe(true);
    await vm.addVSMB({ Name: 'tmp', Path: 'C:\\tmp' });
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: PATH,
      RequestType: 'Add',
      Settings: { Name: 'tmp', Path: 'C:\\tmp' },
    });
    await vm.removeVSMB({ Name: 'tmp' });
    expect(await shares()).toStrictEqual([]);
  });
});

describe('add', () => {
  it('addVSMB sends Add with the share and the table lists it', async () => {
    await addVSMB(vm, restricted);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
      RequestType: 'Add',
      Settings: restricted,
    });
    await addVSMB(vm, layer);
    expect(await shares()).toStrictEqual([restricted, layer]);
  });

  it('a share name already in use fails with ERROR_ALREADY_EXISTS, wrapped; nothing changes', async () => {
    const before = (await modifyLog(vm)).length;
    const err = await rejection<HcsError>(addVSMB(vm, { Name: 's1', Path: 'C:\\elsewhere' }));
    expect(err.code).toBe('ERROR_ALREADY_EXISTS');
    expect(isAlreadyExists(err)).toBe(true);
    expect(err.hresult).toBe(0x800700b7);
    expect(err.id).toBe(vm.id);
    expect(err.message).toBe(
      `failed to add VSMB share "s1": HcsModifyComputeSystem ${JSON.stringify(vm.id)} failed with ERROR_ALREADY_EXISTS (0x800700B7): VSMB share "s1" already exists`,
    );
    expect((err.cause as Error).message).toBe(err.message.slice('failed to add VSMB share "s1": '.length));
    expect((await modifyLog(vm)).length).toBe(before + 1);
    expect(await shares()).toStrictEqual([restricted, layer]);
  });
});

describe('update', () => {
  it('updateVSMB sends Update with the whole share; HCS replaces only AllowedFiles', async () => {
    const next = { ...restricted, Path: 'C:\\ignored', AllowedFiles: ['hosts', 'resolv.conf'] };
    await updateVSMB(vm, next);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: PATH,
      RequestType: 'Update',
      Settings: {
        Name: 's1',
        Path: 'C:\\ignored',
        AllowedFiles: ['hosts', 'resolv.conf'],
        Options: restricted.Options,
      },
    });
    expect(await shares()).toStrictEqual([{ ...restricted, AllowedFiles: ['hosts', 'resolv.conf'] }, layer]);
  });

  it('updating a share added without RestrictFileAccess fails with ERROR_INVALID_OPERATION', async () => {
    const err = await rejection<HcsError>(updateVSMB(vm, { ...layer, AllowedFiles: ['x'] }));
    expect(err.hresult).toBe(0x800710dd);
    expect(err.code).toBe('ERROR_INVALID_OPERATION');
    expect(err.message).toMatch(
      /^failed to update VSMB share "2": HcsModifyComputeSystem .*: VSMB share "2" was not added with Options\.RestrictFileAccess; only its AllowedFiles can be updated and only then$/,
    );
    expect(await shares()).toStrictEqual([{ ...restricted, AllowedFiles: ['hosts', 'resolv.conf'] }, layer]);
  });

  it('updating an absent share fails with ERROR_NOT_FOUND (isNotFound)', async () => {
    const err = await rejection<HcsError>(updateVSMB(vm, { ...restricted, Name: 'nope' }));
    expect(isNotFound(err)).toBe(true);
    expect(err.hresult).toBe(0x80070490);
    expect(err.message).toMatch(
      /^failed to update VSMB share "nope": HcsModifyComputeSystem .*: VSMB share "nope" does not exist$/,
    );
  });
});

describe('remove', () => {
  it('removeVSMB sends Remove with {Name} only, whatever else the share object holds', async () => {
    await removeVSMB(vm, restricted);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: PATH,
      RequestType: 'Remove',
      Settings: { Name: 's1' },
    });
    expect(await shares()).toStrictEqual([layer]);
  });

  it('removing an absent share fails with ERROR_NOT_FOUND (isNotFound)', async () => {
    const err = await rejection<HcsError>(removeVSMB(vm, { Name: 's1' }));
    expect(isNotFound(err)).toBe(true);
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(err.message).toMatch(
      /^failed to remove VSMB share "s1": HcsModifyComputeSystem .*: VSMB share "s1" does not exist$/,
    );
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: PATH,
      RequestType: 'Remove',
      Settings: { Name: 's1' },
    });
    expect(await shares()).toStrictEqual([layer]);
  });
});

describe('invalid arguments: nothing is sent', () => {
  const cases: [string, () => Promise<void>, string, string][] = [
    [
      'name "../2"',
      () => removeVSMB(vm, { Name: '../2' }),
      'share.Name',
      'failed to remove VSMB share "../2": invalid argument share.Name ("../2"): must not contain "/"',
    ],
    [
      'name "a/b"',
      () => addVSMB(vm, { Name: 'a/b', Path: 'C:\\x' }),
      'share.Name',
      'failed to add VSMB share "a/b": invalid argument share.Name ("a/b"): must not contain "/"',
    ],
    [
      'name "..\\\\2"',
      () => updateVSMB(vm, { Name: '..\\2' }),
      'share.Name',
      'failed to update VSMB share "..\\\\2": invalid argument share.Name ("..\\\\2"): must not contain "\\\\"',
    ],
    [
      'name "%2F"',
      () => addVSMB(vm, { Name: '%2F', Path: 'C:\\x' }),
      'share.Name',
      'failed to add VSMB share "%2F": invalid argument share.Name ("%2F"): must not contain "%"',
    ],
    [
      'name ".."',
      () => removeVSMB(vm, { Name: '..' }),
      'share.Name',
      'failed to remove VSMB share "..": invalid argument share.Name (".."): must not be "." or ".."',
    ],
    [
      'name ""',
      () => addVSMB(vm, { Name: '', Path: 'C:\\x' }),
      'share.Name',
      'failed to add VSMB share "": invalid argument share.Name (""): must not be empty',
    ],
    [
      'name with NUL',
      () => removeVSMB(vm, { Name: 'a\u0000' }),
      'share.Name',
      'failed to remove VSMB share "a\\u0000": invalid argument share.Name ("a\\u0000"): must not contain control characters',
    ],
    [
      'name 2',
      () => removeVSMB(vm, { Name: 2 } as never),
      'share.Name',
      'failed to remove VSMB share: invalid argument share.Name (2): must be a string',
    ],
    [
      'no name',
      () => addVSMB(vm, { Path: 'C:\\x' } as never),
      'share.Name',
      'failed to add VSMB share: invalid argument share.Name (undefined): must be a string',
    ],
    [
      'share null',
      () => updateVSMB(vm, null as never),
      'share',
      'failed to update VSMB share: invalid argument share (null): must be a VirtualSmbShare object',
    ],
    [
      'share "2"',
      () => removeVSMB(vm, '2' as never),
      'share',
      'failed to remove VSMB share: invalid argument share ("2"): must be a VirtualSmbShare object',
    ],
  ];
  for (const [name, call, argument, message] of cases) {
    it(`${name} → InvalidArgument naming ${argument}`, async () => {
      expect(await refusal(hcsd.control, vm.id, call)).toEqual(argumentRefusal(argument, message));
    });
  }

  it('invalid settings → InvalidArgument naming the field path', async () => {
    const before = (await modifyLog(vm)).length;
    const option = await rejection<HcsError>(
      addVSMB(vm, { Name: 's3', Path: 'C:\\x', Options: { ReadOnly: 'yes' } } as never),
    );
    expect(option.code).toBe('InvalidArgument');
    expect(option.message).toMatch(
      /^failed to add VSMB share "s3": invalid ModifySettingRequest: Settings\.Options\.ReadOnly: /,
    );
    const unknown = await rejection<HcsError>(
      updateVSMB(vm, { Name: 's3', Options: { Turbo: true } } as never),
    );
    expect(unknown.code).toBe('InvalidArgument');
    expect(unknown.message).toMatch(
      /^failed to update VSMB share "s3": invalid ModifySettingRequest: Settings\.Options(\.Turbo)?: /,
    );
    const files = await rejection<HcsError>(updateVSMB(vm, { Name: 's3', AllowedFiles: 'hosts' } as never));
    expect(files.message).toMatch(/Settings\.AllowedFiles: /);
    const path = await rejection<HcsError>(addVSMB(vm, { Name: 's3', Path: '' }));
    expect(path.message).toMatch(/Settings\.Path: /);
    expect((await modifyLog(vm)).length).toBe(before);
    expect(await shares()).toStrictEqual([layer]);
  });
});

describe('VM state and call options', () => {
  it('Created: HCS_E_INVALID_STATE; a VM created without Devices.VirtualSmb takes shares; Stopped: HCS_E_SYSTEM_ALREADY_STOPPED', async () => {
    const other = await UtilityVM.create(
      uniqueSystemId('vsmb'),
      lcowDocument({ owner: 'vsmb-test', vsmb: false }),
    );
    try {
      const created = await rejection<HcsError>(addVSMB(other, layer));
      expect(isInvalidState(created)).toBe(true);
      expect(created.code).toBe('HCS_E_INVALID_STATE');
      expect(created.message).toMatch(/^failed to add VSMB share "2": HcsModifyComputeSystem /);
      expect((await hcsd.control.system(other.id)).devices.vsmbShares).toStrictEqual([]);
      await systemOf(other).start();
      await addVSMB(other, layer);
      expect((await hcsd.control.system(other.id)).devices.vsmbShares).toStrictEqual([layer]);
      await systemOf(other).terminate();
      await other.exited;
      const stopped = await rejection<HcsError>(removeVSMB(other, layer));
      expect(stopped.code).toBe('HCS_E_SYSTEM_ALREADY_STOPPED');
      expect(stopped.message).toMatch(/^failed to remove VSMB share "2": HcsModifyComputeSystem /);
      expect(await hcsd.control.modifyLog(other.id)).toStrictEqual([
        { ResourcePath: PATH, RequestType: 'Add', Settings: layer },
        { ResourcePath: PATH, RequestType: 'Add', Settings: layer },
        { ResourcePath: PATH, RequestType: 'Remove', Settings: { Name: '2' } },
      ]);
    } finally {
      await other.close();
    }
  });

  it('options reach vm.modify: an aborted signal sends nothing; a timeout rejects with Timeout', async () => {
    const before = (await modifyLog(vm)).length;
    const aborted = await rejection<HcsError>(addVSMB(vm, restricted, { signal: AbortSignal.abort() }));
    expect(aborted.code).toBe('Aborted');
    expect(aborted.message).toMatch(/^failed to add VSMB share "s1": /);
    expect((await modifyLog(vm)).length).toBe(before);
    await hcsd.control.delay({ method: 'Modify', ms: 400, count: 1 });
    const timedOut = await rejection<HcsError>(removeVSMB(vm, layer, { timeout: 50 }));
    expect(timedOut.code).toBe('Timeout');
    expect(timedOut.message).toMatch(/^failed to remove VSMB share "2": /);
  });

  it('an HCS failure keeps code, hresult and the ResultError message', async () => {
    await hcsd.control.fault({ method: 'Modify', count: 1, hresult: 0x80070005, message: 'denied here' });
    const err = await rejection<HcsError>(updateVSMB(vm, restricted));
    expect(err.code).toBe('ERROR_ACCESS_DENIED');
    expect(err.hresult).toBe(0x80070005);
    expect(err.hcsMessage).toBe('denied here');
    expect(err.message).toMatch(/^failed to update VSMB share "s1": HcsModifyComputeSystem .*denied here$/);
  });
});
