/**
 * `startHcsd()`: spawn hcsd as a child process (never in the caller's JS thread: the shim's
 * synchronous exports would deadlock) on a fresh socket in the private runtime directory, with a
 * control socket beside it (`<socket>.control`, for `HcsdControl`), and resolve once it printed
 * its ready line. With `$UVMKIT_HCSD_LAUNCHER` set (Windows Node under Wine) the daemon is started
 * natively by the hcsd launcher instead (launcher.ts) and reached over TCP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HcsdControl } from './control.js';
import type { EngineName } from './hcsd/engine.js';
import { LAUNCHER_ENV, startHcsdViaLauncher } from './launcher.js';
import { hcsdCliPath } from './paths.js';
import { ensurePrivateDir, runtimeDir } from './runtime-dir.js';

export interface StartHcsdOptions {
  /** Socket path (default: a fresh path in the private runtime directory). */
  socketPath?: string;
  /** Control socket path (default: `<socketPath>.control`). */
  controlSocketPath?: string;
  /** The engine that realizes VMs (default `'sim'`: no VMM needed). */
  engine?: EngineName;
  /** hcsd's state directory (default: a fresh directory per daemon in the temp directory). */
  stateDir?: string;
  /** Aborting kills the daemon (SIGKILL) and rejects a start still in progress. */
  signal?: AbortSignal;
  /** Extra environment for the daemon. */
  env?: Record<string, string>;
  /** Milliseconds to wait for the ready line (default 10 000). */
  timeoutMs?: number;
  /** Also listen on TCP: `tcp:127.0.0.1:PORT` (port 0: any free port). */
  listen?: string;
}

