/** @uvmkit/network through the real path (koffi → libcomputecore.so → hcsd). */
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
import { describeValue, type NetworkAdapter } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNIC, network, removeNIC, updateNIC } from '../src/index.js';

let fixture: TestVm<UtilityVM>;
let control: HcsdControl;
let vm: UtilityVM;
let id: string;

const NIC_A = '8e3c2f6a-1b4d-4c5e-9f70-a1b2c3d4e5f6';
const NIC_B_UPPER = '0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0';
const NIC_B = NIC_B_UPPER.toLowerCase();
const path = (nicId: string) => `VirtualMachine/Devices/NetworkAdapters/${nicId}`;

const endpointA: NetworkAdapter = {
  EndpointId: '5c2d4f1e-7a8b-4c9d-8e0f-112233445566',
  MacAddress: '00-15-5D-52-C0-01',
};
const endpointB: NetworkAdapter = {
  EndpointId: '6d3e5a2f-8b9c-4dae-9f10-223344556677',
  MacAddress: '00-15-5D-52-C0-02',
};
const endpointBIov: NetworkAdapter = {
  ...endpointB,
  IovSettings: { OffloadWeight: 100, QueuePairsRequested: 4, InterruptModeration: 'Adaptive' },
};

beforeAll(async () => {
  fixture = await startTestVm({ UtilityVM, systemOf }, { prefix: 'net', owner: 'uvmkit-network-test' });
  ({ control, vm, id } = fixture);
});
afterAll(() => fixture?.close());

/** Asserts a local rejection: InvalidArgument naming `nicId`, hcsd got nothing. */
async function expectBadNicId(call: () => Promise<unknown>, verb: string, nicId: unknown) {
  const prefix = `failed to ${verb} NIC ${describeValue(nicId)}: invalid argument nicId (`;
  const inspect = (err: unknown) => ({ invalidArgument: isInvalidArgument(err) });
  expect(await refusal(control, id, call, inspect)).toEqual(
    argumentRefusal('nicId', expect.stringMatching(startsWithPattern(prefix)), { invalidArgument: true }),
  );
}

const BAD_IDS = [
  'nic0',
  '../NetworkAdapters/8e3c2f6a-1b4d-4c5e-9f70-a1b2c3d4e5f6',
  `${NIC_A}/..`,
  `${NIC_A}/../../Scsi`,
  '/',
  '%2F',
  `${NIC_A}%2F`,
  `{${NIC_A}}`,
  `${NIC_A} `,
  '',
  '..',
  42,
  null,
];

describe('plugin', () => {
  it('importing installs nothing; use() adds addNIC/removeNIC/updateNIC', () => {
    expect(UtilityVM.has('network')).toBe(false);
    expect('addNIC' in UtilityVM.prototype).toBe(false);
    expect(network.name).toBe('network');
    expect(network.coreRange).toBe('^1.0.0');
    expect(Object.keys(network.methods).sort()).toEqual(['addNIC', 'removeNIC', 'updateNIC']);
    UtilityVM.use(network);
    expect(UtilityVM.has('network')).toBe(true);
    expect(typeof vm.updateNIC).toBe('function');
  });
});

