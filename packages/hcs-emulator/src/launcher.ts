/**
 * The hcsd launcher: lets a process that cannot start a Linux hcsd itself (Windows Node under
 * Wine, whose children are Windows processes) still get a fresh, native daemon per test, as
 * `startHcsd()` gives Linux callers. `serveLauncher()` runs natively on loopback TCP (secret
 * checked as hcsd's own TCP endpoint, see hcsd/tcp.ts); `startHcsdViaLauncher()` is what
 * `startHcsd()` does when `$UVMKIT_HCSD_LAUNCHER` is set.
 *
 * Protocol: newline-delimited JSON over one connection per daemon.
 *   client → `{"secret":"…","env":{…}}` once, then `{"signal":"SIGTERM"|"SIGKILL"}` to stop it;
 *   launcher → `{"ready":{"tcp":"tcp:127.0.0.1:P","pid":N,"secretFile":"/…"}}` (or `{"error":"…"}`),
 *   `{"stderr":"…"}` as the daemon writes, `{"exit":code|signal}` last.
 * The daemon is killed (SIGKILL) when the client's connection ends first. Tests only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { unlinkSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  formatTcpEndpoint,
  LOOPBACK,
  parseTcpEndpoint,
  readSecretFile,
  secretDir,
  secretMatches,
  writeSecretFile,
} from './hcsd/tcp.js';
import { hcsdCliPath } from './paths.js';

/** `tcp:127.0.0.1:PORT` of a launcher; with {@link LAUNCHER_SECRET_ENV} makes `startHcsd()` use it. */
export const LAUNCHER_ENV = 'UVMKIT_HCSD_LAUNCHER';
/** The launcher's secret file, as the client can open it (under Wine: a `Z:\…` path). */
export const LAUNCHER_SECRET_ENV = 'UVMKIT_HCSD_LAUNCHER_SECRET_FILE';

export interface LauncherServer {
  readonly endpoint: string;
  readonly secretFile: string;
  close(): Promise<void>;
}

function lines(socket: Socket, onLine: (msg: Record<string, unknown>) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        socket.destroy();
        return;
      }
      if (typeof msg === 'object' && msg !== null) onLine(msg as Record<string, unknown>);
    }
  });
}

const send = (socket: Socket, msg: unknown): void => {
  if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
};

/** Serve launch requests on `tcp:127.0.0.1:<port>` (0: any free port). */
export async function serveLauncher(
  options: { port?: number; log?: (line: string) => void } = {},
): Promise<LauncherServer> {
  const dir = secretDir();
  const children = new Set<ChildProcess>();
  let secret = '';
  let n = 0;
  const server: Server = createServer((socket) => {
    let child: ChildProcess | undefined;
    let secretFile: string | undefined;
    socket.on('error', () => {});
    socket.on('close', () => child?.kill('SIGKILL'));
    lines(socket, (msg) => {
      if (child === undefined) {
        if (typeof msg.secret !== 'string' || !secretMatches(msg.secret, secret)) {
          options.log?.(
            `launcher: refused ${socket.remoteAddress}:${socket.remotePort}: wrong or missing secret`,
          );
          send(socket, { error: 'access denied: wrong or missing launcher secret' });
          socket.end();
          return;
        }
        const env =
          typeof msg.env === 'object' && msg.env !== null ? (msg.env as Record<string, string>) : {};
        secretFile = join(dir, `hcsd-launched-${process.pid}-${++n}.secret`);
        const c = spawn(
          process.execPath,
          [
            hcsdCliPath(),
            '--socket',
            join(dir, `hcsd-launched-${process.pid}-${n}.sock`),
            '--listen',
            formatTcpEndpoint(0),
            '--secret-file',
            secretFile,
            // the tests' HcsdControl reaches this daemon over the same TCP endpoint
            '--test-control',
          ],
          {
            env: { ...process.env, ...env, UVMKIT_HCSD_EXIT_WITH_STDIN: '1' },
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        );
        child = c;
        children.add(c);
        let out = '';
        let ready = false;
        c.stdout?.setEncoding('utf8');
        c.stdout?.on('data', (d: string) => {
          if (ready) return;
          out += d;
          const nl = out.indexOf('\n');
          if (nl < 0) return;
          ready = true;
          const line = out.slice(0, nl);
          if (!line.startsWith('hcsd ready ')) return;
          const info = JSON.parse(line.slice('hcsd ready '.length)) as {
            tcp: string;
            pid: number;
            secretFile: string;
          };
          send(socket, { ready: { tcp: info.tcp, pid: info.pid, secretFile: info.secretFile } });
        });
        c.stderr?.setEncoding('utf8');
        c.stderr?.on('data', (d: string) => send(socket, { stderr: d }));
        c.on('error', (e) => send(socket, { error: `cannot spawn hcsd: ${e.message}` }));
        c.on('exit', (code, sig) => {
          children.delete(c);
          if (secretFile !== undefined) {
            try {
              unlinkSync(secretFile);
            } catch {}
          }
          send(socket, { exit: code ?? sig ?? -1 });
          socket.end();
        });
        return;
      }
      if (msg.signal === 'SIGTERM' || msg.signal === 'SIGKILL') {
        if (child.exitCode === null && child.signalCode === null) child.kill(msg.signal);
        child.stdin?.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: options.port ?? 0 }, () => resolve());
  });
  const endpoint = formatTcpEndpoint((server.address() as AddressInfo).port);
  const secretFile = join(dir, `hcsd-launcher-${process.pid}.secret`);
  secret = writeSecretFile(secretFile);
  return {
    endpoint,
    secretFile,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of children) c.kill('SIGKILL');
        try {
          unlinkSync(secretFile);
        } catch {}
        server.close(() => resolve());
      }),
  };
}

