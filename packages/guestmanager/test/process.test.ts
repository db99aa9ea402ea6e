/**
 * Processes and containers against hcsd's emulated guest agent (emulated processes: built-in
 * commands, never a host process), for what only the emulator shows (the process tests that
 * apply to the real agent too are the shared suite, ./agent/suite.ts): the guest's process table
 * and request log, backpressure seen from the guest, containers (init, exec, wait on the exit
 * notification, graceful → forced shutdown, kill, properties, terminal + resize), every container
 * error path, faults (a reconnect while a process runs, dropped stdio, the GCS panic on a spec
 * without `linux`, oversized replies, delays).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type HcsError, UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, rejection, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { lifetime } from '@uvmkit/lifetime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OciSpec } from '../src/container.js';
import { BridgeClosedError, ConnectionLostError, StdioLostError } from '../src/errors.js';
import { Guest } from '../src/guest.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-proc-'));
let hcsd: HcsdProcess;
const NULL_ID = '00000000-0000-0000-0000-000000000000';

beforeAll(async () => {
  process.env.UVMKIT_HVSOCK_DIR = dir;
  hcsd = await startTestHcsd();
  UtilityVM.use(lifetime);
});
afterAll(async () => {
  await hcsd.stop();
  rmSync(dir, { recursive: true, force: true });
});

const open: { vm: UtilityVM; guest: Guest }[] = [];
afterAll(async () => {
  for (const { vm, guest } of open) {
    await guest.closeConnection();
    await vm.terminate().catch(() => {});
    await vm.close();
  }
});

async function up(options: ConstructorParameters<typeof Guest>[1] = {}) {
  const vm = await UtilityVM.create(uniqueSystemId('gmproc'), lcowDocument());
  const guest = new Guest(vm, options);
  open.push({ vm, guest });
  await guest.prepareConnection();
  await vm.start();
  await guest.createConnection({ timeout: 20_000 });
  return { vm, guest };
}

function collect(s: Readable | null): Promise<Buffer> {
  if (s === null) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (b: Buffer) => parts.push(b));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
  });
}

const text = async (s: Readable | null): Promise<string> => (await collect(s)).toString('utf8');

const spec = (args: string[], extra: Partial<OciSpec> = {}): OciSpec => ({
  ociVersion: '1.1.0',
  process: { args, cwd: '/', env: ['PATH=/bin', 'C=1'] },
  root: { path: 'rootfs' },
  linux: {},
  ...extra,
});

describe('execIntoUVM (what only the emulator shows; the rest is the shared suite ./agent/suite.ts)', () => {
  it('the guest table shows the emulated process; the ExecuteProcess and WaitForProcess documents the guest received', async () => {
    const { vm, guest } = await up();
    await using p = await guest.execIntoUVM({ CommandArgs: ['/bin/sh', '-c', 'echo hi; exit 3'] });
    const [out, code] = await Promise.all([text(p.stdout), p.wait()]);
    expect(out).toBe('hi\n');
    expect(code).toBe(3);
    const g = await hcsd.control.guest(vm.id);
    const info = g.processes.find((x) => x.pid === p.pid);
    expect(info).toMatchObject({
      containerId: NULL_ID,
      argv: ['/bin/sh', '-c', 'echo hi; exit 3'],
      state: 'exited',
      exitCode: 3,
      stdio: { stdin: true, stdout: true, stderr: true },
    });
    const exec = g.requests.find((r) => r.procedure === 'ExecuteProcess');
    const settings = (exec?.request as { Settings: Record<string, unknown> } | undefined)?.Settings ?? {};
    expect(settings.VsockStdioRelaySettings).toEqual({
      StdIn: expect.any(Number),
      StdOut: expect.any(Number),
      StdErr: expect.any(Number),
    });
    expect(JSON.parse(settings.ProcessParameters as string)).toMatchObject({
      CommandArgs: ['/bin/sh', '-c', 'echo hi; exit 3'],
      CreateInUtilityVM: true,
      CreateStdInPipe: true,
    });
    const wait = g.requests.find((r) => r.procedure === 'WaitForProcess');
    expect(wait?.request).toMatchObject({ ProcessId: p.pid, TimeoutInMs: 0xffffffff });
  });

  it('10 MB through stdout: the guest waits while the host does not read (backpressure), then every byte arrives', async () => {
    const { vm, guest } = await up();
    const total = 10 * 1024 * 1024;
    const p = await guest.execIntoUVM({ CommandArgs: ['stream', String(total)], CreateStdInPipe: false });
    // nobody reads stdout yet (the relay is paused): the guest must stop well short of 10 MB
    await new Promise((r) => setTimeout(r, 400));
    const g = await hcsd.control.guest(vm.id);
    const info = g.processes.find((x) => x.pid === p.pid);
    expect(info?.state).toBe('running');
    expect(info?.bytesOut).toBeLessThan(total / 2);
    const data = await collect(p.stdout);
    expect(data.length).toBe(total);
    let bad = -1;
    for (let i = 0; i < data.length; i++)
      if (data[i] !== i % 251) {
        bad = i;
        break;
      }
    expect(bad).toBe(-1);
    expect(await p.wait()).toBe(0);
    await p.close();
  }, 60_000);

  it('bad parameters and an aborted call send nothing to the guest (its request log)', async () => {
    const { vm, guest } = await up();
    const before = (await hcsd.control.guest(vm.id)).requests.length;
    expect(
      (await rejection<HcsError>(guest.execIntoUVM({ CommandArgs: ['echo'], ConsoleSize: [1] as never })))
        .code,
    ).toBe('InvalidArgument');
    expect(
      (await rejection<HcsError>(guest.execIntoUVM({ CommandArgs: ['echo'], OciProcess: { args: ['x'] } })))
        .code,
    ).toBe('InvalidArgument');
    const ac = new AbortController();
    ac.abort();
    expect(
      (await rejection<HcsError>(guest.execIntoUVM({ CommandArgs: ['echo'] }, { signal: ac.signal }))).code,
    ).toBe('Aborted');
    expect((await hcsd.control.guest(vm.id)).requests.length).toBe(before);
  });
});

describe('containers', () => {
  it('create → start (init) → exec → properties → graceful shutdown: GracefulExit after the init wait', async () => {
    const { vm, guest } = await up();
    const c = await guest.createContainer('c1', spec(['sh', '-c', 'echo init; sleep 60']));
    const init = await c.start();
    const out = text(init.stdout);
    const x = await c.exec({ OciProcess: { args: ['echo', 'from', 'exec'] } });
    expect(await text(x.stdout)).toBe('from exec\n');
    expect(await x.wait()).toBe(0);
    const cat = await c.exec({ OciProcess: { args: ['cat', '/run/gcs/c/c1/config.json'] } });
    expect(JSON.parse(await text(cat.stdout))).toMatchObject({
      process: { args: ['sh', '-c', 'echo init; sleep 60'] },
    });
    const props = await c.properties(['ProcessList', 'Statistics']);
    expect(props.ProcessList).toEqual([{ ProcessId: init.pid }]);
    expect(props.LCOWMetrics).toMatchObject({ pids: { current: 1 } });
    const exit = await c.shutdown();
    expect(exit.exitType).toBe('GracefulExit');
    expect(exit.notification).toMatchObject({ ContainerId: 'c1', Type: 'GracefulExit', Operation: 'None' });
    expect(await init.wait()).toBe(128 + 15);
    expect(await out).toBe('init\n');
    expect((await c.wait()).exitType).toBe('GracefulExit');
    const g = await hcsd.control.guest(vm.id);
    expect(g.table.containers).toEqual([
      { id: 'c1', state: 'Exited', constraints: [], initPid: init.pid, exitType: 'GracefulExit' },
    ]);
    const procs = g.requests.map((r) => r.procedure);
    expect(procs.indexOf('ShutdownGraceful')).toBeGreaterThan(0);
    expect(procs).not.toContain('ShutdownForced');
    await c.close();
    await guest.deleteContainerState('c1');
  });

  it('shutdown of an init that ignores SIGTERM: graceful, then forced → ForcedExit; a signalled exec', async () => {
    const { vm, guest } = await up();
    await using c = await guest.createContainer('c2', spec(['hang']));
    const init = await c.start({ stdin: false });
    const ex = await c.exec({ OciProcess: { args: ['sleep', '60'] } });
    expect(await ex.signal('SIGTERM')).toBe(true);
    expect(await ex.wait()).toBe(143);
    expect(await ex.signal('SIGTERM')).toBe(false); // gone: ERROR_NOT_FOUND → not delivered
    const ex2 = await c.exec({ OciProcess: { args: ['sleep', '60'] } });
    // no terminal: ResizeConsole → E_FAIL; a bad signal never reaches the guest
    expect((await rejection<HcsError>(ex2.resize(80, 24))).code).toBe('E_FAIL');
    expect((await rejection<HcsError>(ex2.signal(0))).code).toBe('InvalidArgument');
    expect((await rejection<HcsError>(ex2.resize(-1, 24))).code).toBe('InvalidArgument');
    const exit = await c.shutdown({ gracePeriod: 200 });
    expect(exit.exitType).toBe('ForcedExit');
    expect(await init.wait()).toBe(137);
    expect(await ex2.wait()).toBe(137); // killed with the container
    const procs = (await hcsd.control.guest(vm.id)).requests.map((r) => r.procedure);
    expect(procs.filter((p) => p === 'ShutdownGraceful' || p === 'ShutdownForced')).toEqual([
      'ShutdownGraceful',
      'ShutdownForced',
    ]);
    // shutdown / kill of a container that is gone is not an error
    expect((await c.shutdown()).exitType).toBe('ForcedExit');
  });

  it('kill → ForcedExit; an init that exits by itself → UnexpectedExit only after its wait; terminal + resize', async () => {
    const { guest } = await up();
    const c = await guest.createContainer('c3', spec(['sleep', '60']));
    await c.start();
    await c.kill();
    expect((await c.wait()).exitType).toBe('ForcedExit');
    const t = await guest.createContainer('c4', {
      ...spec(['winsize']),
      process: { args: ['winsize'], terminal: true, consoleSize: { height: 25, width: 80 } },
    });
    const tp = await t.start();
    expect(tp.stderr).toBeNull();
    let seen = '';
    tp.stdout?.setEncoding('utf8');
    tp.stdout?.on('data', (d: string) => {
      seen += d;
    });
    await until(() => seen === '25 80\r\n');
    await tp.resize(132, 43);
    await until(() => seen === '25 80\r\n43 132\r\n');
    tp.stdin?.end();
    expect(await tp.wait()).toBe(0);
    expect((await t.wait()).exitType).toBe('UnexpectedExit');
    await c.close();
    await t.close();
  });

  it('errors: no linux section → E_FAIL; duplicate id; unknown container; exec before start; Start of an unknown id succeeds', async () => {
    const { guest } = await up();
    const noLinux = await rejection<HcsError>(
      guest.createContainer('n1', { ociVersion: '1.1.0', process: { args: ['echo'] } }),
    );
    expect(noLinux.code).toBe('E_FAIL');
    expect(noLinux.hcsMessage).toContain('no "linux" section');
    expect(guest.connected).toBe(true);
    const c = await guest.createContainer('d1', spec(['sleep', '60']));
    const dup = await rejection<HcsError>(guest.createContainer('d1', spec(['sleep', '60'])));
    expect(dup.hresult).toBe(0xc037010f);
    const early = await rejection<HcsError>(c.exec({ OciProcess: { args: ['echo'] } }));
    expect(early.hresult).toBe(0x80370105);
    const ghost = guest.openContainer('ghost');
    expect((await rejection<HcsError>(ghost.properties())).hresult).toBe(0xc037010e);
    expect((await rejection<HcsError>(ghost.exec({ OciProcess: { args: ['echo'] } }))).hresult).toBe(
      0xc037010e,
    );
    await ghost.kill(); // gone counts as done
    expect(await guest.rpc(0x00100201, {}, { containerId: 'ghost' })).toMatchObject({ Result: 0 });
    expect((await rejection<HcsError>(guest.createContainer(NULL_ID, spec(['x'])))).code).toBe(
      'InvalidArgument',
    );
    // a container never started: killed at once, its notification needs no init wait
    await c.kill();
    expect((await c.wait()).exitType).toBe('ForcedExit');
    await c.close();
    const d2 = await guest.createContainer('d2', spec(['sleep', '60']));
    const pending = rejection<HcsError>(d2.wait());
    await d2.close();
    expect((await pending).code).toBe('Closed');
    expect((await rejection<HcsError>(d2.start())).code).toBe('Closed');
  });
});

describe('the bridge under faults', () => {
  it('a reconnect while a process runs: wait rejects ConnectionLost, stdio is StdioLost (no hang); the guest keeps it running', async () => {
    const { vm, guest } = await up();
    const p = await guest.execIntoUVM({ CommandArgs: ['sleep', '30'] });
    const c = await guest.createContainer('r1', spec(['sleep', '60']));
    await c.start();
    const stdoutDone = collect(p.stdout).then(
      () => 'ended',
      (e: unknown) => e,
    );
    const waited = rejection<HcsError>(p.wait());
    const cwait = rejection<HcsError>(c.wait());
    await hcsd.control.guestFault(vm.id, { kind: 'drop' });
    const err = await waited;
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(err.code).toBe('ConnectionLost');
    expect(err.cause).toBeInstanceOf(BridgeClosedError);
    const so = await stdoutDone;
    expect(so).toBeInstanceOf(StdioLostError);
    expect((so as StdioLostError).stream).toBe('stdout');
    expect((await cwait).code).toBe('ConnectionLost');
    expect((await rejection<HcsError>(p.signal(9))).code).toBe('ConnectionLost');
    // reconnect: the guest kept both running
    await guest.prepareConnection();
    await guest.createConnection({ coldStart: false, timeout: 20_000 });
    const g = await hcsd.control.guest(vm.id);
    expect(g.processes.find((x) => x.pid === p.pid)?.state).toBe('running');
    const again = guest.openContainer('r1');
    expect((await again.properties()).ProcessList).toHaveLength(1);
    await again.kill();
    // the exit notification follows the host's wait: never waited on this bridge → none yet
    const e2 = await guest.execIntoUVM({ CommandArgs: ['echo', 'after'] });
    expect(await text(e2.stdout)).toBe('after\n');
    await p.close();
    await again.close();
  });

  it('the guest dropping the bridge AND the stdio relays: stdout errors StdioLost, wait ConnectionLost (no hang)', async () => {
    const { vm, guest } = await up();
    const p = await guest.execIntoUVM({ CommandArgs: ['cat'] });
    p.stdin?.write('before\n');
    const chunks: string[] = [];
    const out = (async () => {
      try {
        for await (const c of p.stdout as Readable) chunks.push(String(c));
        return 'ended';
      } catch (e) {
        return e;
      }
    })();
    await until(() => chunks.join('') === 'before\n');
    const waited = rejection<HcsError>(p.wait());
    await hcsd.control.guestFault(vm.id, { kind: 'drop', stdio: true });
    const so = await out;
    expect(so).toBeInstanceOf(StdioLostError);
    expect((so as StdioLostError).code).toBe('StdioLost');
    expect((await waited).code).toBe('ConnectionLost');
    expect(guest.connected).toBe(false);
    await p.close();
  });

  it('the exit notification follows the init exit AND a host wait: an init that exited while disconnected notifies after the new wait', async () => {
    const { vm, guest } = await up();
    const c = await guest.createContainer('q1', spec(['sleep', '0.3']));
    await c.start();
    await hcsd.control.guestFault(vm.id, { kind: 'neverDial' });
    await hcsd.control.guestFault(vm.id, { kind: 'drop' });
    // the init's wait was sent before the drop but the init is still running: the guest has not
    // answered it yet, so no notification is due. Reconnect after it exited.
    await new Promise((r) => setTimeout(r, 500));
    await hcsd.control.guestFault(vm.id, { kind: 'neverDial', enabled: false });
    await guest.prepareConnection();
    await guest.createConnection({ coldStart: false, timeout: 20_000 });
    const reopened = guest.openContainer('q1');
    const g = await hcsd.control.guest(vm.id);
    expect(g.table.containers.find((x) => x.id === 'q1')?.state).toBe('Exited');
    // no wait was answered for its init, so the guest holds the notification back (§4.6)
    expect(g.queuedNotifications).toBe(0);
    const init = g.table.containers.find((x) => x.id === 'q1')?.initPid as number;
    expect(
      await guest.rpc(0x00100601, { ProcessId: init, TimeoutInMs: 0xffffffff }, { containerId: 'q1' }),
    ).toMatchObject({ ExitCode: 0 });
    expect((await reopened.wait()).exitType).toBe('UnexpectedExit');
    await reopened.close();
    await c.close();
  });

  it('the gcsPanics fault: a spec without linux drops the bridge (no reply); the host survives, other VMs go on', async () => {
    const a = await up();
    const b = await up();
    await hcsd.control.guestFault(a.vm.id, { kind: 'gcsPanics' });
    const err = await rejection<BridgeClosedError>(
      a.guest.createContainer('p1', { ociVersion: '1.1.0', process: { args: ['echo'] } }),
    );
    expect(err).toBeInstanceOf(BridgeClosedError);
    expect(err.reason).toBe('eof');
    expect(a.guest.connected).toBe(false);
    expect((await rejection<HcsError>(a.guest.dumpStacks())).code).toBe('GuestConnectionUnavailable');
    const ga = await hcsd.control.guest(a.vm.id);
    expect(ga.panicked).toBe(true);
    expect(ga.active).toBe(false);
    const p = await b.guest.execIntoUVM({ CommandArgs: ['echo', 'ok'] });
    expect(await text(p.stdout)).toBe('ok\n');
    await p.close();
  });

  it('an oversized reply fails that call only (ResponseTooLarge); the bridge stays up', async () => {
    const { vm, guest } = await up();
    await hcsd.control.guestFault(vm.id, { kind: 'oversized', procedure: 'DumpStacks', size: 81_600 });
    const err = await rejection<HcsError>(guest.dumpStacks());
    expect(err.code).toBe('ResponseTooLarge');
    expect(err.message).toBe(
      "DumpStacks: the guest's response is 81600 bytes, over the inbound limit of 65536 bytes (the response was discarded)",
    );
    expect(guest.connected).toBe(true);
    expect(await guest.dumpStacks()).toContain('goroutine');
    expect(guest.bridge().pendingCount).toBe(0);
  });

  it('the default call timeout: a call past it rejects Timeout and leaves the pending table; the late reply is absorbed', async () => {
    const { vm, guest } = await up({ callTimeout: 100 });
    await hcsd.control.guestFault(vm.id, { kind: 'delay', ms: 400, count: 1, procedure: 'DumpStacks' });
    const err = await rejection<HcsError>(guest.dumpStacks());
    expect(err.code).toBe('Timeout');
    expect(err.message).toBe('DumpStacks timed out after 100 ms');
    expect(guest.bridge().pendingCount).toBe(0);
    expect(guest.bridge().abandonedCount).toBe(1);
    await new Promise((r) => setTimeout(r, 600));
    expect(guest.connected).toBe(true);
    expect(guest.bridge().abandonedCount).toBe(0);
    // WaitForProcess is not bound by it
    const p = await guest.execIntoUVM({ CommandArgs: ['sleep', '0.4'] });
    expect(await p.wait()).toBe(0);
    await p.close();
  });
});

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
