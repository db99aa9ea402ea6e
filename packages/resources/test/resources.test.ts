/** @uvmkit/resources through the real path (koffi → libcomputecore.so → hcsd). */
import { type HcsError, isInvalidState, systemOf, UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import {
  argumentRefusal,
  NOT_RUNNING,
  notRunningReport,
  refusal,
  rejection,
  startsWithPattern,
  startTestVm,
  type TestVm,
} from '@uvmkit/hcs-emulator/testing';
import { NULL_GUID } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources, setCPUGroup, updateCPULimits, updateMemory } from '../src/index.js';

const MEMORY = 'VirtualMachine/ComputeTopology/Memory/SizeInMB';
const GROUP = 'VirtualMachine/ComputeTopology/Processor/CpuGroup';
const LIMITS = 'VirtualMachine/ComputeTopology/Processor/Limits';
const G1 = '8f1b3c3e-6f1a-4a6e-9b7e-2d3c4b5a6f70';
const G2 = 'C0FFEE00-1111-2222-3333-444455556666';

let fixture: TestVm<UtilityVM>;
let hcsd: HcsdProcess;
let vm: UtilityVM;

/** The ModifySettingRequests hcsd received for `v`, in order. */
const modifyLog = (v: UtilityVM) => hcsd.control.modifyLog(v.id);

beforeAll(async () => {
  fixture = await startTestVm({ UtilityVM, systemOf }, { prefix: 'resources', owner: 'resources-test' });
  ({ hcsd, vm } = fixture);
});
afterAll(() => fixture?.close());

async function table() {
  const d = (await hcsd.control.system(vm.id)).devices;
  return { memory: d.memorySizeInMB, processor: d.processor };
}

describe('plugin', () => {
  it('UtilityVM.use(resources) installs setCPUGroup, updateCPULimits, updateMemory', async () => {
    expect(resources.name).toBe('resources');
    expect(resources.coreRange).toBe('^1.0.0');
    expect(Object.keys(resources.methods).sort()).toEqual(['setCPUGroup', 'updateCPULimits', 'updateMemory']);
    UtilityVM.use(resources);
    expect(UtilityVM.has('resources')).toBe(true);
    await vm.updateMemory(1536);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({ ResourcePath: MEMORY, Settings: 1536 });
    expect((await table()).memory).toBe(1536);
  });
});

describe('memory', () => {
  it('updateMemory sends a bare number and no RequestType; the configuration follows', async () => {
    await updateMemory(vm, 2048);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB',
      Settings: 2048,
    });
    expect(await table()).toStrictEqual({ memory: 2048, processor: { Count: 2 } });
    const cfg = (await hcsd.control.system(vm.id)).config as {
      VirtualMachine: { ComputeTopology: { Memory: unknown } };
    };
    expect(cfg.VirtualMachine.ComputeTopology.Memory).toStrictEqual({
      SizeInMB: 2048,
      AllowOvercommit: true,
      EnableDeferredCommit: true,
    });
  });
});

describe('CPU group', () => {
  it('setCPUGroup(id) sends {Id} and no RequestType; the processor joins the group', async () => {
    await setCPUGroup(vm, G1);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: 'VirtualMachine/ComputeTopology/Processor/CpuGroup',
      Settings: { Id: G1 },
    });
    expect((await table()).processor).toStrictEqual({ Count: 2, CpuGroup: { Id: G1 } });
  });

  it('setCPUGroup({Id}) sends the document as given (GUID case kept)', async () => {
    await setCPUGroup(vm, { Id: G2 });
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({ ResourcePath: GROUP, Settings: { Id: G2 } });
    expect((await table()).processor).toStrictEqual({ Count: 2, CpuGroup: { Id: G2 } });
  });

  it('the null GUID takes the VM out of its group', async () => {
    await setCPUGroup(vm, NULL_GUID);
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: GROUP,
      Settings: { Id: '00000000-0000-0000-0000-000000000000' },
    });
    expect((await table()).processor).toStrictEqual({ Count: 2 });
  });
});

