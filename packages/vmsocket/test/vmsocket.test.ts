/** @uvmkit/vmsocket through the real path (koffi → libcomputecore.so → hcsd). */
import { type HcsError, isInvalidState, isNotFound, systemOf, UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import {
  argumentRefusal,
  GCS_SERVICE_ID,
  NOT_RUNNING,
  notRunningReport,
  refusal,
  rejection,
  startsWithPattern,
  startTestVm,
  type TestVm,
  WILDCARD_SERVICE,
} from '@uvmkit/hcs-emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeHvSocketService, updateHvSocketService, vmsocket } from '../src/index.js';

const TABLE = 'VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable';
/** A vsock port (0x71) the shared document's service table does not list. */
const SID = '00000071-facb-11e6-bd58-64006a7986d3';
const SID_UPPER = 'E0E16197-DD56-4A10-9195-5EE7A155A838';
const SID_LOWER = SID_UPPER.toLowerCase();
const logService = {
  BindSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
  ConnectSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
  AllowWildcardBinds: true,
};

/** The service table of the shared LCOW document: the two vsockexec ports and the GCS bridge. */
const BASE_TABLE = {
  '00000001-facb-11e6-bd58-64006a7986d3': WILDCARD_SERVICE,
  '0000006d-facb-11e6-bd58-64006a7986d3': WILDCARD_SERVICE,
  [GCS_SERVICE_ID]: WILDCARD_SERVICE,
};

let fixture: TestVm<UtilityVM>;
let hcsd: HcsdProcess;
let vm: UtilityVM;

/** The ModifySettingRequests hcsd received for `v`, in order. */
const modifyLog = (v: UtilityVM) => hcsd.control.modifyLog(v.id);

beforeAll(async () => {
  fixture = await startTestVm({ UtilityVM, systemOf }, { prefix: 'vmsocket', owner: 'vmsocket-test' });
  ({ hcsd, vm } = fixture);
});
afterAll(() => fixture?.close());

async function table(): Promise<Record<string, unknown>> {
  return (await hcsd.control.system(vm.id)).devices.hvSocketServices;
}

describe('plugin', () => {
  it('UtilityVM.use(vmsocket) installs updateHvSocketService and removeHvSocketService', async () => {
    expect(vmsocket.name).toBe('vmsocket');
    expect(vmsocket.coreRange).toBe('^1.0.0');
    expect(Object.keys(vmsocket.methods).sort()).toEqual(['removeHvSocketService', 'updateHvSocketService']);
    UtilityVM.use(vmsocket);
    expect(UtilityVM.has('vmsocket')).toBe(true);
    const sid = '11111111-2222-3333-4444-555555555555';
    await vm.updateHvSocketService(sid, { AllowWildcardBinds: false });
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: `${TABLE}/${sid}`,
      RequestType: 'Update',
      Settings: { AllowWildcardBinds: false },
    });
    await vm.removeHvSocketService(sid);
    expect(await table()).toStrictEqual(BASE_TABLE);
  });
});

describe('update', () => {
  it('updateHvSocketService sends Update with the config and creates the entry', async () => {
    await updateHvSocketService(vm, SID, logService);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath:
        'VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/00000071-facb-11e6-bd58-64006a7986d3',
      RequestType: 'Update',
      Settings: {
        BindSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
        ConnectSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)',
        AllowWildcardBinds: true,
      },
    });
    expect(await table()).toStrictEqual({ ...BASE_TABLE, [SID]: logService });
  });

  it('an upper-case service id is lower-cased in the path; a second Update replaces the entry', async () => {
    await updateHvSocketService(vm, SID_UPPER, { BindSecurityDescriptor: 'D:P(A;;FA;;;WD)' });
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: `${TABLE}/${SID_LOWER}`,
      RequestType: 'Update',
      Settings: { BindSecurityDescriptor: 'D:P(A;;FA;;;WD)' },
    });
    await updateHvSocketService(vm, SID_UPPER, { Disabled: true, BindSecurityDescriptor: 'D:P(A;;FA;;;SY)' });
    expect((await table())[SID_LOWER]).toStrictEqual({
      Disabled: true,
      BindSecurityDescriptor: 'D:P(A;;FA;;;SY)',
    });
  });

  it('Update of an existing entry with Disabled and empty descriptors removes it', async () => {
    await updateHvSocketService(vm, SID_LOWER, {
      Disabled: true,
      BindSecurityDescriptor: '',
      ConnectSecurityDescriptor: '',
    });
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: `${TABLE}/${SID_LOWER}`,
      RequestType: 'Update',
      Settings: { Disabled: true, BindSecurityDescriptor: '', ConnectSecurityDescriptor: '' },
    });
    expect(await table()).toStrictEqual({ ...BASE_TABLE, [SID]: logService });
  });

  // hcs-api.md §6a "Update (creates if absent; …)" and hcsshim's UpdateHvSocketService contract:
  // an absent service is created "with whatever descriptors and state was specified (disabled or
  // not)"; only an EXISTING entry is removed by Disabled + empty descriptors.
  it('Update of an absent service with Disabled creates it, disabled (spec; hcsd discrepancy reported)', async () => {
    const sid = 'a42e7cda-d03f-480c-9cc2-a4de20abb878';
    try {
      await updateHvSocketService(vm, sid, { Disabled: true });
      expect((await modifyLog(vm)).at(-1)).toStrictEqual({
        ResourcePath: `${TABLE}/${sid}`,
        RequestType: 'Update',
        Settings: { Disabled: true },
      });
      expect((await table())[sid]).toStrictEqual({ Disabled: true });
    } finally {
      // removes the entry if it exists (spec), a no-op otherwise
      await updateHvSocketService(vm, sid, {
        Disabled: true,
        BindSecurityDescriptor: '',
        ConnectSecurityDescriptor: '',
      });
    }
    expect((await table())[sid]).toBeUndefined();
  });
});

