/**
 * Test helpers around the host-built agent (`build/host/uvmkit-gcs`, ASan/UBSan): build it,
 * start it (optionally under `unshare`), keep its stderr (JSON log lines), stop it by pid on
 * every exit path; and a raw bridge frame reader for tests that play the host themselves.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const AGENT = fileURLToPath(new URL('../../build/host/uvmkit-gcs', import.meta.url));
/** The static binary `make guest` builds for the image. */
export const GUEST_AGENT = fileURLToPath(new URL('../../build/guest/uvmkit-gcs', import.meta.url));

/** `make host` (a no-op when up to date). */
/** `make <target>` in this package, one at a time across test files (they run in parallel). */
export function make(target: string): void {
  const lock = join(tmpdir(), 'uvmkit-linux-guest-make.lock');
  execFileSync('flock', [lock, 'make', '-s', '-C', PACKAGE_DIR, target], { stdio: 'inherit' });
}

export function buildHost(): void {
  make('host');
}

export interface Agent {
  readonly pid: number;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** The parsed JSON log lines so far (stderr). */
  logs(): { level: string; msg: string; time: string }[];
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startAgent(args: string[], wrap: string[] = [], binary = AGENT): Agent {
  const argv = [...wrap, binary, ...args];
  const child = spawn(argv[0] as string, argv.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0',
      UBSAN_OPTIONS: 'print_stacktrace=1',
    },
  });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const pid = child.pid;
  if (pid === undefined) throw new Error('the agent did not start');
  return {
    pid,
    stderr: () => err,
    logs: () =>
      err
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; msg: string; time: string }),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

/** Poll `cond` every 20 ms until it holds (or throw after `ms`). */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 20_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface RawFrame {
  type: number;
  size: number;
  id: bigint;
  payload: string;
}

/** Reads bridge frames from a byte stream (no size limit: tests check sizes themselves). */
export class FrameReader {
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  readonly frames: RawFrame[] = [];
  ended = false;

  push(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= 16) {
      const size = this.#buf.readUInt32LE(4);
      if (this.#buf.length < size) break;
      this.frames.push({
        type: this.#buf.readUInt32LE(0),
        size,
        id: this.#buf.readBigUInt64LE(8),
        payload: this.#buf.subarray(16, size).toString('utf8'),
      });
      this.#buf = this.#buf.subarray(size);
    }
    for (const w of this.#waiters.splice(0)) w();
  }

  end(): void {
    this.ended = true;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The reply with this ID (waits). */
  async reply(id: bigint, ms = 20_000): Promise<RawFrame & { body: Record<string, unknown> }> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.frames.find((x) => x.id === id);
      if (f !== undefined) return { ...f, body: JSON.parse(f.payload) as Record<string, unknown> };
      if (this.ended) throw new Error(`stream ended before the reply to ${id}`);
      if (Date.now() > end) throw new Error(`no reply to ${id}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
}