describe('processor limits', () => {
  it('updateCPULimits sends the ProcessorLimits and no RequestType; values merge into the processor', async () => {
    await updateCPULimits(vm, { Limit: 50000, Weight: 200 });
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: 'VirtualMachine/ComputeTopology/Processor/Limits',
      Settings: { Limit: 50000, Weight: 200 },
    });
    expect((await table()).processor).toStrictEqual({ Count: 2, Limit: 50000, Weight: 200 });
    await updateCPULimits(vm, { Reservation: 10000, MaximumFrequencyMHz: 2400, Weight: 100 });
    expect((await modifyLog(vm)).at(-1)).toStrictEqual({
      ResourcePath: LIMITS,
      Settings: { Reservation: 10000, MaximumFrequencyMHz: 2400, Weight: 100 },
    });
    expect((await table()).processor).toStrictEqual({
      Count: 2,
      Limit: 50000,
      Weight: 100,
      Reservation: 10000,
      MaximumFrequencyMHz: 2400,
    });
  });
});

describe('invalid arguments: nothing is sent', () => {
  const cases: [string, () => Promise<void>, string, string][] = [
    [
      'memory 0',
      () => updateMemory(vm, 0),
      'sizeInMB',
      'failed to update the memory size to 0 MB: invalid argument sizeInMB (0): must be at least 1',
    ],
    [
      'memory -512',
      () => updateMemory(vm, -512),
      'sizeInMB',
      'failed to update the memory size to -512 MB: invalid argument sizeInMB (-512): must be at least 1',
    ],
    [
      'memory 1.5',
      () => updateMemory(vm, 1.5),
      'sizeInMB',
      'failed to update the memory size to 1.5 MB: invalid argument sizeInMB (1.5): must be a safe integer',
    ],
    [
      'memory NaN',
      () => updateMemory(vm, Number.NaN),
      'sizeInMB',
      'failed to update the memory size to NaN MB: invalid argument sizeInMB (NaN): must be a safe integer',
    ],
    [
      'memory Infinity',
      () => updateMemory(vm, Number.POSITIVE_INFINITY),
      'sizeInMB',
      'failed to update the memory size to Infinity MB: invalid argument sizeInMB (Infinity): must be a safe integer',
    ],
    [
      'memory "2048"',
      () => updateMemory(vm, '2048' as never),
      'sizeInMB',
      'failed to update the memory size to 2048 MB: invalid argument sizeInMB ("2048"): must be a number',
    ],
    [
      'group "not-a-guid"',
      () => setCPUGroup(vm, 'not-a-guid'),
      'group',
      'failed to set the CPU group not-a-guid: invalid argument group ("not-a-guid"): must be a bare GUID',
    ],
    [
      'group "../<guid>"',
      () => setCPUGroup(vm, `../${G1}`),
      'group',
      `failed to set the CPU group ../${G1}: invalid argument group ("../${G1}"): must be a bare GUID`,
    ],
    [
      'group "<guid>/x"',
      () => setCPUGroup(vm, `${G1}/x`),
      'group',
      `failed to set the CPU group ${G1}/x: invalid argument group ("${G1}/x"): must be a bare GUID`,
    ],
    [
      'group "%2F"',
      () => setCPUGroup(vm, '%2F'),
      'group',
      'failed to set the CPU group %2F: invalid argument group ("%2F"): must be a bare GUID',
    ],
    [
      'group "{guid}"',
      () => setCPUGroup(vm, `{${G1}}`),
      'group',
      `failed to set the CPU group {${G1}}: invalid argument group ("{${G1}}"): must be a bare GUID`,
    ],
    [
      'group {Id: "x"}',
      () => setCPUGroup(vm, { Id: 'x' }),
      'group.Id',
      'failed to set the CPU group x: invalid argument group.Id ("x"): must be a bare GUID',
    ],
    [
      'group {}',
      () => setCPUGroup(vm, {} as never),
      'group.Id',
      'failed to set the CPU group: invalid argument group.Id (undefined): must be a bare GUID',
    ],
    [
      'group null',
      () => setCPUGroup(vm, null as never),
      'group',
      'failed to set the CPU group: invalid argument group (null): must be a CPU group id (GUID) or a CpuGroup {Id}',
    ],
  ];
  for (const [name, call, argument, message] of cases) {
    it(`${name} → InvalidArgument naming ${argument}`, async () => {
      expect(await refusal(hcsd.control, vm.id, call)).toEqual(argumentRefusal(argument, message));
    });
  }

  it('invalid settings → InvalidArgument naming the field path', async () => {
    const before = (await modifyLog(vm)).length;
    const negative = await rejection<HcsError>(updateCPULimits(vm, { Limit: -1 }));
    expect(negative.code).toBe('InvalidArgument');
    expect(negative.message).toMatch(
      /^failed to update the processor limits: invalid ModifySettingRequest: Settings\.Limit: /,
    );
    const unknown = await rejection<HcsError>(updateCPULimits(vm, { Count: 4 } as never));
    expect(unknown.code).toBe('InvalidArgument');
    expect(unknown.message).toMatch(/invalid ModifySettingRequest: Settings(\.Count)?: /);
    const extra = await rejection<HcsError>(setCPUGroup(vm, { Id: G1, Affinity: 3 } as never));
    expect(extra.code).toBe('InvalidArgument');
    expect(extra.message).toMatch(
      new RegExp(
        `^failed to set the CPU group ${G1}: invalid ModifySettingRequest: Settings(\\.Affinity)?: `,
      ),
    );
    const frequency = await rejection<HcsError>(updateCPULimits(vm, { MaximumFrequencyMHz: 2 ** 32 }));
    expect(frequency.message).toMatch(/Settings\.MaximumFrequencyMHz: /);
    expect((await modifyLog(vm)).length).toBe(before);
    expect((await table()).processor).toStrictEqual({
      Count: 2,
      Limit: 50000,
      Weight: 100,
      Reservation: 10000,
      MaximumFrequencyMHz: 2400,
    });
  });
});