describe('remove', () => {
  it('removeHvSocketService sends Remove without Settings and drops the entry', async () => {
    await removeHvSocketService(vm, SID);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: `${TABLE}/00000071-facb-11e6-bd58-64006a7986d3`,
      RequestType: 'Remove',
    });
    expect(await table()).toStrictEqual(BASE_TABLE);
  });

  it('removing an absent entry fails with ERROR_NOT_FOUND (isNotFound), wrapped', async () => {
    const err = await rejection<HcsError>(removeHvSocketService(vm, SID));
    expect(isNotFound(err)).toBe(true);
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(err.hresult).toBe(0x80070490);
    expect(err.id).toBe(vm.id);
    expect(err.message).toBe(
      `failed to remove HvSocket service ${SID}: HcsModifyComputeSystem ${JSON.stringify(vm.id)} failed with ERROR_NOT_FOUND (0x80070490): HvSocket service ${SID} is not in the service table`,
    );
    expect((err.cause as Error).message).toBe(
      err.message.slice(`failed to remove HvSocket service ${SID}: `.length),
    );
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: `${TABLE}/${SID}`,
      RequestType: 'Remove',
    });
  });
});

describe('invalid arguments: nothing is sent', () => {
  const G = GCS_SERVICE_ID;
  const reason = 'must be a bare GUID xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx';
  const cases: [string, () => Promise<void>, string][] = [
    [
      'not a GUID',
      () => updateHvSocketService(vm, 'gcs', logService),
      `failed to update HvSocket service gcs: invalid argument serviceId ("gcs"): ${reason}`,
    ],
    [
      'empty',
      () => removeHvSocketService(vm, ''),
      `failed to remove HvSocket service : invalid argument serviceId (""): ${reason}`,
    ],
    [
      'braced GUID',
      () => removeHvSocketService(vm, `{${G}}`),
      `failed to remove HvSocket service {${G}}: invalid argument serviceId ("{${G}}"): ${reason}`,
    ],
    [
      '"../<guid>"',
      () => removeHvSocketService(vm, `../${G}`),
      `failed to remove HvSocket service ../${G}: invalid argument serviceId ("../${G}"): ${reason}`,
    ],
    [
      '"<guid>/.."',
      () => updateHvSocketService(vm, `${G}/..`, logService),
      `failed to update HvSocket service ${G}/..: invalid argument serviceId ("${G}/.."): ${reason}`,
    ],
    [
      '"<guid>%2F.."',
      () => updateHvSocketService(vm, `${G}%2F..`, logService),
      `failed to update HvSocket service ${G}%2F..: invalid argument serviceId ("${G}%2F.."): ${reason}`,
    ],
    [
      '"/"',
      () => removeHvSocketService(vm, '/'),
      `failed to remove HvSocket service /: invalid argument serviceId ("/"): ${reason}`,
    ],
    [
      'a number',
      () => removeHvSocketService(vm, 6 as never),
      'failed to remove HvSocket service 6: invalid argument serviceId (6): must be a string',
    ],
  ];
  for (const [name, call, message] of cases) {
    it(`${name} → InvalidArgument naming serviceId`, async () => {
      expect(await refusal(hcsd.control, vm.id, call)).toEqual(argumentRefusal('serviceId', message));
    });
  }

  it('invalid settings → InvalidArgument naming the field path', async () => {
    const before = (await modifyLog(vm)).length;
    const wild = await rejection<HcsError>(
      updateHvSocketService(vm, SID, { AllowWildcardBinds: 'yes' } as never),
    );
    expect(wild.code).toBe('InvalidArgument');
    expect(wild.message).toMatch(
      new RegExp(
        `^failed to update HvSocket service ${SID}: invalid ModifySettingRequest: Settings\\.AllowWildcardBinds: `,
      ),
    );
    const unknown = await rejection<HcsError>(updateHvSocketService(vm, SID, { Sddl: 'D:' } as never));
    expect(unknown.code).toBe('InvalidArgument');
    expect(unknown.message).toMatch(/invalid ModifySettingRequest: Settings(\.Sddl)?: /);
    const none = await rejection<HcsError>(updateHvSocketService(vm, SID, undefined as never));
    expect(none.message).toMatch(/invalid ModifySettingRequest: Settings: is required$/);
    expect((await modifyLog(vm)).length).toBe(before);
    expect(await table()).toStrictEqual(BASE_TABLE);
  });
});

