/**
 * The LCOW boot channels of the emulated guest (gcs-protocol.md §1.2, §11): hcsshim's init
 * command line `-e 1 /bin/vsockexec -e 109 /bin/gcs -v4` makes the guest read entropy from the
 * host on vsock port 1 (the host writes random bytes, then closes) and send the GCS's log (JSON
 * lines, logrus style `{"level","msg","time"}`) to the host on port 109, before the bridge dials.
 *
 * Emulator choice: a channel is used only when the kernel command line asks for it AND the host
 * listens when the VM starts (the real init would block on a missing entropy listener; the
 * emulated one skips it). Log lines are dropped while more than {@link LOG_BUFFER_BYTES} are
 * waiting to be read by the host.
 */
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { ENTROPY_PORT, LOG_PORT } from '@uvmkit/hcs-schema';
import { hvsockPath } from '../../../hvsock.js';
import { vsockServiceId } from './exec.js';

export { ENTROPY_PORT, LOG_PORT };
/** The most entropy the guest reads (it reads to EOF, bounded). */
export const ENTROPY_MAX_BYTES = 1024 * 1024;
export const LOG_BUFFER_BYTES = 1024 * 1024;

/** Which channels a kernel command line asks for (`-e 1`, `-e 109`). */
export function bootChannels(cmdline: string): { entropy: boolean; log: boolean } {
  const t = cmdline.split(/\s+/);
  const has = (port: number): boolean => t.some((w, i) => w === '-e' && t[i + 1] === String(port));
  return { entropy: has(ENTROPY_PORT), log: has(LOG_PORT) };
}

function dial(runtimeId: string, port: number): Promise<Socket | undefined> {
  const path = hvsockPath(runtimeId, vsockServiceId(port));
  if (!existsSync(path)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', () => {
      s.destroy();
      resolve(undefined);
    });
  });
}

/** Read the host's entropy to EOF (bounded); resolves with the byte count, or null if nobody served it. */
export async function readEntropy(runtimeId: string): Promise<number | null> {
  const s = await dial(runtimeId, ENTROPY_PORT);
  if (s === undefined) return null;
  return new Promise((resolve) => {
    let n = 0;
    s.on('data', (b: Buffer) => {
      n += b.length;
      if (n >= ENTROPY_MAX_BYTES) s.destroy();
    });
    s.once('close', () => resolve(n));
  });
}

/** The guest's log stream to the host (port 109). */
export class GuestLogStream {
  #socket: Socket | undefined;
  lines = 0;
  dropped = 0;

  get connected(): boolean {
    return this.#socket !== undefined && !this.#socket.destroyed;
  }

  async open(runtimeId: string): Promise<boolean> {
    this.#socket = await dial(runtimeId, LOG_PORT);
    this.#socket?.resume();
    return this.#socket !== undefined;
  }

  write(
    level: 'debug' | 'info' | 'warning' | 'error',
    msg: string,
    fields: Record<string, unknown> = {},
  ): void {
    const s = this.#socket;
    if (s === undefined || s.destroyed) return;
    if (s.writableLength > LOG_BUFFER_BYTES) {
      this.dropped++;
      return;
    }
    this.lines++;
    s.write(`${JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields })}\n`);
  }

  /** A raw line (for tests of a non-JSON log line). */
  writeRaw(line: string): void {
    const s = this.#socket;
    if (s === undefined || s.destroyed) return;
    this.lines++;
    s.write(`${line}\n`);
  }

  close(): void {
    this.#socket?.end();
    this.#socket = undefined;
  }
}