describe('VM state and call options', () => {
  it('Created: HCS_E_INVALID_STATE; Stopped: HCS_E_SYSTEM_ALREADY_STOPPED; nothing changes', async () => {
    const { outcomes, log, devices } = await notRunningReport({ UtilityVM, systemOf }, hcsd.control, {
      prefix: 'resources',
      owner: 'resources-test',
      states: ['Created', 'Stopped'],
      calls: (uvm, state) =>
        state === 'Created'
          ? [['memory', () => updateMemory(uvm, 4096)]]
          : [
              ['group', () => setCPUGroup(uvm, G1)],
              ['limits', () => updateCPULimits(uvm, { Limit: 1 })],
            ],
      inspect: (err) => ({ invalidState: isInvalidState(err) }),
    });
    const failed = (prefix: string) => ({ message: expect.stringMatching(startsWithPattern(prefix)) });
    expect(outcomes).toEqual([
      {
        state: 'Created',
        call: 'memory',
        ...NOT_RUNNING.Created,
        ...failed('failed to update the memory size to 4096 MB: HcsModifyComputeSystem '),
        invalidState: true,
      },
      {
        state: 'Stopped',
        call: 'group',
        ...NOT_RUNNING.Stopped,
        ...failed(`failed to set the CPU group ${G1}: HcsModifyComputeSystem `),
        invalidState: false,
      },
      {
        state: 'Stopped',
        call: 'limits',
        ...NOT_RUNNING.Stopped,
        ...failed('failed to update the processor limits: HcsModifyComputeSystem '),
        invalidState: false,
      },
    ]);
    expect(log).toStrictEqual([
      { ResourcePath: MEMORY, Settings: 4096 },
      { ResourcePath: GROUP, Settings: { Id: G1 } },
      { ResourcePath: LIMITS, Settings: { Limit: 1 } },
    ]);
    expect(devices.memorySizeInMB).toBe(1024);
    expect(devices.processor).toStrictEqual({ Count: 2 });
  });

  it('options reach vm.modify: an aborted signal sends nothing; a timeout rejects with Timeout', async () => {
    const before = (await modifyLog(vm)).length;
    const aborted = await rejection<HcsError>(
      updateCPULimits(vm, { Limit: 1 }, { signal: AbortSignal.abort() }),
    );
    expect(aborted.code).toBe('Aborted');
    expect(aborted.message).toMatch(/^failed to update the processor limits: /);
    expect((await modifyLog(vm)).length).toBe(before);
    await hcsd.control.delay({ method: 'Modify', ms: 400, count: 1 });
    const timedOut = await rejection<HcsError>(updateMemory(vm, 4096, { timeout: 50 }));
    expect(timedOut.code).toBe('Timeout');
    expect(timedOut.message).toMatch(/^failed to update the memory size to 4096 MB: /);
  });

  it('an HCS failure keeps code, hresult and the ResultError message (e.g. a resize refused after boot)', async () => {
    await hcsd.control.fault({ method: 'Modify', count: 1, hresult: 0x80070005, message: 'denied here' });
    const err = await rejection<HcsError>(updateMemory(vm, 3072));
    expect(err.code).toBe('ERROR_ACCESS_DENIED');
    expect(err.hresult).toBe(0x80070005);
    expect(err.hcsMessage).toBe('denied here');
    expect(err.message).toMatch(
      /^failed to update the memory size to 3072 MB: HcsModifyComputeSystem .*denied here$/,
    );
  });
});
