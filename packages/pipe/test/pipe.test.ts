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
import type { HcsdControl, HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, rejection, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { InvalidArgumentError } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPipe, pipe, removePipe } from '../src/index.js';

let hcsd: HcsdProcess;
let control: HcsdControl;
let vm: UtilityVM;
let id: string;

const ENGINE = '\\\\.\\pipe\\docker_engine';
const LOGS = '\\\\.\\pipe\\uvmkit\\Logs';
const path = (hostPath: string) => `VirtualMachine/Devices/MappedPipes/${hostPath}`;

beforeAll(async () => {
  hcsd = await startTestHcsd();
  control = hcsd.control;
  id = uniqueSystemId('pipe');
  vm = await UtilityVM.create(id, lcowDocument({ owner: 'uvmkit-pipe-test' }));
  await systemOf(vm).start();
});
afterAll(async () => {
  await vm?.close();
  await hcsd?.stop();
});

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

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

async function expectBadPath(p: Promise<unknown>, verb: string, hostPath: unknown, log: unknown[]) {
  const err = await rejection<HcsError>(p);
  expect(err.code).toBe('InvalidArgument');
  expect(isInvalidArgument(err)).toBe(true);
  expect(err.cause).toBeInstanceOf(InvalidArgumentError);
  const cause = err.cause as InvalidArgumentError;
  expect(cause.argument).toBe('hostPath');
  expect(cause.value).toBe(hostPath);
  expect(cause.message).toMatch(/^invalid argument hostPath \(.*\): (must|pipe name must) /);
  expect(err.message).toBe(`failed to ${verb} mapped pipe ${show(hostPath)}: ${cause.message}`);
  expect(await control.modifyLog(id)).toEqual(log);
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
    expect(err.message).toBe(`failed to add mapped pipe ${show(other)}: ${(err.cause as HcsError).message}`);
    expect(err.hcsMessage).toBe(`mapped pipe ${other} already exists`);
    expect((await control.modifyLog(id)).at(-1)).toEqual({ ResourcePath: path(other), RequestType: 'Add' });
    expect((await control.system(id)).devices.mappedPipes).toEqual([ENGINE, LOGS]);
  });

  it('invalid host paths → InvalidArgument "hostPath"; nothing sent', async () => {
    const log = await control.modifyLog(id);
    for (const bad of BAD_PATHS) await expectBadPath(addPipe(vm, bad as never), 'add', bad, log);
  });

  it('passes options: abort while hcsd holds the request → Aborted, nothing mapped', async () => {
    const held = '\\\\.\\pipe\\held';
    await control.delay({ method: 'Modify', ms: 5000, count: 1, id });
    const ac = new AbortController();
    const p = rejection<HcsError>(addPipe(vm, held, { signal: ac.signal }));
    for (let i = 0; i < 200 && !(await control.pending()).some((x) => x.method === 'Modify'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    ac.abort();
    const err = await p;
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
    const log = await control.modifyLog(id);
    for (const bad of BAD_PATHS) await expectBadPath(removePipe(vm, bad as never), 'remove', bad, log);
    expect((await control.system(id)).devices.mappedPipes).toEqual([ENGINE]);
  });
});

describe('VM not running', () => {
  it('Created or Paused → HCS_E_INVALID_STATE; Stopped → HCS_E_SYSTEM_ALREADY_STOPPED (both methods)', async () => {
    const cid = uniqueSystemId('pipe');
    const created = await UtilityVM.create(cid, lcowDocument({ owner: 'uvmkit-pipe-test' }));
    const calls = [
      ['add', () => addPipe(created, ENGINE)],
      ['remove', () => removePipe(created, ENGINE)],
    ] as const;
    try {
      for (const state of ['Created', 'Paused']) {
        if (state === 'Paused') {
          await systemOf(created).start();
          await systemOf(created).pause();
        }
        expect((await control.system(cid)).state).toBe(state);
        for (const [verb, call] of calls) {
          const err = await rejection<HcsError>(call());
          expect(err.code).toBe('HCS_E_INVALID_STATE');
          expect(isInvalidState(err)).toBe(true);
          expect(err.message.startsWith(`failed to ${verb} mapped pipe ${show(ENGINE)}: `)).toBe(true);
        }
      }
      await systemOf(created).terminate();
      await systemOf(created).waitForExit();
      for (const [verb, call] of calls) {
        const err = await rejection<HcsError>(call());
        expect(err.code).toBe('HCS_E_SYSTEM_ALREADY_STOPPED');
        expect(err.hresult).toBe(0x80370110);
        expect(err.message.startsWith(`failed to ${verb} mapped pipe ${show(ENGINE)}: `)).toBe(true);
      }
      const add = { ResourcePath: path(ENGINE), RequestType: 'Add' };
      const remove = { ResourcePath: path(ENGINE), RequestType: 'Remove' };
      expect(await control.modifyLog(cid)).toEqual([add, remove, add, remove, add, remove]);
      expect((await control.system(cid)).devices.mappedPipes).toEqual([]);
    } finally {
      await created.close();
    }
  });
});