export interface HcsdProcess {
  /** Where clients connect: the Unix socket path, or `tcp:127.0.0.1:PORT` when launched. */
  readonly socketPath: string;
  /** The TCP endpoint when listening on TCP, else `undefined`. */
  readonly tcp: string | undefined;
  /** The file holding the TCP clients' secret (for `$UVMKIT_HCSD_SECRET_FILE`), else `undefined`. */
  readonly secretFile: string | undefined;
  /** The control socket (inspect, fault, stop), served only to this uid and root. */
  readonly controlSocketPath: string;
  readonly pid: number;
  /** Connected control client (inspection + fault injection). */
  readonly control: HcsdControl;
  /** Everything the daemon wrote to stderr so far (last 64 KiB). */
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal name) when the daemon exits. */
  readonly exited: Promise<number | string>;
  /** Graceful stop: SIGTERM, wait for exit. Idempotent. */
  stop(): Promise<void>;
  /** Abrupt stop: SIGKILL, wait for exit; the socket file is left behind (stale). Idempotent. */
  kill(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Error starting hcsd; `code` is stable. */
export class HcsdSpawnError extends Error {
  readonly code = 'HcsdSpawn' as const;
  constructor(message: string) {
    super(message);
    this.name = 'HcsdSpawnError';
  }
}

/** A fresh socket path for a daemon, in the private runtime directory (created 0700 if missing). */
export function freshSocketPath(): string {
  const dir = runtimeDir();
  ensurePrivateDir(dir);
  return join(dir, `hcsd-${process.pid}-${randomBytes(6).toString('hex')}.sock`);
}

const READY = 'hcsd ready ';

export async function startHcsd(options: StartHcsdOptions = {}): Promise<HcsdProcess> {
  if (process.env[LAUNCHER_ENV]) return startLaunched(options);
  const socketPath = options.socketPath ?? freshSocketPath();
  const controlSocketPath = options.controlSocketPath ?? `${socketPath}.control`;
  options.signal?.throwIfAborted();
  const argv = [
    hcsdCliPath(),
    '--socket',
    socketPath,
    '--control-socket',
    controlSocketPath,
    '--engine',
    options.engine ?? 'sim',
  ];
  if (options.stateDir !== undefined) argv.push('--state-dir', options.stateDir);
  // TCP clients are tests under Wine: their HcsdControl reaches the daemon over the same endpoint.
  if (options.listen !== undefined) argv.push('--listen', options.listen, '--test-control');
  let ready: { tcp?: string; secretFile?: string } = {};
  const child: ChildProcess = spawn(process.execPath, argv, {
    env: { ...process.env, ...options.env, UVMKIT_HCSD_SOCKET: socketPath, UVMKIT_HCSD_EXIT_WITH_STDIN: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-65536);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, sig) => resolve(code ?? sig ?? -1));
  });

  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new HcsdSpawnError(`hcsd did not become ready within ${options.timeoutMs ?? 10000} ms: ${stderr}`),
      );
    }, options.timeoutMs ?? 10_000);
    const onAbort = (): void => {
      child.kill('SIGKILL');
      clearTimeout(timer);
      reject(options.signal?.reason);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      if (out === undefined) return;
      out += d;
      if (out.includes('\n') && out.startsWith(READY)) {
        ready = JSON.parse(out.slice(READY.length, out.indexOf('\n'))) as typeof ready;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new HcsdSpawnError(`cannot spawn hcsd: ${e.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new HcsdSpawnError(`hcsd exited (${code}) before it was ready: ${stderr.trim()}`));
    });
  });
  child.stdout?.resume();

  let control: HcsdControl;
  try {
    control = await HcsdControl.connect(controlSocketPath);
  } catch (err) {
    child.kill('SIGKILL'); // never leave a daemon behind that nobody can stop
    await exited;
    throw err;
  }
  let done: Promise<void> | undefined;
  const finish = (sig: NodeJS.Signals): Promise<void> => {
    done ??= (async () => {
      await control.close().catch(() => {});
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      child.stdin?.destroy();
      await exited;
      if (sig === 'SIGTERM') {
        for (const p of [socketPath, controlSocketPath]) {
          try {
            unlinkSync(p);
          } catch {}
        }
      }
    })();
    return done;
  };
  options.signal?.addEventListener('abort', () => void finish('SIGKILL'), { once: true });

  return {
    socketPath,
    tcp: ready.tcp,
    secretFile: ready.secretFile,
    controlSocketPath,
    pid: child.pid ?? -1,
    control,
    stderr: () => stderr,
    exited,
    stop: () => finish('SIGTERM'),
    kill: () => finish('SIGKILL'),
    [Symbol.asyncDispose]: () => finish('SIGTERM'),
  };
}

/** `startHcsd()` through the hcsd launcher: a native daemon reached over TCP with its secret. */
async function startLaunched(options: StartHcsdOptions): Promise<HcsdProcess> {
  options.signal?.throwIfAborted();
  let launched: Awaited<ReturnType<typeof startHcsdViaLauncher>>;
  try {
    launched = await startHcsdViaLauncher({
      env: options.env,
      timeoutMs: options.timeoutMs ?? 10_000,
      signal: options.signal,
    });
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new HcsdSpawnError((e as Error).message);
  }
  let control: HcsdControl;
  try {
    control = await HcsdControl.connect(launched.tcp, { secretFile: launched.secretFile });
  } catch (err) {
    launched.signal('SIGKILL');
    await launched.exited;
    throw err;
  }
  let done: Promise<void> | undefined;
  const finish = (sig: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    done ??= (async () => {
      await control.close().catch(() => {});
      launched.signal(sig);
      await launched.exited;
    })();
    return done;
  };
  options.signal?.addEventListener('abort', () => void finish('SIGKILL'), { once: true });
  return {
    socketPath: launched.tcp,
    tcp: launched.tcp,
    secretFile: launched.secretFile,
    controlSocketPath: launched.tcp,
    pid: launched.pid,
    control,
    stderr: launched.stderr,
    exited: launched.exited,
    stop: () => finish('SIGTERM'),
    kill: () => finish('SIGKILL'),
    [Symbol.asyncDispose]: () => finish('SIGTERM'),
  };
}
