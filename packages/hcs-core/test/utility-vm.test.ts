/** UtilityVM: validated create/open/modify, teardown on failure, exit. Real path through hcsd. */
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, HcsError } from '../src/errors.js';
import { systemOf, UtilityVM } from '../src/utility-vm.js';
import { startDaemon, uniqueId, vmConfig } from './helpers/env.js';

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startDaemon();
});
afterAll(async () => {
  await hcsd.stop();
});

async function rejection(p: Promise<unknown>): Promise<HcsError> {
  try {
    await p;
  } catch (err) {
    return err as HcsError;
  }
  throw new Error('expected a rejection');
}

async function handlesOf(id: string): Promise<unknown[]> {
  return (await hcsd.control.clients()).flatMap((c) => c.handles).filter((h) => h.systemId === id);
}

describe('UtilityVM.create', () => {
  it('creates, reads RuntimeId, exposes the system to managers', async () => {
    const id = uniqueId();
    const vm = await UtilityVM.create(id, vmConfig());
    const sys = await hcsd.control.system(id);
    expect(vm.id).toBe(id);
    expect(vm.runtimeId).toBe(sys.runtimeId);
    expect(vm.runtimeId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(systemOf(vm).id).toBe(id);
    await vm.close();
    expect(vm.closed).toBe(true);
  });

  it('rejects bad ids with InvalidArgument and sends nothing', async () => {
    const bad: unknown[] = [
      '',
      'x'.repeat(257),
      'tab\there',
      'del\u007f',
      'nul\u0000',
      '\udc00',
      7,
      null,
      undefined,
    ];
    for (const id of bad) {
      const err = await rejection(UtilityVM.create(id as string, vmConfig()));
      expect(err, String(id)).toBeInstanceOf(HcsError);
      expect(err.code).toBe('InvalidArgument');
      expect(err.op).toBe('UtilityVM.create');
    }
    expect(await hcsd.control.systems()).toEqual([]);
    expect((await rejection(UtilityVM.create('x'.repeat(257), vmConfig()))).message).toBe(
      'UtilityVM.create: id must be at most 256 characters, got 257',
    );
  });

  it('rejects invalid configs naming the field path, and sends nothing', async () => {
    const cfg = vmConfig() as { VirtualMachine: { ComputeTopology: { Processor: { Count: unknown } } } };
    cfg.VirtualMachine.ComputeTopology.Processor.Count = 'two';
    const err = await rejection(UtilityVM.create(uniqueId(), cfg));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain('VirtualMachine.ComputeTopology.Processor.Count');
    expect((err.cause as { code: string; path: string }).code).toBe('SchemaValidation');
    expect((err.cause as { path: string }).path).toBe('VirtualMachine.ComputeTopology.Processor.Count');

    const noVm = { SchemaVersion: { Major: 2, Minor: 1 } };
    const err2 = await rejection(UtilityVM.create(uniqueId(), noVm));
    expect(err2.code).toBe('InvalidArgument');
    expect(err2.message).toContain('VirtualMachine');
    expect((await rejection(UtilityVM.create(uniqueId(), null as never))).code).toBe('InvalidArgument');
    expect((await rejection(UtilityVM.create(uniqueId(), [] as never))).code).toBe('InvalidArgument');
    expect(await hcsd.control.systems()).toEqual([]);
  });

  it('NaN / negative / huge timeouts and an already-aborted signal: typed errors, nothing sent', async () => {
    for (const timeout of [Number.NaN, -5, 2 ** 32, Number.POSITIVE_INFINITY]) {
      const err = await rejection(UtilityVM.create(uniqueId(), vmConfig(), { timeout }));
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toContain(
        'timeout must be a finite number of milliseconds between 0 and 4294967294',
      );
    }
    const reason = new Error('gone');
    const err = await rejection(
      UtilityVM.create(uniqueId(), vmConfig(), { signal: AbortSignal.abort(reason) }),
    );
    expect(err.code).toBe('Aborted');
    expect(err.cause).toBe(reason);
    expect(await hcsd.control.systems()).toEqual([]);
  });

  it('tears down what it made when reading properties fails', async () => {
    const id = uniqueId('teardown');
    await hcsd.control.fault({ method: 'GetProperties', count: 1, hresult: 0x80370109 });
    const err = await rejection(UtilityVM.create(id, vmConfig({ terminate: false })));
    expect(err.code).toBe('HCS_E_CONNECTION_TIMEOUT');
    expect(err.op).toBe('HcsGetComputeSystemProperties');
    const sys = (await hcsd.control.systems()).find((s) => s.id === id);
    expect(sys === undefined || sys.state === 'Stopped').toBe(true);
    expect(await handlesOf(id)).toEqual([]);
  });

  it('an abort that arrives after the create succeeded tears the system down', async () => {
    const id = uniqueId('late-abort');
    await hcsd.control.delay({ method: 'GetProperties', ms: 5000, count: 1 });
    const ac = new AbortController();
    const p = rejection(UtilityVM.create(id, vmConfig({ terminate: false }), { signal: ac.signal }));
    for (
      let i = 0;
      i < 200 && !(await hcsd.control.pending()).some((x) => x.method === 'GetProperties');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    ac.abort();
    const err = await p;
    expect(err.code).toBe('Aborted');
    const sys = (await hcsd.control.systems()).find((s) => s.id === id);
    expect(sys === undefined || sys.state === 'Stopped').toBe(true);
    expect(await handlesOf(id)).toEqual([]);
  });

  it('create failure from HCS (duplicate id) is the HCS error', async () => {
    const id = uniqueId();
    const vm = await UtilityVM.create(id, vmConfig());
    const err = await rejection(UtilityVM.create(id, vmConfig()));
    expect(err.code).toBe('HCS_E_SYSTEM_ALREADY_EXISTS');
    await systemOf(vm).terminate();
    await vm.close();
  });
});

describe('duplicate copies of core', () => {
  it('are recorded at first native use and reported as a warning by create', async () => {
    const { coreCopies } = await import('../src/native/load.js');
    const copies = coreCopies() as { version: string; url: string }[];
    expect(copies.length).toBe(1);
    expect(copies[0]!.url).toMatch(/native\/load\.(ts|js)$/);
    copies.push({ version: '9.9.9', url: 'file:///elsewhere/load.js' });
    const warnings: [string, unknown][] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (m: string, f: unknown) => warnings.push([m, f]),
    };
    try {
      const vm = await UtilityVM.create(uniqueId(), vmConfig(), { logger });
      await vm.close();
    } finally {
      copies.pop();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![0]).toBe(
      'more than one copy of @uvmkit/hcs-core is loaded; plugins installed on one are not seen by the other',
    );
  });
});

describe('UtilityVM.open, modify, exit', () => {
  it('open finds a running VM by id with the same runtimeId', async () => {
    const id = uniqueId();
    const vm = await UtilityVM.create(id, vmConfig());
    const other = await UtilityVM.open(id);
    expect(other.runtimeId).toBe(vm.runtimeId);
    await other.close();
    await systemOf(vm).terminate();
    await vm.close();
    expect((await rejection(UtilityVM.open(id))).code).toBe('HCS_E_SYSTEM_NOT_FOUND');
    expect((await rejection(UtilityVM.open(''))).code).toBe('InvalidArgument');
  });

  it('modify validates the request (path, request type, settings) before sending', async () => {
    const id = uniqueId('modify');
    const vm = await UtilityVM.create(id, vmConfig());
    await systemOf(vm).start();
    const cases: [unknown, string][] = [
      [{ ResourcePath: 'VirtualMachine/Devices/Nope', RequestType: 'Add', Settings: {} }, 'ResourcePath'],
      [{ ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB', Settings: 'lots' }, 'Settings'],
      [
        { ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB', RequestType: 'Bogus', Settings: 1 },
        'RequestType',
      ],
      [{ RequestType: 'Add' }, 'ResourcePath'],
    ];
    for (const [request, field] of cases) {
      const err = await rejection(vm.modify(request as object));
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toContain(field);
    }
    expect(await hcsd.control.modifyLog(id)).toEqual([]);
    const good = {
      ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB',
      RequestType: 'Update',
      Settings: 2048,
    };
    await vm.modify(good);
    expect(await hcsd.control.modifyLog(id)).toEqual([good]);
    await systemOf(vm).terminate();
    await vm.close();
    expect(await rejection(vm.modify(good))).toBeInstanceOf(ClosedError);
  });

  it('exited resolves with the exit status; onExit fires; await using closes', async () => {
    const id = uniqueId();
    const statuses: unknown[] = [];
    {
      await using vm = await UtilityVM.create(id, vmConfig());
      const sub = vm.onExit((s) => statuses.push(s.ExitType));
      await systemOf(vm).start();
      await systemOf(vm).terminate();
      const status = await vm.exited;
      expect(status.ExitType).toBe('ForcedExit');
      expect(vm.exited).toBe(vm.exited);
      sub.dispose();
    }
    expect(statuses).toEqual(['ForcedExit']);
    expect(await handlesOf(id)).toEqual([]);
  });

  it('exited never rejects unhandled when the handle is closed first', async () => {
    const unhandled: unknown[] = [];
    const on = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', on);
    const vm = await UtilityVM.create(uniqueId(), vmConfig());
    void vm.exited;
    await vm.close();
    await new Promise((r) => setTimeout(r, 20));
    process.off('unhandledRejection', on);
    expect(unhandled).toEqual([]);
    expect((await rejection(vm.exited)).code).toBe('Closed');
  });
});