describe('addNIC', () => {
  it('adds: exact document, device table', async () => {
    const before = (await control.modifyLog(id)).length;
    await addNIC(vm, NIC_A, endpointA);
    const log = await control.modifyLog(id);
    expect(log.slice(before)).toEqual([
      { ResourcePath: path(NIC_A), RequestType: 'Add', Settings: endpointA },
    ]);
    expect(Object.keys(log[before] as object)).toEqual(['ResourcePath', 'RequestType', 'Settings']);
    expect((await control.system(id)).devices.networkAdapters).toEqual({ [NIC_A]: endpointA });
  });

  it('an upper-case NIC id is sent lower-cased (installed method)', async () => {
    UtilityVM.use(network);
    await vm.addNIC(NIC_B_UPPER, endpointB);
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: path(NIC_B),
      RequestType: 'Add',
      Settings: endpointB,
    });
    expect((await control.system(id)).devices.networkAdapters).toEqual({
      [NIC_A]: endpointA,
      [NIC_B]: endpointB,
    });
  });

  it('an id already in use → ERROR_ALREADY_EXISTS (0x800700B7), table unchanged', async () => {
    const err = await rejection<HcsError>(addNIC(vm, NIC_A.toUpperCase(), endpointB));
    expect(err).toBeInstanceOf(HcsError);
    expect(err.hresult).toBe(0x800700b7);
    expect(err.code).toBe('ERROR_ALREADY_EXISTS');
    expect(isAlreadyExists(err)).toBe(true);
    expect(err.id).toBe(id);
    expect(err.cause).toBeInstanceOf(HcsError);
    expect(err.message).toBe(
      `failed to add NIC ${JSON.stringify(NIC_A.toUpperCase())}: ${(err.cause as HcsError).message}`,
    );
    expect(err.hcsMessage).toBe(`network adapter ${NIC_A} already exists`);
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: path(NIC_A),
      RequestType: 'Add',
      Settings: endpointB,
    });
    expect((await control.system(id)).devices.networkAdapters[NIC_A]).toEqual(endpointA);
  });

  it('invalid settings → InvalidArgument naming the field; nothing sent', async () => {
    const log = await control.modifyLog(id);
    const NIC_C = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    const cases: [unknown, RegExp][] = [
      [{ MacAddress: '00-15-5D-52-C0-03' }, /: Settings\.EndpointId: /],
      [{ ...endpointA, EndpointId: 'not-a-guid' }, /: Settings\.EndpointId: /],
      [{ ...endpointA, MacAddress: '00155D52C003' }, /: Settings\.MacAddress: /],
      [
        { ...endpointA, IovSettings: { InterruptModeration: 'Sometimes' } },
        /: Settings\.IovSettings\.InterruptModeration: /,
      ],
      [{ ...endpointA, PortName: 'x' }, /: Settings(\.PortName)?: /],
      [undefined, /: Settings: is required$/],
    ];
    for (const [settings, re] of cases) {
      const err = await rejection<HcsError>(addNIC(vm, NIC_C, settings as never));
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toMatch(
        new RegExp(`^failed to add NIC "${NIC_C}": invalid ModifySettingRequest: `),
      );
      expect(err.message).toMatch(re);
    }
    expect(await control.modifyLog(id)).toEqual(log);
  });

  it('invalid NIC ids → InvalidArgument "nicId"; nothing sent', async () => {
    for (const bad of BAD_IDS) await expectBadNicId(() => addNIC(vm, bad as never, endpointA), 'add', bad);
  });
});

describe('updateNIC', () => {
  it('replaces the settings: exact document, device table', async () => {
    await updateNIC(vm, NIC_B, endpointBIov);
    const log = await control.modifyLog(id);
    expect(log.at(-1)).toEqual({ ResourcePath: path(NIC_B), RequestType: 'Update', Settings: endpointBIov });
    expect(Object.keys(log.at(-1) as object)).toEqual(['ResourcePath', 'RequestType', 'Settings']);
    expect((await control.system(id)).devices.networkAdapters[NIC_B]).toEqual(endpointBIov);
  });

  it('an absent NIC → ERROR_NOT_FOUND', async () => {
    const absent = 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff';
    const err = await rejection<HcsError>(vm.updateNIC(absent, endpointA));
    expect(err.hresult).toBe(0x80070490);
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toMatch(new RegExp(`^failed to update NIC "${absent}": HcsModifyComputeSystem `));
    expect(err.hcsMessage).toBe(`network adapter ${absent} does not exist`);
    expect(Object.keys((await control.system(id)).devices.networkAdapters).sort()).toEqual(
      [NIC_A, NIC_B].sort(),
    );
  });

  it('invalid settings and NIC ids → InvalidArgument; nothing sent', async () => {
    const log = await control.modifyLog(id);
    const err = await rejection<HcsError>(
      updateNIC(vm, NIC_B, { ...endpointB, ConnectionState: 'Up' } as never),
    );
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toMatch(
      new RegExp(`^failed to update NIC "${NIC_B}": .*Settings\\.ConnectionState: `),
    );
    for (const bad of BAD_IDS)
      await expectBadNicId(() => updateNIC(vm, bad as never, endpointB), 'update', bad);
    expect(await control.modifyLog(id)).toEqual(log);
  });

  it('passes options: abort while hcsd holds the request → Aborted, settings unchanged', async () => {
    const err = await abortWhileHeld<HcsError>(control, id, (signal) =>
      updateNIC(vm, NIC_B, endpointB, { signal }),
    );
    expect(err.code).toBe('Aborted');
    expect(isAborted(err)).toBe(true);
    expect(err.message).toMatch(new RegExp(`^failed to update NIC "${NIC_B}": `));
    expect((await control.system(id)).devices.networkAdapters[NIC_B]).toEqual(endpointBIov);
  });
});

