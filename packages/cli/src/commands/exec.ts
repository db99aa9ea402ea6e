/**
 * `uvmctl exec ID [-t] [-e K=V]… [--cwd DIR] [--user U] -- CMD ARGS…`: run a process in the
 * utility VM itself (guestmanager's `execIntoUVM`) with uvmctl's stdio attached, and exit with
 * its exit code.
 *
 * - stdin is copied to the process as it arrives; uvmctl's stdin EOF closes the process's stdin.
 *   stdout and stderr are copied as they arrive (never buffered to the end).
 * - `-t`: a pty in the guest (one output stream, on stdout). When uvmctl's stdin is a terminal it
 *   goes raw while attached and is restored on every exit path (exit, error, signal, and the
 *   process `exit` hook as the last resort); the initial size is sent in `ConsoleSize` and every
 *   SIGWINCH sends ResizeConsole.
 * - Signals to uvmctl (SIGINT — Ctrl-C without `-t`; with `-t` Ctrl-C is a byte for the guest's
 *   pty —, SIGTERM, SIGHUP) are sent to the guest process (SignalProcess). When the guest refuses
 *   (the Linux GCS answers SignalProcess on the null container with HCS_E_SYSTEM_NOT_FOUND; so
 *   does hcsd's sim agent), or on the third one, uvmctl detaches: the process may keep running
 *   in the guest and uvmctl exits 128 + the signal's number (130 for Ctrl-C).
 * - Exit code: the process's (0–255; the guest reports 128 + n for a process killed by signal n;
 *   a larger code, possible from a Windows guest only, exits 255). A uvmctl failure (unknown id,
 *   the guest unreachable, ExecuteProcess refused, the connection lost) exits with the documented
 *   uvmctl codes and always prints `uvmctl: …` (or `{"error":…}`) on stderr; `--json` adds
 *   `{"exec":{…,"exitCode"}}` on stderr only when the exit code is the process's.
 */
import type { Readable, Writable } from 'node:stream';
import { execIntoUVM, type GuestProcess, type ProcessParameters, Signals } from '@uvmkit/guestmanager';
import { isHcsError } from '@uvmkit/hcs-core';
import type { Cli } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { Result } from '../output.js';
import { connectGuest } from './guest.js';

/** Options of `exec`. */
export interface ExecOptions {
  tty?: boolean;
  env?: string[];
  cwd?: string;
  user?: string;
}

/** The PATH sent when uvmctl sends an environment (`-e`, `-t`) that has none. */
export const DEFAULT_GUEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Ctrl-C (or SIGTERM, SIGHUP) this many times and uvmctl detaches even if the guest took the signals. */
export const DETACH_AFTER_SIGNALS = 3;

/** uvmctl's stdin as exec uses it (a TTY stream has `setRawMode`). */
export type ExecStdin = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/** The terminal uvmctl writes to (its size, for `-t`). */
type Tty = Writable & { isTTY?: boolean; columns?: number; rows?: number };

/** The environment sent to the guest: `undefined` (the agent's own) unless `-e` or `-t`. */
export function guestEnvironment(
  entries: readonly string[],
  tty: boolean,
  term: string | undefined,
): Record<string, string> | undefined {
  if (entries.length === 0 && !tty) return undefined;
  const env: Record<string, string> = { PATH: DEFAULT_GUEST_PATH };
  if (tty) env.TERM = term === undefined || term === '' ? 'xterm' : term;
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq <= 0) {
      throw new CliError(
        'InvalidOption',
        `-e must be KEY=VALUE, got ${JSON.stringify(e)}`,
        ExitCode.InvalidInput,
      );
    }
    env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return env;
}

/** The signals uvmctl passes on to the guest process. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Forwarded = (typeof FORWARDED)[number];

/**
 * Hooks the runner gives exec: the SIGINT handling of uvmctl (which otherwise cancels the call in
 * flight) is taken over while a process is attached.
 */
export interface ExecIo {
  stdin: ExecStdin;
  /** Route SIGINT to `fn` instead of cancelling (`undefined` restores the default). */
  interceptSigint(fn: (() => void) | undefined): void;
}

/** `exec ID -- CMD ARGS…`. */
export async function exec(
  cli: Cli,
  id: string,
  argv: readonly string[],
  o: ExecOptions,
  io: ExecIo,
): Promise<Result> {
  if (argv.length === 0) {
    throw new CliError(
      'InvalidOption',
      'exec needs a command: uvmctl exec ID -- CMD [ARGS…]',
      ExitCode.Usage,
    );
  }
  const tty = o.tty === true;
  const out = cli.stdout as Tty;
  const env = guestEnvironment(o.env ?? [], tty, process.env.TERM);
  const rows = out.isTTY === true && out.rows !== undefined && out.rows > 0 ? out.rows : 24;
  const cols = out.isTTY === true && out.columns !== undefined && out.columns > 0 ? out.columns : 80;
  const params: ProcessParameters = {
    CommandArgs: [...argv],
    CommandLine: argv.join(' '),
    ...(env === undefined ? {} : { Environment: env }),
    ...(o.cwd === undefined ? {} : { WorkingDirectory: o.cwd }),
    ...(o.user === undefined ? {} : { User: o.user }),
    ...(tty ? { EmulateConsole: true, ConsoleSize: [rows, cols] as const } : {}),
  };
  const started = Date.now();
  await using vm = await cli.open(id);
  return await connectGuest(cli, vm, async (guest) => {
    const proc = await execIntoUVM(guest, params, cli.call());
    try {
      const code = await attach(cli, proc, io, tty);
      const durationMs = Date.now() - started;
      if (code.detached === undefined) {
        if (cli.json) {
          cli.stderr.write(
            `${JSON.stringify({ exec: { id, pid: proc.pid, exitCode: code.exitCode, durationMs } })}\n`,
          );
        }
        return { json: null, human: '', exitCode: Math.min(code.exitCode, 255) };
      }
      const n = Signals[code.detached];
      cli.warn(
        `detached from process ${proc.pid} in ${id} after ${code.detached} (it may still be running in the guest)`,
      );
      return { json: null, human: '', exitCode: 128 + n };
    } finally {
      await proc.close();
    }
  });
}

