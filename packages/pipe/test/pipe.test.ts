/** @uvmkit/pipe through the real path (koffi → libcomputecore.so → hcsd). */
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
  notRunningOutcomes,
  notRunningReport,
  refusal,
  rejection,
  startsWithPattern,
  startTestVm,
  type TestVm,
} from '@uvmkit/hcs-emulator/testing';
import { describeValue, type InvalidArgumentError } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPipe, pipe, removePipe } from '../src/index.js';

let fixture: TestVm<UtilityVM>;
let control: HcsdControl;
let vm: UtilityVM;
let id: string;

const ENGINE = '\\\\.\\pipe\\docker_engine';
const LOGS = '\\\\.\\pipe\\uvmkit\\Logs';
const path = (hostPath: string) => `VirtualMachine/Devices/MappedPipes/${hostPath}`;

beforeAll(async () => {
  fixture = await startTestVm({ UtilityVM, systemOf }, { prefix: 'pipe', owner: 'uvmkit-pipe-test' });
  ({ control, vm, id } = fixture);
});
afterAll(() => fixture?.close());

const BAD_PATHS = [
  'docker_engine',
  'C:\\pipes\\docker_engine',
  '\\\\server\\pipe\\docker_engine',
  '\\\\.\\pipe\\',
  '\\\\.\\pipe\\..\\..\\Devices',
  '\\\\.\\pipe\\a\\..\\b',
  '\\\\.\\pipe\\a\\\\b',
  '\\\\.\\pipe\\a/../../Scsi',
  '../MappedPipes/\\\\.\\pipe\\a',
  '/',
  '%2F',
  '\\\\.\\pipe\\a%2F..%2F..',
  '\\\\.\\pipe\\a\u0000',
  '',
  7,
  undefined,
];

/** Asserts a local rejection: InvalidArgument naming `hostPath` (and its value), hcsd got nothing. */
async function expectBadPath(call: () => Promise<unknown>, verb: string, hostPath: unknown) {
  const got = await refusal(control, id, call, (err) => {
    const cause = (err as HcsError).cause as InvalidArgumentError | undefined;
    return { invalidArgument: isInvalidArgument(err), value: cause?.value, causeMessage: cause?.message };
  });
  expect(got).toEqual({
    code: 'InvalidArgument',
    hresult: undefined,
    message: `failed to ${verb} mapped pipe ${describeValue(hostPath)}: ${got.causeMessage}`,
    argument: 'hostPath',
    sent: [],
    invalidArgument: true,
    value: hostPath,
    causeMessage: expect.stringMatching(/^invalid argument hostPath \(.*\): (must|pipe name must) /),
  });
}

describe('plugin', () => {
  it('importing installs nothing; use() adds addPipe/removePipe', () => {
    expect(UtilityVM.has('pipe')).toBe(false);
    expect('addPipe' in UtilityVM.prototype).toBe(false);
    expect(pipe.name).toBe('pipe');
    expect(pipe.coreRange).toBe('^1.0.0');
    expect(Object.keys(pipe.methods).sort()).toEqual(['addPipe', 'removePipe']);
    UtilityVM.use(pipe);
    expect(UtilityVM.has('pipe')).toBe(true);
    expect(typeof vm.addPipe).toBe('function');
  });
});

