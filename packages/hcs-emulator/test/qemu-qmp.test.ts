/** The QMP client against a real `qemu-system-x86_64 -S` (no guest runs: no kernel needed, no CPU spent). */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from '../src/hcsd/engines/qemu/qmp.js';
import { HcsdFailure, HR } from '../src/hcsd/errors.js';

const dirs: string[] = [];
const procs: ChildProcess[] = [];
const clients: QmpClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const p of procs.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function qemu(): Promise<{ path: string; proc: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'uvmkit-qmp-'));
  dirs.push(dir);
  const path = join(dir, 'qmp.sock');
  const proc = spawn(
    'qemu-system-x86_64',
    [
      '-S',
      '-machine',
      'q35,accel=tcg',
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-qmp',
      `unix:${path},server=on,wait=off`,
    ],
    { stdio: 'ignore' },
  );
  procs.push(proc);
  for (let i = 0; i < 500 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
  return { path, proc };
}

async function connected(): Promise<{ qmp: QmpClient; proc: ChildProcess }> {
  const { path, proc } = await qemu();
  // The socket file appears just before QEMU listens on it: retry a refused connect (as the engine does).
  for (let attempt = 0; ; attempt++) {
    const qmp = new QmpClient({ timeoutMs: 10_000 });
    clients.push(qmp);
    try {
      await qmp.connect(path);
      return { qmp, proc };
    } catch (e) {
      if (attempt === 200) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe('QMP client', () => {
  it('handshake: the greeting names QEMU 7+, commands answer, ids match concurrent replies', async () => {
    const { qmp } = await connected();
    expect(qmp.greeting?.version.qemu.major).toBeGreaterThanOrEqual(7);
    const [status, name, kvm] = await Promise.all([
      qmp.execute<{ status: string; running: boolean }>('query-status'),
      qmp.execute<Record<string, unknown>>('query-name'),
      qmp.execute<{ enabled: boolean }>('query-kvm'),
    ]);
    expect(status).toEqual({ status: 'prelaunch', singlestep: false, running: false });
    expect(name).toEqual({});
    expect(kvm.enabled).toBe(false);
  });

  it('a QMP error is an HcsdFailure with its class and desc', async () => {
    const { qmp } = await connected();
    const err = await qmp.execute('no-such-command').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpError);
    expect(err).toBeInstanceOf(HcsdFailure);
    const q = err as QmpError;
    expect([q.hresult, q.qmpClass, q.desc, q.message]).toEqual([
      HR.E_FAIL,
      'CommandNotFound',
      'The command no-such-command has not been found',
      'QEMU no-such-command: CommandNotFound: The command no-such-command has not been found',
    ]);
    const bad = (await qmp
      .execute('device_add', { driver: 'no-such-driver', id: 'x' })
      .catch((e: unknown) => e)) as QmpError;
    expect([bad.qmpClass, bad.desc]).toEqual([
      'GenericError',
      "'no-such-driver' is not a valid device model name",
    ]);
  });

  it('events reach listeners and waitEvent; cont emits RESUME', async () => {
    const { qmp } = await connected();
    const seen: string[] = [];
    qmp.onEvent((e) => seen.push(e.event));
    const resumed = qmp.waitEvent('RESUME', () => true, { timeoutMs: 10_000 });
    await qmp.execute('cont');
    const ev = await resumed;
    expect(ev.event).toBe('RESUME');
    expect(ev.timestamp?.seconds).toBeGreaterThan(0);
    expect(seen).toContain('RESUME');
    expect((await qmp.execute<{ status: string }>('query-status')).status).toBe('running');
  });

  it('an aborted command fails with ERROR_CANCELLED; a timed-out wait with E_FAIL', async () => {
    const { qmp } = await connected();
    const ac = new AbortController();
    ac.abort();
    const cancelled = (await qmp
      .execute('query-status', undefined, { signal: ac.signal })
      .catch((e: unknown) => e)) as HcsdFailure;
    expect([cancelled.hresult, cancelled.message]).toEqual([
      HR.ERROR_CANCELLED,
      'QMP query-status: cancelled',
    ]);
    const none = (await qmp
      .waitEvent('SHUTDOWN', () => true, { timeoutMs: 50 })
      .catch((e: unknown) => e)) as HcsdFailure;
    expect([none.hresult, none.message]).toEqual([HR.E_FAIL, 'QMP: no event SHUTDOWN within 50 ms']);
    // The connection is still good afterwards.
    expect((await qmp.execute<{ status: string }>('query-status')).status).toBe('prelaunch');
  });

  it('QEMU exiting fails pending commands and waits; later commands fail at once', async () => {
    const { qmp, proc } = await connected();
    const shutdown = qmp.waitEvent('SHUTDOWN', () => true, { timeoutMs: 10_000 });
    const closed = new Promise<Error | undefined>((r) => qmp.onClose(r));
    await qmp.execute('quit');
    expect((await shutdown).data).toEqual({ guest: false, reason: 'host-qmp-quit' });
    const err = await closed;
    expect(err?.message).toBe('QMP connection closed (QEMU exited)');
    await new Promise((r) => (proc.exitCode === null ? proc.once('exit', r) : r(null)));
    const after = (await qmp.execute('query-status').catch((e: unknown) => e)) as HcsdFailure;
    expect([after.hresult, after.message]).toEqual([HR.E_FAIL, 'QMP connection closed (QEMU exited)']);
    expect(qmp.connected).toBe(false);
  });

  it('connecting to a socket nobody listens on fails with the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvmkit-qmp-'));
    dirs.push(dir);
    const qmp = new QmpClient();
    const err = (await qmp.connect(join(dir, 'none.sock')).catch((e: unknown) => e)) as HcsdFailure;
    expect(err.hresult).toBe(HR.E_FAIL);
    expect(err.message).toContain(`QMP connect ${join(dir, 'none.sock')}: connect ENOENT`);
  });
});