/** A daemon started by a launcher, as `startHcsd()` sees it. */
export interface LaunchedHcsd {
  readonly tcp: string;
  readonly pid: number;
  /** The daemon's secret file, as this process can open it. */
  readonly secretFile: string;
  readonly exited: Promise<number | string>;
  stderr(): string;
  signal(sig: 'SIGTERM' | 'SIGKILL'): void;
}

/** A path the launcher (Linux) reported, as this process opens it: `Z:\…` under Wine. */
export function localPath(linuxPath: string): string {
  return process.platform === 'win32' && linuxPath.startsWith('/')
    ? `Z:${linuxPath.replaceAll('/', '\\')}`
    : linuxPath;
}

/** Ask the launcher at `$UVMKIT_HCSD_LAUNCHER` for a fresh hcsd. */
export function startHcsdViaLauncher(options: {
  env?: Record<string, string> | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}): Promise<LaunchedHcsd> {
  const endpoint = parseTcpEndpoint(process.env[LAUNCHER_ENV] ?? '');
  const secretPath = process.env[LAUNCHER_SECRET_ENV];
  if (secretPath === undefined) throw new Error(`${LAUNCHER_SECRET_ENV} is not set`);
  const secret = readSecretFile(secretPath);
  return new Promise((resolve, reject) => {
    const socket = createConnection(endpoint);
    let stderr = '';
    let resolveExit: (v: number | string) => void = () => {};
    const exited = new Promise<number | string>((r) => {
      resolveExit = r;
    });
    let settled = false;
    const timer = setTimeout(
      () => fail(new Error(`hcsd did not become ready within ${options.timeoutMs} ms: ${stderr}`)),
      options.timeoutMs,
    );
    const fail = (e: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (!settled) {
        settled = true;
        reject(e);
      }
    };
    options.signal?.addEventListener('abort', () => fail(options.signal?.reason as Error), { once: true });
    socket.on('error', (e) =>
      fail(new Error(`cannot reach the hcsd launcher at ${process.env[LAUNCHER_ENV]}: ${e.message}`)),
    );
    socket.on('close', () => {
      resolveExit(-1);
      fail(new Error(`the hcsd launcher closed the connection before hcsd was ready: ${stderr}`));
    });
    socket.on('connect', () => send(socket, { secret, env: options.env ?? {} }));
    lines(socket, (msg) => {
      if (typeof msg.stderr === 'string') stderr = (stderr + msg.stderr).slice(-65536);
      else if (typeof msg.error === 'string') fail(new Error(msg.error));
      else if (msg.exit !== undefined) {
        resolveExit(msg.exit as number | string);
        fail(new Error(`hcsd exited (${String(msg.exit)}) before it was ready: ${stderr.trim()}`));
      } else if (typeof msg.ready === 'object' && msg.ready !== null && !settled) {
        settled = true;
        clearTimeout(timer);
        const r = msg.ready as { tcp: string; pid: number; secretFile: string };
        resolve({
          tcp: r.tcp,
          pid: r.pid,
          secretFile: localPath(r.secretFile),
          exited,
          stderr: () => stderr,
          signal: (sig) => send(socket, { signal: sig }),
        });
      }
    });
  });
}
