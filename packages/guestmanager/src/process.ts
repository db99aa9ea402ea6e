/**
 * Processes in the guest (gcs-protocol.md §4.5, §6.2, §7): `execIntoUVM` runs a process in the
 * utility VM itself; containers run theirs through `GuestContainer.start` / `exec`. Both go
 * through {@link startProcess}: bind the stdio listeners, send ExecuteProcess, take the relay
 * connections the guest dialed, then send WaitForProcess at once (no timeout, as hcsshim).
 *
 * A {@link GuestProcess} is bound to the bridge it was started on. When that bridge closes
 * before the exit is known, `wait()` rejects with {@link ConnectionLostError} and every stdio
 * stream still open is destroyed with {@link StdioLostError} (relays are never re-attached after
 * a reconnect: hcsshim #2793) — a typed error, never a hang. Stdio streams always have an
 * internal `'error'` listener, so a lost relay never crashes the process.
 *
 * Note: the Linux GCS answers SignalProcess and ResizeConsole addressed to the null container
 * with `HCS_E_SYSTEM_NOT_FOUND` (0xC037010E), even for a live UVM process (§10): `signal` and
 * `resize` of an `execIntoUVM` process reject with that error; in a container they work.
 */
import { type Duplex, PassThrough, type Readable, type Writable } from 'node:stream';
import { type CallOptions, ClosedError, HRESULT, isHcsError } from '@uvmkit/hcs-core';
import { abortedError, checkCallOptions, invalidArgument } from '@uvmkit/hcs-core/manager';
import {
  check,
  ProcessParametersDocument,
  type ResizeConsoleRequest,
  type SignalProcessRequest,
  type WaitForProcessRequest,
} from '@uvmkit/hcs-schema';
import type { Bridge, ResponseBase } from './bridge/bridge.js';
import { anyInString, NULL_CONTAINER_ID, RpcProc, ZERO_GUID } from './bridge/protocol.js';
import { BridgeClosedError, ConnectionLostError, StdioLostError } from './errors.js';
import type { Guest } from './guest.js';
import * as v from './requests/validate.js';
import { StdioBinding, type StdioStreams } from './stdio.js';

/** An OCI runtime-spec `process` (passed through; `args` required). */
export interface OciProcess {
  args: string[];
  env?: string[];
  cwd?: string;
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user?: Record<string, unknown>;
  [key: string]: unknown;
}

/** `ProcessParameters` (HCS schema 2, LCOW extras), the wire shape. */
export interface ProcessParameters {
  CommandLine?: string;
  CommandArgs?: readonly string[];
  WorkingDirectory?: string;
  Environment?: Readonly<Record<string, string>>;
  User?: string;
  /** a terminal: stdin and ONE pty stream (`stdout`); no stderr */
  EmulateConsole?: boolean;
  /** [rows, cols] */
  ConsoleSize?: readonly [number, number];
  /** default true */
  CreateStdInPipe?: boolean;
  /** default true */
  CreateStdOutPipe?: boolean;
  /** default true (never with a terminal) */
  CreateStdErrPipe?: boolean;
  /** an exec in a container (`GuestContainer.exec`) */
  OciProcess?: OciProcess;
}

/** Linux signal numbers by name. */
export const Signals = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGWINCH: 28,
} as const;
/** A signal by name (`'SIGTERM'`, `'SIGKILL'`, …): the ones `GuestProcess.signal` accepts. */
export type SignalName = keyof typeof Signals;

const INFINITE = 0xffffffff;