describe('removeNIC', () => {
  it('removes, sending the settings too: exact document, device table', async () => {
    await removeNIC(vm, NIC_A, endpointA);
    const log = await control.modifyLog(id);
    expect(log.at(-1)).toEqual({ ResourcePath: path(NIC_A), RequestType: 'Remove', Settings: endpointA });
    expect(Object.keys(log.at(-1) as object)).toEqual(['ResourcePath', 'RequestType', 'Settings']);
    expect((await control.system(id)).devices.networkAdapters).toEqual({ [NIC_B]: endpointBIov });
  });

  it('an absent NIC → ERROR_NOT_FOUND', async () => {
    const err = await rejection<HcsError>(removeNIC(vm, NIC_A, endpointA));
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toMatch(new RegExp(`^failed to remove NIC "${NIC_A}": HcsModifyComputeSystem `));
    expect((await control.modifyLog(id)).at(-1)).toEqual({
      ResourcePath: path(NIC_A),
      RequestType: 'Remove',
      Settings: endpointA,
    });
  });

  it('settings are required and validated on Remove; invalid NIC ids → InvalidArgument', async () => {
    const log = await control.modifyLog(id);
    const none = await rejection<HcsError>(removeNIC(vm, NIC_B, undefined as never));
    expect(none.code).toBe('InvalidArgument');
    expect(none.message).toBe(
      `failed to remove NIC "${NIC_B}": invalid ModifySettingRequest: Settings: is required`,
    );
    const bad = await rejection<HcsError>(removeNIC(vm, NIC_B, { EndpointId: 'x' }));
    expect(bad.message).toMatch(/: Settings\.EndpointId: /);
    for (const b of BAD_IDS) await expectBadNicId(() => removeNIC(vm, b as never, endpointB), 'remove', b);
    expect(await control.modifyLog(id)).toEqual(log);
    expect((await control.system(id)).devices.networkAdapters).toEqual({ [NIC_B]: endpointBIov });
  });
});

describe('VM not running', () => {
  it('Created or Paused → HCS_E_INVALID_STATE; Stopped → HCS_E_SYSTEM_ALREADY_STOPPED (every method)', async () => {
    const { outcomes, log, devices } = await notRunningReport({ UtilityVM, systemOf }, control, {
      prefix: 'net',
      owner: 'uvmkit-network-test',
      calls: (uvm) => [
        ['add', () => addNIC(uvm, NIC_A, endpointA)],
        ['update', () => updateNIC(uvm, NIC_A, endpointA)],
        ['remove', () => removeNIC(uvm, NIC_A, endpointA)],
      ],
      inspect: (err) => ({ invalidState: isInvalidState(err) }),
    });
    expect(outcomes).toEqual(
      notRunningOutcomes(['add', 'update', 'remove'], (state, call) => ({
        message: expect.stringMatching(new RegExp(`^failed to ${call} NIC "${NIC_A}": `)),
        invalidState: state !== 'Stopped',
      })),
    );
    expect(log).toHaveLength(9);
    expect(log.slice(0, 3)).toEqual([
      { ResourcePath: path(NIC_A), RequestType: 'Add', Settings: endpointA },
      { ResourcePath: path(NIC_A), RequestType: 'Update', Settings: endpointA },
      { ResourcePath: path(NIC_A), RequestType: 'Remove', Settings: endpointA },
    ]);
    expect(log.slice(3, 6)).toEqual(log.slice(0, 3));
    expect(log.slice(6)).toEqual(log.slice(0, 3));
    expect(devices.networkAdapters).toEqual({});
  });
});
