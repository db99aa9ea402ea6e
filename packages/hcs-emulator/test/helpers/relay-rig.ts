/**
 * A rig for the relay tests without QEMU: the real guest half (`uvmkit-relay serve`, built for the
 * host from packages/linux-guest) talks to a Unix socket that stands in for its virtio-serial port,
 * and a small proxy plays QEMU's chardev server: it serves one host client at a time, forwards bytes
 * both ways, and drops guest→host bytes while no host is connected (as virtio-serial loses bytes in
 * flight). Tests cut the host connection at any byte, or inject garbage either way.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const GUEST_PKG = resolve(dirname(fileURLToPath(import.meta.url)), '../../../linux-guest');
export const RELAY_BIN = join(GUEST_PKG, 'build/host/uvmkit-relay');

/** Build the guest programs for the host (sanitizers on), serialized across test files. */
export function buildGuestRelay(): string {
  execFileSync(
    'flock',
    [join(tmpdir(), 'uvmkit-linux-guest-make.lock'), 'make', '-s', '-C', GUEST_PKG, 'host'],
    {
      stdio: 'inherit',
    },
  );
  if (!existsSync(RELAY_BIN)) throw new Error(`${RELAY_BIN} was not built`);
  return RELAY_BIN;
}

export const RUNTIME_ID = '6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

export function vsockService(port: number): string {
  return `${port.toString(16).padStart(8, '0')}-facb-11e6-bd58-64006a7986d3`;
}

/** QEMU's side of the virtio-serial port, reduced to what the relay sees. */
export class PortProxy {
  readonly chardevPath: string;
  readonly portPath: string;
  #chardev: Server;
  #port: Server;
  guest: Socket | undefined;
  host: Socket | undefined;
  #waiting: Socket[] = [];
  /** Bytes guest→host still to forward before cutting the host connection. */
  #cutAfter: number | undefined;
  hostConnections = 0;

  constructor(dir: string) {
    this.chardevPath = join(dir, 'chardev.sock');
    this.portPath = join(dir, 'port.sock');
    this.#chardev = createServer((s) => this.#hostArrived(s));
    this.#port = createServer((s) => {
      this.guest = s;
      s.on('data', (b: Buffer) => this.#toHost(b));
      s.on('error', () => {});
    });
  }

  async listen(): Promise<void> {
    this.#chardev.listen(this.chardevPath);
    this.#port.listen(this.portPath);
    await Promise.all([once(this.#chardev, 'listening'), once(this.#port, 'listening')]);
  }

  #hostArrived(s: Socket): void {
    s.on('error', () => {});
    if (this.host !== undefined) {
      this.#waiting.push(s); // one client per chardev socket: later ones wait (qemu.md §8.7)
      s.pause();
      return;
    }
    this.#serve(s);
  }

  #serve(s: Socket): void {
    this.host = s;
    this.hostConnections++;
    s.on('data', (b: Buffer) => {
      // in pieces, as a guest read() of virtio-serial returns at most 4 KiB
      for (let i = 0; i < b.length; i += 4096) this.guest?.write(b.subarray(i, i + 4096));
    });
    s.on('close', () => {
      if (this.host !== s) return;
      this.host = undefined;
      const next = this.#waiting.shift();
      if (next !== undefined && !next.destroyed) {
        this.#serve(next);
        next.resume();
      }
    });
  }

  #toHost(b: Buffer): void {
    const h = this.host;
    if (h === undefined) return; // lost in flight
    if (this.#cutAfter !== undefined) {
      const n = Math.min(this.#cutAfter, b.length);
      if (n > 0) h.write(b.subarray(0, n));
      this.#cutAfter -= n;
      if (this.#cutAfter <= 0) {
        this.#cutAfter = undefined;
        this.host = undefined;
        h.destroy();
        const next = this.#waiting.shift();
        if (next !== undefined) this.#serve(next);
      }
      return;
    }
    h.write(b);
  }

  /** Disconnect the host after forwarding `n` more guest bytes (a cut mid-frame, usually). */
  cutHostAfter(n: number): void {
    this.#cutAfter = n;
  }

  /** Disconnect the host now. */
  cutHost(): void {
    const h = this.host;
    if (h === undefined) return;
    this.host = undefined;
    h.destroy();
    const next = this.#waiting.shift();
    if (next !== undefined) this.#serve(next);
  }

  injectToHost(b: Buffer): void {
    this.host?.write(b);
  }

  injectToGuest(b: Buffer): void {
    this.guest?.write(b);
  }

  async close(): Promise<void> {
    this.host?.destroy();
    this.guest?.destroy();
    for (const w of this.#waiting) w.destroy();
    await Promise.all([new Promise((r) => this.#chardev.close(r)), new Promise((r) => this.#port.close(r))]);
  }
}

export interface GuestRelay {
  readonly proc: ChildProcess;
  readonly apiPath: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Start `uvmkit-relay serve` against the proxy's port socket; resolves once it connected. */
export async function startGuestRelay(proxy: PortProxy, dir: string): Promise<GuestRelay> {
  const apiPath = join(dir, 'guest', 'relay.sock');
  const proc = spawn(RELAY_BIN, ['serve', '--port', proxy.portPath, '--sock', apiPath, '-v'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const deadline = Date.now() + 30_000;
  while (proxy.guest === undefined || !existsSync(apiPath)) {
    if (proc.exitCode !== null) throw new Error(`uvmkit-relay exited ${proc.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`uvmkit-relay did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    proc,
    apiPath,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await once(proc, 'exit');
      }
    },
  };
}

/** Spawn a guest-side tool (`dial`/`echo`) and collect its output. */
export function guestTool(args: string[]): {
  proc: ChildProcess;
  out: () => Buffer;
  err: () => string;
  exited: Promise<number | null>;
} {
  const proc = spawn(RELAY_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  proc.stdout!.on('data', (b: Buffer) => out.push(b));
  proc.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, out: () => Buffer.concat(out), err: () => err, exited };
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'uvmkit-relay-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Poll `cond` until true (the relay's effects are asynchronous); throws with `what` on timeout. */
export async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