function checkParams(op: string, p: ProcessParameters): void {
  v.object(op, 'params', p);
  if (p.CommandLine !== undefined && typeof p.CommandLine !== 'string')
    throw invalidArgument(op, 'CommandLine must be a string');
  v.strings(op, 'CommandArgs', p.CommandArgs);
  v.str(op, 'WorkingDirectory', p.WorkingDirectory, true);
  v.str(op, 'User', p.User, true);
  if (p.Environment !== undefined) {
    v.object(op, 'Environment', p.Environment);
    for (const [k, x] of Object.entries(p.Environment))
      if (typeof x !== 'string') throw invalidArgument(op, `Environment.${k} must be a string`);
  }
  for (const k of ['EmulateConsole', 'CreateStdInPipe', 'CreateStdOutPipe', 'CreateStdErrPipe'] as const)
    v.bool(op, k, p[k]);
  if (p.ConsoleSize !== undefined) {
    if (!Array.isArray(p.ConsoleSize) || p.ConsoleSize.length !== 2)
      throw invalidArgument(op, 'ConsoleSize must be [rows, cols]');
    v.uint(op, 'ConsoleSize[0]', p.ConsoleSize[0], 0xffff);
    v.uint(op, 'ConsoleSize[1]', p.ConsoleSize[1], 0xffff);
  }
  if (p.OciProcess !== undefined) {
    v.object(op, 'OciProcess', p.OciProcess);
    if (!Array.isArray(p.OciProcess.args) || p.OciProcess.args.length === 0)
      throw invalidArgument(op, 'OciProcess.args must be a non-empty array of strings');
    v.strings(op, 'OciProcess.args', p.OciProcess.args);
    v.bool(op, 'OciProcess.terminal', p.OciProcess.terminal);
  }
}

/**
 * Start a process: in the UVM (`containerId` = the null container, `CreateInUtilityVM`), a
 * container's init (`init`: no OciProcess) or an exec in a container (`params.OciProcess`).
 * The signal is honoured until ExecuteProcess is sent (the Linux GCS cannot cancel it).
 */
export async function startProcess(
  guest: Guest,
  op: string,
  containerId: string,
  params: ProcessParameters,
  options: CallOptions & { terminal?: boolean | undefined } = {},
): Promise<GuestProcess> {
  checkCallOptions(op, options);
  checkParams(op, params);
  const bridge = guest.bridge(op);
  const os = guest.capabilities().os;
  const inUvm = containerId === NULL_CONTAINER_ID;
  const terminal =
    options.terminal ?? (params.EmulateConsole === true || params.OciProcess?.terminal === true);
  const pipes = {
    stdin: params.CreateStdInPipe ?? true,
    stdout: params.CreateStdOutPipe ?? true,
    stderr: terminal ? false : (params.CreateStdErrPipe ?? true),
  };
  const { signal } = options;
  const binding = await StdioBinding.bind(guest, pipes, signal);
  let streams: StdioStreams;
  let pid: number;
  try {
    if (signal?.aborted) throw abortedError(op, signal.reason);
    const wire: Record<string, unknown> = {
      ...params,
      ...(params.CommandArgs === undefined ? {} : { CommandArgs: [...params.CommandArgs] }),
      CreateStdInPipe: pipes.stdin,
      CreateStdOutPipe: pipes.stdout,
      CreateStdErrPipe: pipes.stderr,
      ...(inUvm ? { CreateInUtilityVM: true } : {}),
    };
    // The document the guest decodes (hcs-schema's ProcessParametersDocument): checked before sending.
    const issue = check(ProcessParametersDocument, wire)[0];
    if (issue !== undefined) throw invalidArgument(op, `ProcessParameters.${issue.path} ${issue.message}`);
    const r = await bridge.rpc<ResponseBase & { ProcessId?: unknown }>(
      RpcProc.ExecuteProcess,
      {
        ContainerId: containerId,
        ActivityId: ZERO_GUID,
        Settings: { ProcessParameters: anyInString(wire), ...binding.relaySettings(os) },
      },
      { timeout: options.timeout },
    );
    const id = r.ProcessId;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > INFINITE)
      throw invalidArgument(
        op,
        `the guest answered ExecuteProcess without a valid ProcessId (${String(id)})`,
      );
    pid = id;
    streams = await binding.accept();
  } catch (err) {
    await binding.close();
    throw err;
  }
  return new GuestProcess(guest, bridge, containerId, pid, streams, terminal);
}

/**
 * A process in the guest (in the UVM or in a container). `stdout` / `stderr` end once their relay
 * ended AND the exit code is known (so a relay EOF that comes with a lost bridge is reported as
 * `StdioLost`, not as complete output).
 */
