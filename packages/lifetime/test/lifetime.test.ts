/** @uvmkit/lifetime through the real path (koffi → libcomputecore.so → hcsd). */
import { ClosedError, HcsError, isNotSupported, UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, rejection, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let hcsd: HcsdProcess;
const uniqueId = (prefix = 'lt') => uniqueSystemId(prefix);
/** The shared LCOW document without a guest connection (lifetime needs no guest). */
const vmConfig = () => lcowDocument({ owner: 'lifetime-test', scsiControllers: 1, guestConnection: false });

beforeAll(async () => {
  hcsd = await startTestHcsd();
});
afterAll(async () => {
  await hcsd.stop();
});

describe('install', () => {
  it('importing mutates nothing; use() installs; a second use() is a no-op', async () => {
    const mod = await import('../src/index.js');
    expect(UtilityVM.has('lifetime')).toBe(false);
    expect('start' in UtilityVM.prototype).toBe(false);
    UtilityVM.use(mod.lifetime);
    expect(UtilityVM.has('lifetime')).toBe(true);
    const start = Object.getOwnPropertyDescriptor(UtilityVM.prototype, 'start')?.value;
    UtilityVM.use(mod.lifetime);
    expect(Object.getOwnPropertyDescriptor(UtilityVM.prototype, 'start')?.value).toBe(start);
    expect(Object.keys(mod.lifetime.methods).sort()).toEqual(
      [
        'cancelLiveMigration',
        'crash',
        'exitError',
        'finalizeLiveMigration',
        'initializeLiveMigrationOnSource',
        'pause',
        'properties',
        'propertiesV3',
        'resume',
        'save',
        'shutdown',
        'startLiveMigrationOnSource',
        'startLiveMigrationTransfer',
        'start',
        'startedTime',
        'stoppedTime',
        'terminate',
        'wait',
      ].sort(),
    );
  });
});

describe('lifecycle', () => {
  it('start, pause, resume, save, shutdown; times and exit status', async () => {
    const { lifetime } = await import('../src/index.js');
    UtilityVM.use(lifetime);
    const id = uniqueId();
    const vm = await UtilityVM.create(id, vmConfig());
    expect(vm.startedTime()).toBeUndefined();
    const before = Date.now();
    await vm.start();
    expect(vm.startedTime()!.getTime()).toBeGreaterThanOrEqual(before);
    expect((await hcsd.control.system(id)).state).toBe('Running');
    await vm.pause({ SuspensionLevel: 'Suspend' });
    expect((await hcsd.control.system(id)).state).toBe('Paused');
    const bad = await rejection<HcsError>(vm.save({ SaveType: 'Sideways' } as never));
    expect(bad.code).toBe('InvalidArgument');
    expect(bad.message).toContain('SaveType');
    expect((await hcsd.control.system(id)).lastSave).toBe(null);
    await vm.save({ SaveType: 'ToFile', SaveStateFilePath: '/tmp/lt.vmrs' });
    expect((await hcsd.control.system(id)).lastSave).not.toBe(null);
    await vm.resume();
    expect((await hcsd.control.system(id)).state).toBe('Running');
    expect(vm.stoppedTime()).toBeUndefined();
    expect(vm.exitError()).toBeUndefined();
    const status = await vm.shutdown();
    expect(status).toMatchObject({ Status: 0, ExitType: 'GracefulExit' });
    expect(vm.stoppedTime()).toBeInstanceOf(Date);
    expect(vm.exitError()).toBeUndefined();
    // §8.5: exit already seen → skipped, same status
    expect(await vm.shutdown()).toBe(status);
    expect(await vm.terminate()).toBe(status);
    expect(await vm.wait()).toBe(status);
    await vm.close();
  });

  it('terminate resolves with ForcedExit; failures are wrapped with verb and id', async () => {
    const id = uniqueId();
    const vm = await UtilityVM.create(id, vmConfig());
    await vm.start();
    const twice = await rejection<HcsError>(vm.start());
    expect(twice).toBeInstanceOf(HcsError);
    expect(twice.code).toBe('HCS_E_INVALID_STATE');
    expect(twice.message).toMatch(new RegExp(`^failed to start utility VM "${id}": HcsStartComputeSystem`));
    expect(twice.id).toBe(id);
    expect((await vm.terminate()).ExitType).toBe('ForcedExit');
    await vm.close();
  });

  it('terminate swallows HCS_E_SYSTEM_ALREADY_STOPPED and still waits for the exit (§8.5)', async () => {
    const id = uniqueId();
    const vm = await UtilityVM.create(id, vmConfig());
    await vm.start();
    await hcsd.control.fault({ method: 'Terminate', count: 1, hresult: 0x80370110 });
    const p = vm.terminate();
    await new Promise((r) => setTimeout(r, 50));
    await hcsd.control.crashVm(id);
    const status = await p;
    expect(status.ExitType).toBe('UnexpectedExit');
    const err = vm.exitError();
    expect(err?.code).toBe('HCS_E_UNEXPECTED_EXIT');
    await vm.close();
  });

  it('shutdown timeout bounds the wait for the exit (guest never exits: shutdown held by hcsd)', async () => {
    const id = uniqueId();
    const vm = await UtilityVM.create(id, vmConfig());
    await vm.start();
    await hcsd.control.delay({ method: 'ShutDown', ms: 5000, count: 1 });
    const err = await rejection<HcsError>(vm.shutdown(undefined, { timeout: 100 }));
    expect(err.code).toBe('Timeout');
    expect((await hcsd.control.system(id)).state).toBe('Running');
    await vm.terminate();
    await vm.close();
  });

  it('crash: wait() resolves with UnexpectedExit and exitError is set', async () => {
    const vm = await UtilityVM.create(uniqueId(), vmConfig());
    await vm.start();
    const waiting = vm.wait();
    await vm.crash();
    expect((await waiting).ExitType).toBe('UnexpectedExit');
    expect(vm.exitError()?.hresult).toBe(0x80370106);
    await vm.close();
  });

  it('wait({signal}) rejects with Aborted', async () => {
    const vm = await UtilityVM.create(uniqueId(), vmConfig());
    const ac = new AbortController();
    const p = rejection<HcsError>(vm.wait({ signal: ac.signal }));
    ac.abort();
    expect((await p).code).toBe('Aborted');
    await vm.terminate();
    await vm.close();
  });

  it('abort during start (held by hcsd) → Aborted, VM stays Created', async () => {
    const id = uniqueId();
    const vm = await UtilityVM.create(id, vmConfig());
    await hcsd.control.delay({ method: 'Start', ms: 5000, count: 1 });
    const ac = new AbortController();
    const p = rejection<HcsError>(vm.start({ signal: ac.signal }));
    for (let i = 0; i < 200 && !(await hcsd.control.pending()).some((x) => x.method === 'Start'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    ac.abort();
    const err = await p;
    expect(err.code).toBe('Aborted');
    expect(vm.startedTime()).toBeUndefined();
    expect((await hcsd.control.system(id)).state).toBe('Created');
    await vm.terminate();
    await vm.close();
  });
});

describe('after close', () => {
  it('every lifetime method rejects with ClosedError and sends nothing', async () => {
    const id = uniqueId('closed');
    const vm = await UtilityVM.create(id, { ...vmConfig(), ShouldTerminateOnLastHandleClosed: false });
    await vm.close();
    const calls: [string, () => Promise<unknown>][] = [
      ['start', () => vm.start()],
      ['shutdown', () => vm.shutdown()],
      ['terminate', () => vm.terminate()],
      ['pause', () => vm.pause()],
      ['resume', () => vm.resume()],
      ['save', () => vm.save({ SaveType: 'ToFile', SaveStateFilePath: '/tmp/c.vmrs' })],
      ['crash', () => vm.crash()],
      ['wait', () => vm.wait()],
      ['properties', () => vm.properties()],
      ['propertiesV3', () => vm.propertiesV3({})],
      ['initializeLiveMigrationOnSource', () => vm.initializeLiveMigrationOnSource()],
    ];
    for (const [name, call] of calls) {
      const err = await rejection<HcsError>(call());
      expect(err, name).toBeInstanceOf(ClosedError);
    }
    expect((await hcsd.control.system(id)).state).toBe('Created');
    const again = await UtilityVM.open(id);
    await again.terminate();
    await again.close();
  });
});

describe('properties', () => {
  it('V2 property types and V3 queries', async () => {
    const id = uniqueId();
    const vm = await UtilityVM.create(id, vmConfig());
    await vm.start();
    const basic = await vm.properties();
    expect(basic).toMatchObject({
      Id: id,
      SystemType: 'VirtualMachine',
      State: 'Running',
      RuntimeId: vm.runtimeId,
    });
    const mem = await vm.properties(['Memory']);
    expect(mem.Memory).toBeTypeOf('object');
    const v3 = await vm.propertiesV3({ Queries: { CompatibilityInfo: null } } as never);
    const response = v3.PropertyResponses?.CompatibilityInfo?.Response as { Data: string };
    expect(JSON.parse(Buffer.from(response.Data, 'base64').toString())).toEqual({
      RuntimeId: vm.runtimeId,
      Emulated: true,
    });
    await vm.terminate();
    await vm.close();
  });
});

describe('live migration', () => {
  it('each call answers a NotSupported-class error on the emulator', async () => {
    const vm = await UtilityVM.create(uniqueId(), vmConfig());
    await vm.start();
    for (const call of [
      () => vm.initializeLiveMigrationOnSource({}),
      () => vm.startLiveMigrationOnSource({}),
      () => vm.startLiveMigrationTransfer({}),
      () => vm.finalizeLiveMigration({}),
      () => vm.cancelLiveMigration({}),
    ]) {
      const err = await rejection<HcsError>(call());
      expect(err).toBeInstanceOf(HcsError);
      expect(isNotSupported(err)).toBe(true);
    }
    await vm.terminate();
    await vm.close();
  });
});
