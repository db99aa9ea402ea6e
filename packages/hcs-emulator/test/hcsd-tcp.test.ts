/**
 * hcsd's loopback TCP endpoint (`--listen tcp:127.0.0.1:PORT`) and its access check, and the hcsd
 * launcher that gives Windows Node under Wine native daemons. The shim's side of the same check
 * is tested through koffi in hcs-core's test/tcp.test.ts (natively and under Wine).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// Every test starts node processes; generous on a busy 2-core machine.
const SLOW = 60_000;

import { HcsdClient } from '../src/client.js';
import { HcsdControl, HcsdControlError } from '../src/control.js';
import { Method } from '../src/hcsd/methods.js';
import { parseTcpEndpoint, readSecretFile } from '../src/hcsd/tcp.js';
import { LAUNCHER_ENV, LAUNCHER_SECRET_ENV, serveLauncher } from '../src/launcher.js';
import { type HcsdProcess, startHcsd } from '../src/start.js';

const bin = fileURLToPath(new URL('../bin/hcsd.js', import.meta.url));
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function daemon(): Promise<HcsdProcess> {
  const h = await startHcsd({ listen: 'tcp:127.0.0.1:0' });
  cleanup.push(() => h.stop());
  return h;
}

describe('hcsd --listen', () => {
  it(
    'listens on loopback TCP, reports the port and a 0600 secret file, removes it on stop',
    async () => {
      const h = await daemon();
      expect(h.tcp).toMatch(/^tcp:127\.0\.0\.1:[1-9]\d*$/);
      const file = h.secretFile as string;
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readSecretFile(file)).toMatch(/^[0-9a-f]{64}$/);
      const control = await HcsdControl.connect(h.tcp as string, { secretFile: file });
      expect((await control.clients()).map((c) => c.name)).toContain('hcsd-control');
      await control.close();
      await h.stop();
      expect(existsSync(file)).toBe(false);
    },
    SLOW,
  );

  it(
    'refuses a Hello without the secret, with a wrong one, or a first request that is not Hello: E_ACCESSDENIED, logged, closed',
    async () => {
      const h = await daemon();
      const secret = readSecretFile(h.secretFile as string);
      const cases: [string, number, (string | null)[], string][] = [
        ['none', Method.Hello, ['t', '1', '1'], 'its Hello presented no secret'],
        [
          'wrong',
          Method.Hello,
          // the last character changed (to '0', or to '1' when it is '0': then '0' would be right)
          ['t', '1', '1', `${secret.slice(0, -1)}${secret.endsWith('0') ? '1' : '0'}`],
          'its Hello presented a wrong secret',
        ],
        [
          'first',
          Method.Enumerate,
          [null],
          `its first request was method ${Method.Enumerate}, not Hello with the secret`,
        ],
      ];
      for (const [, method, args, reason] of cases) {
        const c = await HcsdClient.connect(h.tcp as string);
        const r = await c.request(method, 0n, args);
        expect({ hresult: r.hresult, doc: JSON.parse(r.document ?? 'null') }).toEqual({
          hresult: 0x80070005,
          doc: {
            Error: 0x80070005 | 0,
            ErrorMessage: `access denied: a TCP client must present the secret in ${h.secretFile} as the 4th Hello argument (${reason})`,
          },
        });
        await c.closed; // hcsd ended the connection
        await expect
          .poll(() => h.stderr())
          .toMatch(
            new RegExp(
              `hcsd: refused TCP client 127\\.0\\.0\\.1:\\d+ \\(E_ACCESSDENIED 0x80070005\\): ${reason}`,
            ),
          );
      }
      // the right secret: served as usual, and the Unix socket still needs none
      const ok = await HcsdClient.connect(h.tcp as string);
      expect((await ok.request(Method.Hello, 0n, ['t', '1', '1', secret])).hresult).toBe(0);
      expect((await ok.request(Method.Enumerate, 0n, [null])).document).toBe('[]');
      await ok.close();
      const unix = await HcsdClient.connect(h.socketPath);
      expect((await unix.request(Method.Enumerate, 0n, [null])).hresult).toBe(0);
      await unix.close();
    },
    SLOW,
  );

  it(
    'HcsdControl over TCP with a wrong secret file is refused with HcsdControlError',
    async () => {
      const h = await daemon();
      const err = await HcsdControl.connect(h.tcp as string, { secretFile: bin }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HcsdControlError);
      expect((err as HcsdControlError).hresult).toBe(0x80070005);
    },
    SLOW,
  );

  it(
    'refuses to listen anywhere but 127.0.0.1, and malformed endpoints (exit 1, clear message)',
    async () => {
      for (const [endpoint, message] of [
        ['tcp:0.0.0.0:4000', 'hcsd listens on loopback only (tcp:127.0.0.1:PORT), not on "0.0.0.0"'],
        ['tcp:192.168.1.1:4000', 'hcsd listens on loopback only (tcp:127.0.0.1:PORT), not on "192.168.1.1"'],
        ['tcp:localhost:4000', 'hcsd listens on loopback only (tcp:127.0.0.1:PORT), not on "localhost"'],
        ['tcp:127.0.0.1:70000', 'bad port 70000'],
        ['tcp:127.0.0.1', 'is not of the form tcp:127.0.0.1:PORT'],
      ]) {
        const child: ChildProcess = spawn(
          process.execPath,
          [bin, '--socket', `/tmp/x-${process.pid}.sock`, '--listen', endpoint as string],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let err = '';
        child.stderr?.on('data', (d) => {
          err += d;
        });
        const code = await new Promise((r) => child.on('exit', r));
        expect({ code, err: err.includes(message as string) }).toEqual({ code: 1, err: true });
      }
      expect(() => parseTcpEndpoint('tcp:127.0.0.1:0')).toThrow('bad port 0');
      expect(parseTcpEndpoint('tcp:127.0.0.1:0', { allowPortZero: true })).toEqual({
        host: '127.0.0.1',
        port: 0,
      });
    },
    SLOW,
  );
});

describe('hcsd launcher', () => {
  it(
    'startHcsd() through the launcher: a native daemon on TCP, its secret, stop and kill',
    async () => {
      const launcher = await serveLauncher();
      cleanup.push(() => launcher.close());
      const saved = { l: process.env[LAUNCHER_ENV], s: process.env[LAUNCHER_SECRET_ENV] };
      process.env[LAUNCHER_ENV] = launcher.endpoint;
      process.env[LAUNCHER_SECRET_ENV] = launcher.secretFile;
      cleanup.push(() => {
        process.env[LAUNCHER_ENV] = saved.l ?? '';
        process.env[LAUNCHER_SECRET_ENV] = saved.s ?? '';
        if (saved.l === undefined) delete process.env[LAUNCHER_ENV];
        if (saved.s === undefined) delete process.env[LAUNCHER_SECRET_ENV];
      });
      const h = await startHcsd();
      expect(h.socketPath).toBe(h.tcp);
      expect(statSync(h.secretFile as string).mode & 0o777).toBe(0o600);
      expect(Array.isArray(await h.control.systems())).toBe(true);
      await h.stop();
      expect(await h.exited).toBe(0);
      const k = await startHcsd();
      await k.kill();
      expect(await k.exited).toBe('SIGKILL');
      // a wrong launcher secret is refused
      process.env[LAUNCHER_SECRET_ENV] = bin;
      const err = (await startHcsd().catch((e: unknown) => e)) as Error;
      expect(err.message).toBe('access denied: wrong or missing launcher secret');
    },
    SLOW,
  );
});