export class GuestProcess {
  readonly guest: Guest;
  /** The container it runs in (the null container for a UVM process). */
  readonly containerId: string;
  readonly pid: number;
  /** Whether it has a terminal (stdin + one pty stream on `stdout`). */
  readonly terminal: boolean;
  /** Its stdin (end it for EOF), or null without a stdin pipe. */
  readonly stdin: Writable | null;
  /** Its stdout (the pty stream with a terminal), or null. */
  readonly stdout: Readable | null;
  /** Its stderr, or null (always null with a terminal). */
  readonly stderr: Readable | null;
  readonly #bridge: Bridge;
  readonly #sockets: { name: 'stdin' | 'stdout' | 'stderr'; s: Duplex }[] = [];
  readonly #outputs: { name: 'stdout' | 'stderr'; out: PassThrough; relay: Duplex }[] = [];
  readonly #exit: Promise<number>;
  #exitCode: number | undefined;
  #closed = false;
  readonly #waiters = new Set<(err: unknown) => void>();

  /** @internal Use `execIntoUVM` or a container's `start` / `exec`. */
  constructor(
    guest: Guest,
    bridge: Bridge,
    containerId: string,
    pid: number,
    streams: StdioStreams,
    terminal: boolean,
  ) {
    this.guest = guest;
    this.#bridge = bridge;
    this.containerId = containerId;
    this.pid = pid;
    this.terminal = terminal;
    // stdin is the relay itself; stdout/stderr are piped through a PassThrough (the relays come
    // back from accept explicitly paused, which a plain 'data' listener would not undo).
    this.stdin = streams.stdin ?? null;
    this.stdout = streams.stdout === undefined ? null : this.#output('stdout', streams.stdout);
    this.stderr = streams.stderr === undefined ? null : this.#output('stderr', streams.stderr);
    if (streams.stdin !== undefined) {
      streams.stdin.on('error', () => {}); // a lost relay must never crash the process
      this.#sockets.push({ name: 'stdin', s: streams.stdin });
      streams.stdin.resume(); // the guest writes nothing there; read so its EOF is seen
    }
    this.#exit = bridge
      .rpc<ResponseBase & { ExitCode?: unknown }>(
        RpcProc.WaitForProcess,
        {
          ContainerId: containerId,
          ActivityId: ZERO_GUID,
          ProcessId: pid,
          TimeoutInMs: INFINITE,
        } satisfies WaitForProcessRequest,
        { timeout: null },
      )
      .then(
        (r) => {
          const code = typeof r.ExitCode === 'number' ? r.ExitCode >>> 0 : 0;
          this.#exitCode = code;
          this.#endOutputs();
          return code;
        },
        (err: unknown) => {
          if (err instanceof BridgeClosedError) {
            this.#loseStdio(err);
            throw new ConnectionLostError('GuestProcess.wait', `process ${pid}`, err);
          }
          throw err;
        },
      );
    this.#exit.catch(() => {});
  }

  /** The exit code once known (else `undefined`). */
  get exitCode(): number | undefined {
    return this.#exitCode;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The exit code (u32; 128 + n for a process ended by signal n on Linux). Rejects with
   * `ConnectionLost` when the bridge closed first, `Closed` when `close()` came first, `Aborted`.
   */
  async wait(options: { signal?: AbortSignal | undefined } = {}): Promise<number> {
    const op = 'GuestProcess.wait';
    checkCallOptions(op, options);
    if (this.#exitCode !== undefined) return this.#exitCode;
    if (this.#closed) throw new ClosedError(`guest process ${this.pid}`, op);
    const { signal } = options;
    return new Promise<number>((resolve, reject) => {
      const done = (): void => {
        this.#waiters.delete(onClose);
        signal?.removeEventListener('abort', onAbort);
      };
      const onClose = (err: unknown): void => {
        done();
        reject(err);
      };
      const onAbort = (): void => {
        done();
        reject(abortedError(op, signal?.reason));
      };
      this.#waiters.add(onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#exit.then(
        (code) => {
          done();
          resolve(code);
        },
        (err: unknown) => {
          done();
          reject(err);
        },
      );
    });
  }

  /**
   * Send a signal (a number or a name; default SIGKILL). Resolves `true` when delivered, `false`
   * when the guest no longer has the process (ERROR_NOT_FOUND, as hcsshim treats it).
   */
  async signal(sig: number | SignalName = 'SIGKILL', options: CallOptions = {}): Promise<boolean> {
    const op = 'GuestProcess.signal';
    checkCallOptions(op, options);
    const n = typeof sig === 'string' ? Signals[sig] : sig;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 64)
      throw invalidArgument(op, `signal must be 1..64 or a signal name, got ${JSON.stringify(sig)}`);
    this.#check(op);
    try {
      await this.#bridge.rpc(
        RpcProc.SignalProcess,
        {
          ContainerId: this.containerId,
          ActivityId: ZERO_GUID,
          ProcessId: this.pid,
          Options: { Signal: n },
        } satisfies SignalProcessRequest,
        options,
      );
      return true;
    } catch (err) {
      if (isHcsError(err) && err.hresult === HRESULT.ERROR_NOT_FOUND) return false;
      throw err;
    }
  }