/** Copy stdio both ways until the process exits (or uvmctl detaches). */
async function attach(
  cli: Cli,
  proc: GuestProcess,
  io: ExecIo,
  tty: boolean,
): Promise<{ exitCode: number; detached?: undefined } | { exitCode?: undefined; detached: Forwarded }> {
  const stdin = io.stdin;
  const raw = tty && stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  const restore = (): void => {
    if (raw) stdin.setRawMode?.(false);
  };
  const undo: (() => void)[] = [];
  let detach: ((sig: Forwarded) => void) | undefined;
  const detached = new Promise<Forwarded>((resolve) => {
    detach = resolve;
  });
  try {
    if (raw) {
      stdin.setRawMode?.(true);
      process.once('exit', restore);
      undo.push(() => process.off('exit', restore));
    }
    // Signals: pass them on; detach when the guest refuses, or on the third.
    let count = 0;
    // Set once the process's exit is known: a signal answer that comes after it (the bridge
    // closing as uvmctl ends) is no refusal.
    let exited = false;
    const onSignal = (sig: Forwarded): void => {
      count++;
      if (count >= DETACH_AFTER_SIGNALS) {
        detach?.(sig);
        return;
      }
      // `false`: the process is already gone, its exit is on the way.
      proc.signal(sig).then(
        () => undefined,
        (err: unknown) => {
          if (exited) return;
          const why = isHcsError(err) ? `${err.code}` : String(err);
          cli.warn(`the guest did not deliver ${sig} to process ${proc.pid} (${why})`);
          detach?.(sig);
        },
      );
    };
    io.interceptSigint(() => onSignal('SIGINT'));
    undo.push(() => io.interceptSigint(undefined));
    for (const sig of FORWARDED) {
      if (sig === 'SIGINT') continue;
      const h = (): void => onSignal(sig);
      process.on(sig, h);
      undo.push(() => process.off(sig, h));
    }
    // Window size: every SIGWINCH sends ResizeConsole (a refusal is reported once).
    const term = cli.stdout as Tty;
    if (tty && term.isTTY === true) {
      let warned = false;
      const resize = (): void => {
        const c = term.columns ?? 0;
        const r = term.rows ?? 0;
        if (c <= 0 || r <= 0) return;
        proc.resize(c, r).catch((err: unknown) => {
          if (warned) return;
          warned = true;
          cli.warn(`the guest refused ResizeConsole (${isHcsError(err) ? err.code : String(err)})`);
        });
      };
      process.on('SIGWINCH', resize);
      undo.push(() => process.off('SIGWINCH', resize));
    }
    // stdin → the process (its EOF ends the process's stdin).
    if (proc.stdin !== null) {
      const sink = proc.stdin;
      stdin.pipe(sink);
      undo.push(() => {
        stdin.unpipe(sink);
        stdin.pause();
      });
    }
    // stdout / stderr as they arrive; done when each ended (they end once the exit is known).
    const outputs = [
      [proc.stdout, cli.stdout],
      [proc.stderr, cli.stderr],
    ] as const;
    const copied = outputs.map(([from, to]) =>
      from === null
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            // A reader that went away (`uvmctl exec … | head`: EPIPE): the process gets SIGPIPE, as
            // a local writer would (best effort: a guest that refuses signals keeps running); the
            // rest of its output is discarded.
            let broken = false;
            const onError = (): void => {
              if (broken) return;
              broken = true;
              from.resume();
              proc.signal('SIGPIPE').catch(() => undefined);
            };
            to.on('error', onError);
            undo.push(() => to.off('error', onError));
            from.on('data', (b: Buffer) => {
              if (broken) return;
              if (!to.write(b)) {
                from.pause();
                to.once('drain', () => from.resume());
              }
            });
            from.once('end', () => resolve());
            from.once('error', reject);
          }),
    );
    const waited = proc.wait().then((code) => {
      exited = true;
      return code;
    });
    const finished = Promise.all([waited, ...copied]).then(([code]) => ({ exitCode: code }));
    finished.catch(() => {}); // after a detach nobody awaits it
    return await Promise.race([finished, detached.then((sig) => ({ detached: sig }))]);
  } finally {
    for (const u of undo.reverse()) u();
    restore();
  }
}