describe('addPipe', () => {
  it('maps with no Settings: exact document, device table', async () => {
    const before = (await control.modifyLog(id)).length;
    await addPipe(vm, ENGINE);
    UtilityVM.use(pipe);
    await vm.addPipe(LOGS, { timeout: 5000 });
    const log = await control.modifyLog(id);
    expect(log.slice(before)).toEqual([
      { ResourcePath: path(ENGINE), RequestType: 'Add' },
      { ResourcePath: path(LOGS), RequestType: 'Add' },
    ]);
    expect(Object.keys(log[before] as object)).toEqual(['ResourcePath', 'RequestType']);
    expect((await control.system(id)).devices.mappedPipes).toEqual([ENGINE, LOGS]);
  });

  it('a pipe already mapped (any case) → ERROR_ALREADY_EXISTS (0x800700B7)', async () => {
    const other = '\\\\.\\PIPE\\Docker_Engine';
    const err = await rejection<HcsError>(addPipe(vm, other));
    expect(err).toBeInstanceOf(HcsError);
    expect(err.hresult).toBe(0x800700b7);
    expect(err.code).toBe('ERROR_ALREADY_EXISTS');
    expect(isAlreadyExists(err)).toBe(true);
    expect(err.id).toBe(id);
    expect(err.message).toBe(
      `failed to add mapped pipe ${describeValue(other)}: ${(err.cause as HcsError).message}`,
    );
    expect(err.hcsMessage).toBe(`mapped pipe ${other} already exists`);
    expect((await control.modifyLog(id)).at(-1)).toEqual({ ResourcePath: path(other), RequestType: 'Add' });
    expect((await control.system(id)).devices.mappedPipes).toEqual([ENGINE, LOGS]);
  });

  it('invalid host paths → InvalidArgument "hostPath"; nothing sent', async () => {
    for (const bad of BAD_PATHS) await expectBadPath(() => addPipe(vm, bad as never), 'add', bad);
  });

  it('passes options: abort while hcsd holds the request → Aborted, nothing mapped', async () => {
    const held = '\\\\.\\pipe\\held';
    const err = await abortWhileHeld<HcsError>(control, id, (signal) => addPipe(vm, held, { signal }));
    expect(err.code).toBe('Aborted');
    expect(isAborted(err)).toBe(true);
    expect(err.message).toMatch(/^failed to add mapped pipe "\\\\\\\\.\\\\pipe\\\\held": /);
    expect((await control.system(id)).devices.mappedPipes).toEqual([ENGINE, LOGS]);
  });
});

describe('removePipe', () => {
  it('unmaps with no Settings: exact document, device table', async () => {
    await removePipe(vm, LOGS);
    const log = await control.modifyLog(id);
    expect(log.at(-1)).toEqual({ ResourcePath: path(LOGS), RequestType: 'Remove' });
    expect(Object.keys(log.at(-1) as object)).toEqual(['ResourcePath', 'RequestType']);
    expect((await control.system(id)).devices.mappedPipes).toEqual([ENGINE]);
  });

  it('a pipe that is not mapped → ERROR_NOT_FOUND', async () => {
    const err = await rejection<HcsError>(vm.removePipe(LOGS));
    expect(err.hresult).toBe(0x80070490);
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toMatch(
      /^failed to remove mapped pipe "\\\\\\\\.\\\\pipe\\\\uvmkit\\\\Logs": HcsModifyComputeSystem /,
    );
    expect(err.hcsMessage).toBe(`mapped pipe ${LOGS} does not exist`);
    expect((await control.modifyLog(id)).at(-1)).toEqual({ ResourcePath: path(LOGS), RequestType: 'Remove' });
  });

  it('invalid host paths → InvalidArgument "hostPath"; nothing sent', async () => {
    for (const bad of BAD_PATHS) await expectBadPath(() => removePipe(vm, bad as never), 'remove', bad);
    expect((await control.system(id)).devices.mappedPipes).toEqual([ENGINE]);
  });
});

describe('VM not running', () => {
  it('Created or Paused → HCS_E_INVALID_STATE; Stopped → HCS_E_SYSTEM_ALREADY_STOPPED (both methods)', async () => {
    const { outcomes, log, devices } = await notRunningReport({ UtilityVM, systemOf }, control, {
      prefix: 'pipe',
      owner: 'uvmkit-pipe-test',
      calls: (uvm) => [
        ['add', () => addPipe(uvm, ENGINE)],
        ['remove', () => removePipe(uvm, ENGINE)],
      ],
      inspect: (err) => ({ invalidState: isInvalidState(err) }),
    });
    expect(outcomes).toEqual(
      notRunningOutcomes(['add', 'remove'], (state, call) => ({
        message: expect.stringMatching(
          startsWithPattern(`failed to ${call} mapped pipe ${describeValue(ENGINE)}: `),
        ),
        invalidState: state !== 'Stopped',
      })),
    );
    const add = { ResourcePath: path(ENGINE), RequestType: 'Add' };
    const remove = { ResourcePath: path(ENGINE), RequestType: 'Remove' };
    expect(log).toEqual([add, remove, add, remove, add, remove]);
    expect(devices.mappedPipes).toEqual([]);
  });
});