  /** SIGKILL. */
  kill(options: CallOptions = {}): Promise<boolean> {
    return this.signal('SIGKILL', options);
  }

  /** Resize its terminal (ResizeConsole: Height = rows, Width = cols). */
  async resize(cols: number, rows: number, options: CallOptions = {}): Promise<void> {
    const op = 'GuestProcess.resize';
    checkCallOptions(op, options);
    v.uint(op, 'cols', cols, 0xffff);
    v.uint(op, 'rows', rows, 0xffff);
    this.#check(op);
    await this.#bridge.rpc(
      RpcProc.ResizeConsole,
      {
        ContainerId: this.containerId,
        ActivityId: ZERO_GUID,
        ProcessId: this.pid,
        Height: rows,
        Width: cols,
      } satisfies ResizeConsoleRequest,
      options,
    );
  }

  /**
   * Release the handle (idempotent): stdio relays are closed, pending `wait()` calls reject with
   * `Closed`. The process itself is not signalled (as hcsshim's Close).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { s } of this.#sockets) s.destroy();
    for (const { out } of this.#outputs) if (!out.writableEnded) out.destroy();
    const err = new ClosedError(`guest process ${this.pid}`, 'GuestProcess.wait');
    for (const w of [...this.#waiters]) w(err);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #output(name: 'stdout' | 'stderr', relay: Duplex): Readable {
    const out = new PassThrough();
    relay.on('error', () => {});
    out.on('error', () => {}); // errors reach consumers that listen (for await, pipeline); never a crash
    // The stream ends when the relay ended AND the exit is known: an EOF that comes with a lost
    // bridge (the guest side closed with it) must not look like complete output.
    relay.pipe(out, { end: false });
    relay.once('end', () => this.#endOutputs());
    relay.once('close', () => {
      if (!relay.readableEnded && !out.destroyed)
        out.destroy(
          new StdioLostError(this.pid, name, relay.errored ?? undefined, 'the relay closed without an end'),
        );
    });
    this.#sockets.push({ name, s: relay });
    this.#outputs.push({ name, out, relay });
    return out;
  }

  #endOutputs(): void {
    if (this.#exitCode === undefined) return;
    for (const { out, relay } of this.#outputs) if (relay.readableEnded && !out.writableEnded) out.end();
  }

  #check(op: string): void {
    if (this.#closed) throw new ClosedError(`guest process ${this.pid}`, op);
    if (this.#bridge.closed)
      throw new ConnectionLostError(op, `process ${this.pid}`, this.#bridge.closeError);
  }

  #loseStdio(cause: unknown): void {
    for (const { name, out } of this.#outputs) {
      if (!out.destroyed && !out.writableEnded) out.destroy(new StdioLostError(this.pid, name, cause));
    }
    for (const { name, s } of this.#sockets) {
      if (s.destroyed) continue;
      if (name === 'stdin') s.destroy(new StdioLostError(this.pid, name, cause));
      else s.destroy();
    }
  }
}

/** Run a process in the utility VM itself (ExecuteProcess to the null container, `CreateInUtilityVM`). */
export function execIntoUVM(
  guest: Guest,
  params: ProcessParameters,
  options: CallOptions = {},
): Promise<GuestProcess> {
  if (typeof params === 'object' && params !== null && params.OciProcess !== undefined)
    return Promise.reject(invalidArgument('execIntoUVM', 'OciProcess is for container execs'));
  return startProcess(guest, 'execIntoUVM', NULL_CONTAINER_ID, params, options);
}
