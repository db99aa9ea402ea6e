/**
 * Emulated processes of the emulated guest (gcs-protocol.md §4.5 ExecuteProcess, WaitForProcess,
 * SignalProcess, ResizeConsole; §7 process I/O). NEVER a host process: each one runs one of the
 * built-in commands of ./commands.ts inside hcsd, with its stdio on the relay connections the
 * agent dialed to the host (one raw byte stream per pipe, no framing). A process keeps running
 * across bridge reconnects (as on the Linux GCS); its exit is kept for later waits.
 */
import type { Socket } from 'node:net';
import { type CommandContext, type CommandFn, lookupCommand, type ReadFile } from './commands.js';
import { GHR, gfail } from './protocol.js';

/** Signals whose default action ends a process (everything else is ignored by the emulation). */
const TERMINATING = new Set([1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27]);
export const SIGINT = 2;
export const SIGKILL = 9;
export const SIGTERM = 15;
export const SIGWINCH = 28;
/** Exited processes kept for late WaitForProcess calls (the oldest are forgotten first). */
export const EXITED_KEEP = 1000;

export interface ProcessStdio {
  readonly stdin?: Socket | undefined;
  readonly stdout?: Socket | undefined;
  readonly stderr?: Socket | undefined;
}

export interface ProcessSpec {
  readonly containerId: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly terminal: boolean;
  /** [rows, cols] */
  readonly consoleSize: readonly [number, number];
  /** a container's init process */
  readonly init: boolean;
}

export interface ProcessInfo {
  pid: number;
  containerId: string;
  argv: string[];
  terminal: boolean;
  init: boolean;
  state: 'created' | 'running' | 'exited';
  exitCode: number | null;
  /** the signal that ended it (by SignalProcess / shutdown / container exit), if any */
  signal: number | null;
  consoleSize: [number, number];
  /** which stdio relays it has */
  stdio: { stdin: boolean; stdout: boolean; stderr: boolean };
  /** bytes written to stdout / stderr relays */
  bytesOut: number;
  bytesErr: number;
  /** WaitForProcess answers sent for it */
  waitsAnswered: number;
}

/** One emulated process. `start()` runs its command; `exited` resolves with the exit code. */
export class EmulatedProcess {
  readonly pid: number;
  readonly spec: ProcessSpec;
  #stdio: ProcessStdio = {};
  #state: 'created' | 'running' | 'exited' = 'created';
  #started = false;
  #exitCode: number | null = null;
  #signal: number | null = null;
  /** the last signal the host sent (decides a container's exit type) */
  hostSignal: number | null = null;
  #rows: number;
  #cols: number;
  #bytesOut = 0;
  #bytesErr = 0;
  waitsAnswered = 0;
  readonly #abort = new AbortController();
  readonly #resizeListeners = new Set<() => void>();
  readonly exited: Promise<number>;
  #resolveExit!: (code: number) => void;
  readonly #readFile: ReadFile;
  readonly #fn: CommandFn;

  constructor(pid: number, spec: ProcessSpec, readFile: ReadFile) {
    this.pid = pid;
    this.spec = spec;
    this.#rows = spec.consoleSize[0];
    this.#cols = spec.consoleSize[1];
    this.#readFile = readFile;
    const fn = lookupCommand(spec.argv);
    if (fn === undefined) {
      const name = spec.argv[0] ?? '';
      gfail(
        GHR.E_FAIL,
        name === ''
          ? 'exec: no command given'
          : `exec: ${JSON.stringify(name)}: executable file not found in $PATH (the emulated guest runs only its built-in commands)`,
      );
    }
    this.#fn = fn;
    this.exited = new Promise((r) => {
      this.#resolveExit = r;
    });
  }

  get state(): 'created' | 'running' | 'exited' {
    return this.#state;
  }

