/**
 * Deadlines and the emulated service's front door (issue 11 §4, §6, §8): a hung hcsd (SIGSTOP)
 * gives `Timeout` within timeout + 100 ms and parks no libuv pool thread; a refused connection
 * and an unreachable or untrusted socket give typed errors that say where and why.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFile, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { afterAll, expect, it } from 'vitest';
import { ComputeSystem } from '../src/compute-system.js';
import { HcsError } from '../src/errors.js';
import { ensureHvsocketDir } from '../src/hvsocket/path.js';
import { Operation } from '../src/operation.js';
import { HcsService } from '../src/service.js';
import { rejection, startDaemon, uniqueId, vmConfig } from './helpers/env.js';
import { linuxOnlyDescribe } from './helpers/platform.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

linuxOnlyDescribe(
  "hcsd's connection limit is set per daemon through the environment, which the Windows launcher's daemons do not take",
)('a refused connection', () => {
  it('past hcsd maxConnections: the call fails with HCS_E_CONNECT_FAILED and hcsd says why', async () => {
    // the control connection of startHcsd is the one connection allowed
    const hcsd = await startDaemon({ env: { UVMKIT_HCSD_LIMITS: '{"maxConnections":1}' } });
    try {
      const err = await rejection<HcsError>(ComputeSystem.enumerate());
      expect(err.code).toBe('HCS_E_CONNECT_FAILED');
      expect(err.hcsMessage).toBe(
        'hcsd refused the connection: 1 connections are open (its limit, maxConnections, is 1)',
      );
    } finally {
      await hcsd.stop();
    }
  });
});

linuxOnlyDescribe(
  'SIGSTOP/SIGCONT of the native hcsd: Windows Node under Wine cannot signal a Linux process',
)('a hung hcsd (SIGSTOP)', () => {
  it('timeouts are deadlines: Timeout within timeout + 100 ms; fs stays fast; late results are cleaned up', async () => {
    const hcsd: HcsdProcess = await startDaemon();
    const id = uniqueId('hung');
    const cs = await ComputeSystem.create(id, vmConfig());
    await cs.start();
    process.kill(hcsd.pid, 'SIGSTOP');
    let resumed = false;
    try {
      // Measured against a timer armed with the calls: how long after the deadline each call
      // rejected (the event loop's own lateness on a busy machine is in both).
      const deadline = new Promise<number>((r) => setTimeout(() => r(Date.now()), 1000));
      const props = rejection<HcsError>(cs.getProperties(undefined, { timeout: 1000 })).then(
        async (e) => [e, Date.now() - (await deadline)] as const,
      );
      const opens = [1, 2, 3, 4].map(() =>
        rejection<HcsError>(ComputeSystem.open(id, { timeout: 1000 })).then(
          async (e) => [e, Date.now() - (await deadline)] as const,
        ),
      );
      // four blocked opens used to occupy all four libuv pool threads: fs must still answer at once
      const r0 = Date.now();
      await promisify(readFile)(new URL(import.meta.url));
      const readMs = Date.now() - r0;
      let settled = false;
      void Promise.all(opens).then(() => {
        settled = true;
      });
      expect(settled).toBe(false); // fs answered while the opens were still waiting
      expect(readMs).toBeLessThan(500);
      const [pErr, pMs] = await props;
      expect(pErr.code).toBe('Timeout');
      expect(pErr.message).toBe(
        `HcsGetComputeSystemProperties ${JSON.stringify(id)} timed out after 1000 ms`,
      );
      expect(pMs).toBeLessThan(100); // within timeout + 100 ms
      for (const [err, ms] of await Promise.all(opens)) {
        expect(err.code).toBe('Timeout');
        expect(ms).toBeLessThan(100);
      }
      expect(Operation.pendingCount).toBe(1); // the timed-out operation is alive, not freed
      resumed = true;
    } finally {
      process.kill(hcsd.pid, 'SIGCONT');
      if (!resumed) await hcsd.kill(); // never leave a daemon (or the shim's connection to it) behind
    }
    // resumed: the operation completes and is closed; the late handles of the opens are closed
    for (let i = 0; i < 400 && Operation.pendingCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Operation.pendingCount).toBe(0);
    for (let i = 0; i < 400; i++) {
      if ((await hcsd.control.system(id)).handleCount === 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await hcsd.control.system(id)).handleCount).toBe(1);
    await cs.terminate();
    await cs.close();
    await hcsd.kill();
  }, 60_000);
});

linuxOnlyDescribe('SIGSTOP of the native hcsd: Windows Node under Wine cannot signal a Linux process')(
  "the shim's own deadline",
  () => {
    it('a synchronous call to a hung hcsd returns HCS_E_CONNECTION_TIMEOUT after $UVMKIT_HCSD_CALL_TIMEOUT_MS', async () => {
      const hcsd: HcsdProcess = await startDaemon();
      await HcsService.getProperties(); // connected
      process.kill(hcsd.pid, 'SIGSTOP');
      process.env.UVMKIT_HCSD_CALL_TIMEOUT_MS = '300';
      try {
        const err = await rejection<HcsError>(HcsService.getProperties());
        expect(err.code).toBe('HCS_E_CONNECTION_TIMEOUT');
        expect(err.message).toBe(
          `HcsGetServiceProperties failed with HCS_E_CONNECTION_TIMEOUT (0x80370109) (hcsd at ${hcsd.socketPath} did not answer in time, named by $UVMKIT_HCSD_SOCKET)`,
        );
      } finally {
        delete process.env.UVMKIT_HCSD_CALL_TIMEOUT_MS;
        process.kill(hcsd.pid, 'SIGCONT');
        await hcsd.kill();
      }
    }, 30_000);
  },
);

linuxOnlyDescribe(
  'Unix socket paths and the private runtime directory (modes, owners); the Windows shim reaches hcsd over TCP only',
)('where the service is', () => {
  it('nothing listens: HCS_E_SERVICE_NOT_AVAILABLE names the socket and the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvmkit-none-'));
    dirs.push(dir);
    const saved = process.env.UVMKIT_HCSD_SOCKET;
    process.env.UVMKIT_HCSD_SOCKET = join(dir, 'hcsd.sock');
    try {
      const err = await rejection<HcsError>(ComputeSystem.enumerate());
      expect(err.code).toBe('HCS_E_SERVICE_NOT_AVAILABLE');
      expect(err.message).toBe(
        `HcsEnumerateComputeSystems failed with HCS_E_SERVICE_NOT_AVAILABLE (0x80370114) (no hcsd listens on ${join(dir, 'hcsd.sock')}, named by $UVMKIT_HCSD_SOCKET)`,
      );
    } finally {
      process.env.UVMKIT_HCSD_SOCKET = saved;
    }
  });

  it('the default runtime directory is not private: HCS_E_ACCESS_DENIED, nothing sent', async () => {
    const xdg = mkdtempSync(join(tmpdir(), 'uvmkit-xdg-'));
    dirs.push(xdg);
    mkdirSync(join(xdg, 'uvmkit'));
    chmodSync(join(xdg, 'uvmkit'), 0o755);
    const saved = { s: process.env.UVMKIT_HCSD_SOCKET, x: process.env.XDG_RUNTIME_DIR };
    delete process.env.UVMKIT_HCSD_SOCKET;
    process.env.XDG_RUNTIME_DIR = xdg;
    try {
      const err = await rejection<HcsError>(ComputeSystem.enumerate());
      expect(err.code).toBe('HCS_E_ACCESS_DENIED');
      expect(err.message).toContain(
        `the runtime directory ${join(xdg, 'uvmkit')} must be this user's with mode 0700`,
      );
    } finally {
      process.env.UVMKIT_HCSD_SOCKET = saved.s;
      if (saved.x === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved.x;
    }
  });

  it('an HvSocket directory another user created is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvmkit-hv-'));
    dirs.push(dir);
    const hv = join(dir, 'hvsock');
    mkdirSync(hv, { mode: 0o700 });
    chownSync(hv, 65534, 65534);
    let err: unknown;
    try {
      ensureHvsocketDir(hv);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HcsError);
    expect((err as HcsError).code).toBe('ERROR_ACCESS_DENIED');
    expect((err as HcsError).message).toBe(
      `HvSocket directory ${hv} is owned by uid 65534, not by this user (uid 0); refusing to listen there`,
    );
  });
});

linuxOnlyDescribe(
  'the Unix runtime directory rule of the shim, hcsd and hcs-core; Windows has no such default',
)('one rule for the runtime directory', () => {
  it('hcs-core and hcsd derive the same runtime directory, hvsock directory and socket', async () => {
    const emulator = await import('@uvmkit/hcs-emulator');
    const { hcsdSocketPath, hvsocketDir, runtimeDir } = await import('../src/hvsocket/path.js');
    const envs = [
      {},
      { XDG_RUNTIME_DIR: '/run/user/1000' },
      { UVMKIT_HCSD_SOCKET: '/x/h.sock', UVMKIT_HVSOCK_DIR: '/x/hv' },
    ];
    for (const env of envs) {
      for (const user of [0, 1000]) expect(runtimeDir(env, user)).toBe(emulator.runtimeDir(env, user));
      expect(hvsocketDir(env)).toBe(emulator.hvsockDir(env));
      expect(hcsdSocketPath(env).path).toBe(emulator.defaultSocketPath(env));
    }
  });
});

linuxOnlyDescribe('SIGSTOP of the native hcsd: Windows Node under Wine cannot signal a Linux process')(
  'a request hcsd does not read',
  () => {
    it('never blocks the JS thread: the shim queues it for its writer thread, and the deadline still holds', async () => {
      const hcsd: HcsdProcess = await startDaemon();
      await HcsService.getProperties(); // connected
      process.kill(hcsd.pid, 'SIGSTOP');
      try {
        // Far more than a socket's buffer: sent from the JS thread, this used to block it until
        // hcsd read again.
        const config = { ...vmConfig(), Owner: 'x'.repeat(3 * 1024 * 1024) };
        const ticks: number[] = [];
        const ticker = setInterval(() => ticks.push(Date.now()), 50);
        const t0 = Date.now();
        const created = rejection<HcsError>(
          ComputeSystem.create(uniqueId('unread'), config, { timeout: 1500 }),
        );
        const callMs = Date.now() - t0;
        const err = await created;
        clearInterval(ticker);
        expect(err.code).toBe('Timeout');
        expect(callMs).toBeLessThan(1000);
        // the event loop kept turning while the request sat unsent: no gap near the whole wait
        const gaps = ticks.slice(1).map((t, i) => t - (ticks[i] as number));
        expect(ticks.length).toBeGreaterThan(5);
        expect(Math.max(...gaps)).toBeLessThan(1000);
      } finally {
        process.kill(hcsd.pid, 'SIGCONT');
        await hcsd.kill();
      }
    }, 60_000);
  },
);
