/** ComputeSystem through the real path: koffi → libcomputecore.so → hcsd. */
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeSystem, type SystemExitStatus } from '../src/compute-system.js';
import { ClosedError, HcsError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { Operation } from '../src/operation.js';
import { rejection, startDaemon, uniqueId, vmConfig } from './helpers/env.js';

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startDaemon();
});
afterAll(async () => {
  await hcsd.stop();
});

async function waitForPending(method: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const pending = await hcsd.control.pending();
    if (pending.some((p) => p.method === method)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no pending ${method}`);
}

async function handlesOf(id: string): Promise<unknown[]> {
  return (await hcsd.control.clients()).flatMap((c) => c.handles).filter((h) => h.systemId === id);
}

function recordingLogger(): Logger & { records: [string, string, unknown][] } {
  const records: [string, string, unknown][] = [];
  return {
    records,
    debug: (m, f) => records.push(['debug', m, f]),
    info: (m, f) => records.push(['info', m, f]),
    warn: (m, f) => records.push(['warn', m, f]),
    error: (m, f) => records.push(['error', m, f]),
  };
}

describe('lifecycle', () => {
  it('create, start, pause, resume, getProperties, modify, save, terminate with exact states', async () => {
    const id = uniqueId();
    const cs = await ComputeSystem.create(id, vmConfig());
    expect((await hcsd.control.system(id)).state).toBe('Created');
    const props = await cs.getProperties();
    expect(props.Id).toBe(id);
    expect(props.SystemType).toBe('VirtualMachine');
    expect(props.State).toBe('Created');
    await cs.start();
    expect((await hcsd.control.system(id)).state).toBe('Running');
    await cs.pause({ SuspensionLevel: 'Suspend' });
    expect((await hcsd.control.system(id)).state).toBe('Paused');
    await cs.resume();
    expect((await hcsd.control.system(id)).state).toBe('Running');
    const req = { ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB', Settings: 2048 };
    await cs.modify(req);
    expect(await hcsd.control.modifyLog(id)).toEqual([req]);
    const running = await rejection<HcsError>(
      cs.save({ SaveType: 'ToFile', SaveStateFilePath: '/tmp/x.vmrs' }),
    );
    expect(running.code).toBe('HCS_E_INVALID_STATE');
    expect((running.hresult! & 0xbfffffff) >>> 0).toBe(0x80370105);
    expect(running.op).toBe('HcsSaveComputeSystem');
    await cs.pause();
    await cs.save({ SaveType: 'ToFile', SaveStateFilePath: '/tmp/x.vmrs' });
    await cs.resume();
    const exit = cs.waitForExit();
    await cs.terminate();
    const status = await exit;
    expect(status).toMatchObject({ Status: 0, ExitType: 'ForcedExit' });
    expect(cs.exitStatus).toEqual(status);
    expect(cs.exitedAt).toBeInstanceOf(Date);
    const again = await rejection<HcsError>(cs.terminate());
    expect(again.code).toBe('HCS_E_SYSTEM_ALREADY_STOPPED');
    await cs.close();
    expect(await handlesOf(id)).toEqual([]);
  });

  it('shutdown gives GracefulExit; a second handle from open sees the same exit', async () => {
    const id = uniqueId();
    const cs = await ComputeSystem.create(id, vmConfig({ terminate: false }));
    await cs.start();
    const other = await ComputeSystem.open(id);
    expect(other.id).toBe(id);
    expect((await hcsd.control.system(id)).handleCount).toBe(2);
    const seen: SystemExitStatus[] = [];
    other.onExit((s) => seen.push(s));
    await cs.shutdown();
    const status = await cs.waitForExit();
    expect(status.ExitType).toBe('GracefulExit');
    expect(await other.waitForExit()).toEqual(status);
    expect(seen).toEqual([status]);
    await Promise.all([cs.close(), other.close()]);
  });

  it('open of an unknown id is HCS_E_SYSTEM_NOT_FOUND', async () => {
    const err = await rejection<HcsError>(ComputeSystem.open('no-such-system'));
    expect(err).toBeInstanceOf(HcsError);
    expect(err.code).toBe('HCS_E_SYSTEM_NOT_FOUND');
    expect(err.id).toBe('no-such-system');
  });

  it('create of a duplicate id is HCS_E_SYSTEM_ALREADY_EXISTS and leaves no handle', async () => {
    const id = uniqueId();
    const cs = await ComputeSystem.create(id, vmConfig());
    const err = await rejection<HcsError>(ComputeSystem.create(id, vmConfig()));
    expect(err.code).toBe('HCS_E_SYSTEM_ALREADY_EXISTS');
    expect((await hcsd.control.system(id)).handleCount).toBe(1);
    await cs.terminate();
    await cs.close();
  });

  it('UTF-16 both ways: a non-BMP Owner and id arrive in hcsd and come back exactly', async () => {
    // Surrogate pairs (𝄞 U+1D11E, 😀 U+1F600), BMP non-ASCII, and a NUL-free long tail: what a
    // wrong string width or a wrong free would corrupt (the result strings are freed by LocalFree).
    const owner = `ünïcødé ✓ 𝄞 😀 ${'ж'.repeat(300)}`;
    const id = uniqueId('utf16-𝄞');
    const cs = await ComputeSystem.create(id, { ...vmConfig(), Owner: owner });
    expect((await hcsd.control.system(id)).owner).toBe(owner);
    const props = await cs.getProperties();
    expect({ Id: props.Id, Owner: props.Owner }).toEqual({ Id: id, Owner: owner });
    const listed = await ComputeSystem.enumerate({ Ids: [id] });
    expect(listed.map((p) => [p.Id, p.Owner])).toEqual([[id, owner]]);
    await cs.terminate();
    await cs.close();
  });

  it('enumerate returns Properties of the systems, filtered by a SystemQuery', async () => {
    const id = uniqueId('enum');
    const cs = await ComputeSystem.create(id, vmConfig());
    const all = await ComputeSystem.enumerate({ Ids: [id] });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      Id: id,
      SystemType: 'VirtualMachine',
      State: 'Created',
      Owner: 'uvmkit-test',
    });
    expect(await ComputeSystem.enumerate({ Ids: ['nobody'] })).toEqual([]);
    await cs.terminate();
    await cs.close();
  });

  it('crash: crashInitiated, crashReport, then exit with UnexpectedExit', async () => {
    const id = uniqueId();
    const cs = await ComputeSystem.create(id, vmConfig());
    await cs.start();
    const order: string[] = [];
    cs.events.on('crashInitiated', () => order.push('crashInitiated'));
    cs.events.on('crashReport', (r) => order.push(`crashReport:${String(r?.SystemId)}`));
    cs.events.on('exit', (s) => order.push(`exit:${s.ExitType}`));
    await cs.crash({ Type: 'CrashGuest' });
    await cs.waitForExit();
    expect(order).toEqual(['crashInitiated', `crashReport:${id}`, 'exit:UnexpectedExit']);
    await cs.close();
  });
});

describe('abort and timeout', () => {
  const cases: [string, (cs: ComputeSystem, signal: AbortSignal) => Promise<unknown>, string, string][] = [
    ['Start', (cs, signal) => cs.start(undefined, { signal }), 'Created', 'Created'],
    ['Pause', (cs, signal) => cs.pause(undefined, { signal }), 'Running', 'Running'],
    ['Resume', (cs, signal) => cs.resume(undefined, { signal }), 'Paused', 'Paused'],
    [
      'Save',
      (cs, signal) => cs.save({ SaveType: 'ToFile', SaveStateFilePath: '/tmp/a.vmrs' }, { signal }),
      'Paused',
      'Paused',
    ],
    ['GetProperties', (cs, signal) => cs.getProperties(undefined, { signal }), 'Running', 'Running'],
    [
      'Modify',
      (cs, signal) =>
        cs.modify(
          { ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB', Settings: 4096 },
          { signal },
        ),
      'Running',
      'Running',
    ],
    ['ShutDown', (cs, signal) => cs.shutdown(undefined, { signal }), 'Running', 'Running'],
    ['Terminate', (cs, signal) => cs.terminate(undefined, { signal }), 'Running', 'Running'],
    ['Crash', (cs, signal) => cs.crash({ Type: 'CrashGuest' }, { signal }), 'Running', 'Running'],
  ];

  it.each(cases)(
    'abort during %s → HcsCancelOperation → Aborted, state unchanged',
    async (method, call, from, after) => {
      const id = uniqueId(`abort-${method}`);
      const cs = await ComputeSystem.create(id, vmConfig());
      if (from !== 'Created') await cs.start();
      if (from === 'Paused') await cs.pause();
      await hcsd.control.delay({ method: method as never, ms: 5000, count: 1 });
      const ac = new AbortController();
      const reason = new Error(`stop ${method}`);
      const started = Date.now();
      const p = rejection<HcsError>(call(cs, ac.signal));
      await waitForPending(method);
      ac.abort(reason);
      const err = await p;
      expect(Date.now() - started).toBeLessThan(4000); // cancelled, not waited out
      expect(err).toBeInstanceOf(HcsError);
      expect(err.code).toBe('Aborted');
      expect(err.cause).toBe(reason);
      expect(err.hresult).toBe(0x800704c7); // what the cancelled operation answered
      expect((await hcsd.control.system(id)).state).toBe(after);
      expect(await hcsd.control.pending()).toEqual([]);
      if (method === 'Modify') expect(await hcsd.control.modifyLog(id)).toEqual([]);
      await cs.terminate().catch(() => {});
      await cs.close();
    },
  );

  it('abort during create: rejected with Aborted, no system left, no handle', async () => {
    const id = uniqueId('abort-create');
    await hcsd.control.delay({ method: 'Create', ms: 5000, count: 1 });
    const ac = new AbortController();
    const p = rejection<HcsError>(ComputeSystem.create(id, vmConfig(), { signal: ac.signal }));
    await waitForPending('Create');
    ac.abort();
    const err = await p;
    expect(err.code).toBe('Aborted');
    expect((await hcsd.control.systems()).map((s) => s.id)).not.toContain(id);
    expect(await handlesOf(id)).toEqual([]);
  });

  it('abort during open (a synchronous export, run on a worker thread): Aborted at once, the late handle is closed', async () => {
    const id = uniqueId('abort-open');
    const cs = await ComputeSystem.create(id, vmConfig());
    await hcsd.control.delay({ method: 'Open', ms: 300, count: 1 });
    const ac = new AbortController();
    const p = rejection<HcsError>(ComputeSystem.open(id, { signal: ac.signal }));
    await waitForPending('Open');
    ac.abort();
    const err = await p;
    expect(err.code).toBe('Aborted');
    // the caller stopped waiting while hcsd still held the Open back
    expect((await hcsd.control.pending()).map((q) => q.method)).toContain('Open');
    // the open completes in its worker; the handle it returned is closed again
    for (let i = 0; i < 200; i++) {
      const pending = await hcsd.control.pending();
      if (pending.length === 0 && (await hcsd.control.system(id)).handleCount === 1) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await hcsd.control.pending()).toEqual([]);
    expect((await hcsd.control.system(id)).handleCount).toBe(1);
    await cs.terminate();
    await cs.close();
  });

  it('abort during enumerate → Aborted', async () => {
    await hcsd.control.delay({ method: 'Enumerate', ms: 5000, count: 1 });
    const ac = new AbortController();
    const p = rejection<HcsError>(ComputeSystem.enumerate(undefined, { signal: ac.signal }));
    await waitForPending('Enumerate');
    ac.abort();
    const err = await p;
    expect(err.code).toBe('Aborted');
    expect(err.hresult).toBe(0x800704c7);
  });

  it('1,000 operations in flight at once complete; the event loop stays responsive', async () => {
    const cs = await ComputeSystem.create(uniqueId('burst'), vmConfig());
    // Held long enough to count all 1,000 even on a loaded machine (under Wine each poll is slow);
    // polled until then, by time rather than by a count of polls.
    await hcsd.control.delay({ method: 'GetProperties', ms: 5000, count: 1000 });
    const all = Array.from({ length: 1000 }, () => cs.getProperties());
    const until = Date.now() + 4000;
    while (Date.now() < until && (await hcsd.control.pending()).length < 1000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect((await hcsd.control.pending()).length).toBe(1000);
    expect(Operation.pendingCount).toBe(1000);
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 0));
    expect(performance.now() - t).toBeLessThan(250); // generous: other test files share the 2 cores
    const results = await Promise.all(all);
    expect(results.every((r) => r.Id === cs.id)).toBe(true);
    expect(Operation.pendingCount).toBe(0);
    await cs.terminate();
    await cs.close();
  }, 60_000);

  it('timeout cancels and rejects with Timeout (cause = the HCS failure)', async () => {
    const cs = await ComputeSystem.create(uniqueId(), vmConfig());
    await hcsd.control.delay({ method: 'Start', ms: 5000, count: 1 });
    const err = await rejection<HcsError>(cs.start(undefined, { timeout: 50 }));
    expect(err.code).toBe('Timeout');
    expect(err.message).toBe(`HcsStartComputeSystem "${cs.id}" timed out after 50 ms`);
    // hcsd answers the cancel at once (ERROR_CANCELLED becomes the cause); on a machine too busy
    // to deliver that within CANCEL_GRACE_MS the call is abandoned instead (no cause, no hresult)
    const cause = err.cause as HcsError | undefined;
    expect(cause === undefined ? err.hresult : cause.code).toBe(
      cause === undefined ? undefined : 'ERROR_CANCELLED',
    );
    expect((await hcsd.control.system(cs.id)).state).toBe('Created');
    await cs.terminate();
    await cs.close();
  });

  it('an operation that completes before the abort took effect resolves (its effect happened)', async () => {
    const cs = await ComputeSystem.create(uniqueId(), vmConfig());
    const ac = new AbortController();
    const p = cs.start(undefined, { signal: ac.signal });
    await p;
    ac.abort();
    expect((await hcsd.control.system(cs.id)).state).toBe('Running');
    await cs.terminate();
    await cs.close();
  });

  it('bad timeouts and an aborted signal: typed errors, nothing sent', async () => {
    const cs = await ComputeSystem.create(uniqueId(), vmConfig());
    for (const timeout of [Number.NaN, -1, Number.POSITIVE_INFINITY, 0xffffffff, '5' as never]) {
      const err = await rejection<HcsError>(cs.start(undefined, { timeout }));
      expect(err.code).toBe('InvalidArgument');
    }
    const err = await rejection<HcsError>(cs.start(undefined, { signal: AbortSignal.abort('nope') }));
    expect(err.code).toBe('Aborted');
    expect(err.cause).toBe('nope');
    expect((await hcsd.control.system(cs.id)).state).toBe('Created');
    await cs.terminate();
    await cs.close();
  });
});

describe('close', () => {
  it('waits for calls in flight; later calls reject with ClosedError; close is idempotent', async () => {
    const id = uniqueId('close');
    const cs = await ComputeSystem.create(id, vmConfig());
    await cs.start();
    await hcsd.control.delay({ method: 'GetProperties', ms: 300, count: 2 });
    const inflight = [cs.getProperties(), cs.getProperties()];
    await waitForPending('GetProperties');
    expect(cs.inflight).toBe(2);
    const order: string[] = [];
    for (const p of inflight) void p.then(() => order.push('props'));
    const closing = cs.close().then(() => order.push('closed'));
    expect(cs.close()).toBe(cs.close());
    const late = await rejection<HcsError>(cs.start());
    expect(late).toBeInstanceOf(ClosedError);
    await closing;
    expect(order).toEqual(['props', 'props', 'closed']);
    expect((await inflight[0]!)?.Id).toBe(id);
    expect(await handlesOf(id)).toEqual([]);
  });

  it('every method after close rejects with ClosedError and sends nothing', async () => {
    const id = uniqueId('closed');
    const cs = await ComputeSystem.create(id, vmConfig({ terminate: false }));
    await cs.close();
    const calls: [string, () => Promise<unknown>][] = [
      ['start', () => cs.start()],
      ['shutdown', () => cs.shutdown()],
      ['terminate', () => cs.terminate()],
      ['crash', () => cs.crash()],
      ['pause', () => cs.pause()],
      ['resume', () => cs.resume()],
      ['save', () => cs.save({})],
      ['getProperties', () => cs.getProperties()],
      [
        'modify',
        () => cs.modify({ ResourcePath: 'VirtualMachine/ComputeTopology/Memory/SizeInMB', Settings: 1 }),
      ],
      ['waitForExit', () => cs.waitForExit()],
      ['initializeLiveMigrationOnSource', () => cs.initializeLiveMigrationOnSource()],
      ['startLiveMigrationOnSource', () => cs.startLiveMigrationOnSource()],
      ['startLiveMigrationTransfer', () => cs.startLiveMigrationTransfer()],
      ['finalizeLiveMigration', () => cs.finalizeLiveMigration()],
      ['cancelLiveMigration', () => cs.cancelLiveMigration()],
    ];
    for (const [name, call] of calls) {
      const err = await rejection<HcsError>(call());
      expect(err, name).toBeInstanceOf(ClosedError);
      expect(err.code, name).toBe('Closed');
    }
    const sys = await hcsd.control.system(id);
    expect(sys.state).toBe('Created');
    expect(sys.modifyCount).toBe(0);
    await cs.close();
    const reopened = await ComputeSystem.open(id);
    await reopened.terminate();
    await reopened.close();
  });

  it('close rejects a pending waitForExit with ClosedError', async () => {
    const cs = await ComputeSystem.create(uniqueId(), vmConfig());
    const waiting = rejection<HcsError>(cs.waitForExit());
    await cs.close();
    expect((await waiting).code).toBe('Closed');
  });
});

describe('events', () => {
  it('an exception in an exit listener is logged, never crashes; other listeners still run', async () => {
    const logger = recordingLogger();
    const cs = await ComputeSystem.create(uniqueId(), vmConfig(), { logger });
    await cs.start();
    const seen: string[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      cs.onExit(() => {
        throw new Error('listener bug');
      });
      cs.onExit((s) => seen.push(String(s.ExitType)));
      await cs.terminate();
      await cs.waitForExit();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(seen).toEqual(['ForcedExit']);
    expect(uncaught).toEqual([]);
    const logged = logger.records.find((r) => r[0] === 'error');
    expect(logged?.[1]).toBe('a exit listener threw');
    expect((logged![2] as { err: Error }).err.message).toBe('listener bug');
    await cs.close();
  });

  it('subscriptions dispose; once() and iterate() honour signal', async () => {
    const cs = await ComputeSystem.create(uniqueId(), vmConfig());
    const got: number[] = [];
    const sub = cs.events.on('event', (e) => got.push(e.type));
    sub.dispose();
    sub[Symbol.dispose]();
    const ac = new AbortController();
    const once = cs.events.once('exit', { signal: ac.signal });
    ac.abort('bye');
    const err = await rejection<HcsError>(once);
    expect(err.code).toBe('Aborted');
    const ac2 = new AbortController();
    const it2 = cs.events.iterate('event', { signal: ac2.signal });
    await cs.start();
    await cs.terminate();
    const first = await it2.next();
    expect(first.done).toBe(false);
    ac2.abort();
    const rest: unknown[] = [];
    for await (const e of it2) rest.push(e);
    expect(got).toEqual([]);
    await cs.close();
    expect(Operation.pendingCount).toBe(0);
  });

  it('invalid inputs are InvalidArgument before anything is sent', async () => {
    for (const id of ['', 'a'.repeat(257), 'bad\nid', 'x\u0000', 42 as never, '\ud800x']) {
      expect((await rejection<HcsError>(ComputeSystem.create(id, vmConfig()))).code).toBe('InvalidArgument');
    }
    expect((await rejection<HcsError>(ComputeSystem.create(uniqueId(), '{not json'))).code).toBe(
      'InvalidArgument',
    );
    expect((await hcsd.control.systems()).filter((s) => s.id === '' || s.id.startsWith('bad'))).toEqual([]);
  });
});