describe('VM state and call options', () => {
  it('Created: HCS_E_INVALID_STATE; Stopped: HCS_E_SYSTEM_ALREADY_STOPPED; nothing changes', async () => {
    const { outcomes, log, devices } = await notRunningReport({ UtilityVM, systemOf }, hcsd.control, {
      prefix: 'vmsocket',
      owner: 'vmsocket-test',
      states: ['Created', 'Stopped'],
      calls: (uvm, state) =>
        state === 'Created'
          ? [['update', () => updateHvSocketService(uvm, SID, logService)]]
          : [['remove', () => removeHvSocketService(uvm, GCS_SERVICE_ID)]],
      inspect: (err) => ({ invalidState: isInvalidState(err) }),
    });
    expect(outcomes).toEqual([
      {
        state: 'Created',
        call: 'update',
        ...NOT_RUNNING.Created,
        message: expect.stringMatching(
          startsWithPattern(`failed to update HvSocket service ${SID}: HcsModifyComputeSystem `),
        ),
        invalidState: true,
      },
      {
        state: 'Stopped',
        call: 'remove',
        ...NOT_RUNNING.Stopped,
        message: expect.stringMatching(
          startsWithPattern(`failed to remove HvSocket service ${GCS_SERVICE_ID}: HcsModifyComputeSystem `),
        ),
        invalidState: false,
      },
    ]);
    expect(log).toStrictEqual([
      { ResourcePath: `${TABLE}/${SID}`, RequestType: 'Update', Settings: logService },
      { ResourcePath: `${TABLE}/${GCS_SERVICE_ID}`, RequestType: 'Remove' },
    ]);
    expect(devices.hvSocketServices).toStrictEqual(BASE_TABLE);
  });

  it('options reach vm.modify: an aborted signal sends nothing; a timeout rejects with Timeout', async () => {
    const before = (await modifyLog(vm)).length;
    const aborted = await rejection<HcsError>(
      updateHvSocketService(vm, SID, logService, { signal: AbortSignal.abort() }),
    );
    expect(aborted.code).toBe('Aborted');
    expect(aborted.message).toMatch(new RegExp(`^failed to update HvSocket service ${SID}: `));
    expect((await modifyLog(vm)).length).toBe(before);
    await hcsd.control.delay({ method: 'Modify', ms: 400, count: 1 });
    const timedOut = await rejection<HcsError>(removeHvSocketService(vm, GCS_SERVICE_ID, { timeout: 50 }));
    expect(timedOut.code).toBe('Timeout');
    expect(timedOut.message).toMatch(new RegExp(`^failed to remove HvSocket service ${GCS_SERVICE_ID}: `));
  });

  it('an HCS failure keeps code, hresult and the ResultError message', async () => {
    await hcsd.control.fault({ method: 'Modify', count: 1, hresult: 0x80070005, message: 'denied here' });
    const err = await rejection<HcsError>(updateHvSocketService(vm, SID, logService));
    expect(err.code).toBe('ERROR_ACCESS_DENIED');
    expect(err.hresult).toBe(0x80070005);
    expect(err.hcsMessage).toBe('denied here');
    expect(err.message).toMatch(
      /^failed to update HvSocket service .*: HcsModifyComputeSystem .*denied here$/,
    );
  });
});