  /** Whether `start` ran (a container's init that was never started has nothing to wait on). */
  get started(): boolean {
    return this.#started;
  }

  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** Attach the dialed relays and run the command. */
  start(stdio: ProcessStdio): void {
    if (this.#state !== 'created') return;
    this.#started = true;
    this.#stdio = stdio;
    this.#state = 'running';
    for (const s of [stdio.stdin, stdio.stdout, stdio.stderr]) s?.on('error', () => {});
    // stdout/stderr relays are write-only from the guest: ignore anything the host sends there
    stdio.stdout?.resume();
    if (stdio.stderr !== stdio.stdout) stdio.stderr?.resume();
    const ctx = this.#context();
    let code = 0;
    void Promise.resolve()
      .then(() => this.#fn(ctx))
      .then(
        (c) => {
          code = c;
        },
        (e: unknown) => {
          if (this.#abort.signal.aborted) return;
          code = 1;
          void ctx.write('err', `${this.spec.argv[0] ?? ''}: ${(e as Error)?.message ?? String(e)}\n`);
        },
      )
      .then(() => {
        if (this.#state === 'exited') return;
        // the command returned: flush and close its output, then report the exit
        void this.#closeOutput().then(() => this.#exit(code, null));
      });
  }

  /** Deliver a signal; returns whether it ends the process. */
  signal(sig: number): boolean {
    if (this.#state === 'exited') return false;
    this.hostSignal = sig;
    if (sig === SIGWINCH) {
      for (const l of this.#resizeListeners) l();
      return false;
    }
    const ignoresTerm = this.#fn.ignores?.includes(sig) === true;
    if (!TERMINATING.has(sig) || ignoresTerm) return false;
    this.kill(sig);
    return true;
  }

  /** End the process by `sig` now (exit code 128 + sig); stdio relays are closed. */
  kill(sig: number): void {
    if (this.#state === 'exited') return;
    this.#abort.abort();
    this.#exit(128 + sig, sig);
    const { stdin, stdout, stderr } = this.#stdio;
    stdin?.destroy();
    stdout?.end();
    stderr?.end();
  }

  resize(rows: number, cols: number): void {
    this.#rows = rows;
    this.#cols = cols;
    for (const l of this.#resizeListeners) l();
  }

  /** Drop every relay at once (the fault `drop` with `stdio: true`). */
  dropStdio(): void {
    const { stdin, stdout, stderr } = this.#stdio;
    stdin?.destroy();
    stdout?.destroy();
    stderr?.destroy();
  }

  info(): ProcessInfo {
    return {
      pid: this.pid,
      containerId: this.spec.containerId,
      argv: [...this.spec.argv],
      terminal: this.spec.terminal,
      init: this.spec.init,
      state: this.#state,
      exitCode: this.#exitCode,
      signal: this.#signal,
      consoleSize: [this.#rows, this.#cols],
      stdio: {
        stdin: this.#stdio.stdin !== undefined,
        stdout: this.#stdio.stdout !== undefined,
        stderr: this.#stdio.stderr !== undefined && this.#stdio.stderr !== this.#stdio.stdout,
      },
      bytesOut: this.#bytesOut,
      bytesErr: this.#bytesErr,
      waitsAnswered: this.waitsAnswered,
    };
  }

  #exit(code: number, sig: number | null): void {
    if (this.#state === 'exited') return;
    this.#state = 'exited';
    this.#exitCode = code >>> 0;
    this.#signal = sig;
    this.#resizeListeners.clear();
    this.#resolveExit(this.#exitCode);
  }

  #closeOutput(): Promise<void> {
    const { stdin, stdout, stderr } = this.#stdio;
    stdin?.destroy();
    const finished = (s: Socket | undefined): Promise<void> =>
      new Promise((resolve) => {
        if (s === undefined || s.destroyed || s.writableFinished) {
          resolve();
          return;
        }
        s.once('finish', () => resolve());
        s.once('close', () => resolve());
        s.end();
      });
    return Promise.all([finished(stdout), stderr === stdout ? undefined : finished(stderr)]).then(
      () => undefined,
    );
  }

  #context(): CommandContext {
    const { stdin, stdout } = this.#stdio;
    const stderr = this.spec.terminal ? stdout : this.#stdio.stderr;
    const signal = this.#abort.signal;
    const terminal = this.spec.terminal;
    const write = (which: 'out' | 'err', data: string | Buffer): Promise<void> => {
      if (signal.aborted) return Promise.resolve();
      const s = which === 'out' ? stdout : stderr;
      let buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      if (terminal) buf = onlcr(buf);
      if (which === 'out' || terminal) this.#bytesOut += buf.length;
      else this.#bytesErr += buf.length;
      if (s === undefined || s.destroyed || s.writableEnded) return Promise.resolve();
      if (s.write(buf)) return Promise.resolve();
      return new Promise((resolve) => {
        const done = (): void => {
          s.off('drain', done);
          s.off('close', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        s.once('drain', done);
        s.once('close', done);
        signal.addEventListener('abort', done, { once: true });
      });
    };
    return {
      argv: this.spec.argv,
      env: this.spec.env,
      cwd: this.spec.cwd,
      terminal,
      signal,
      write,
      stdin: () => readAll(stdin, signal),
      stdinChunks: () => chunks(stdin, signal),
      consoleSize: () => [this.#rows, this.#cols],
      onResize: (fn) => {
        this.#resizeListeners.add(fn);
        return () => this.#resizeListeners.delete(fn);
      },
      readFile: this.#readFile,
      sleep: (ms) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) {
            reject(new Error('killed'));
            return;
          }
          const t = setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          }, ms);
          const onAbort = (): void => {
            clearTimeout(t);
            reject(new Error('killed'));
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }),
    };
  }
}

/** `\n` → `\r\n` (a terminal's ONLCR output processing). */
function onlcr(buf: Buffer): Buffer {
  if (!buf.includes(0x0a)) return buf;
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a && (i === 0 || buf[i - 1] !== 0x0d)) {
      parts.push(buf.subarray(start, i), CRLF);
      start = i + 1;
    }
  }
  parts.push(buf.subarray(start));
  return Buffer.concat(parts);
}
const CRLF = Buffer.from('\r\n');

async function* chunks(s: Socket | undefined, signal: AbortSignal): AsyncGenerator<Buffer> {
  if (s === undefined || s.destroyed) return;
  const queue: Buffer[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (b: Buffer): void => {
    queue.push(b);
    s.pause();
    poke();
  };
  const onEnd = (): void => {
    ended = true;
    poke();
  };
  s.on('data', onData);
  s.once('end', onEnd);
  s.once('close', onEnd);
  signal.addEventListener('abort', onEnd, { once: true });
  s.resume();
  try {
    for (;;) {
      const b = queue.shift();
      if (b !== undefined) {
        yield b;
        if (queue.length === 0 && !ended) s.resume();
        continue;
      }
      if (ended || signal.aborted) return;
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  } finally {
    s.off('data', onData);
    s.off('end', onEnd);
    s.off('close', onEnd);
    signal.removeEventListener('abort', onEnd);
  }
}

async function readAll(s: Socket | undefined, signal: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of chunks(s, signal)) parts.push(b);
  return Buffer.concat(parts);
}
