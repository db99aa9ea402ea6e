/**
 * The LCOW boot listeners (gcs-protocol.md §1.2, §6.1, §11): hcsshim's init command line
 * `-e 1 /bin/vsockexec -e 109 /bin/gcs -v4` makes the guest wait for two host listeners before
 * the GCS dials: **entropy** (vsock port 1: the host writes random bytes, 512 by default, then
 * closes) and **log** (port 109: the GCS's log stream). Bind them BEFORE the VM starts, like the
 * bridge listener.
 *
 * Log lines go to the injected logger, tagged `{ vmId, source: 'guest' }`: a line that is a JSON
 * object is parsed (logrus keys: `level` → the logger method — `debug`/`trace` → debug,
 * `warning`/`warn` → warn, `error`/`fatal`/`panic` → error, anything else → info; `msg` → the
 * message; every other key becomes a field); any other line is logged at info as it is. A line
 * longer than `MAX_LOG_LINE` is split ({@link LogLineSplitter}).
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Logger } from '@uvmkit/hcs-core';
import { type HvSocketListener, vsockServiceId } from '@uvmkit/hcs-core/hvsocket';
import { ENTROPY_PORT, LOG_PORT } from '@uvmkit/hcs-schema';
import type { Guest } from './guest.js';
import { LogLineSplitter, parseLogLine } from './log-lines.js';

// The boot ports are published constants of the protocol: one home, @uvmkit/hcs-schema.
export { ENTROPY_PORT, LOG_PORT };
/** What hcsshim writes on the entropy port. */
export const DEFAULT_ENTROPY_BYTES = 512;

/** Options of `Guest.prepareBootListeners`. */
export interface BootListenersOptions {
  signal?: AbortSignal | undefined;
  /** Serve entropy on port 1 (default true). */
  entropy?: boolean | undefined;
  /** Random bytes written (default 512). */
  entropyBytes?: number | undefined;
  /** Forward the guest's log on port 109 (default true). */
  log?: boolean | undefined;
}

/** The running boot listeners of one VM. */
export class BootListeners {
  readonly #listeners: HvSocketListener[] = [];
  readonly #streams = new Set<Duplex>();
  /** Bytes of entropy written so far. */
  entropyServed = 0;
  /** Log lines forwarded so far. */
  logLines = 0;
  readonly #tasks: Promise<void>[] = [];

  private constructor() {}

  /** Settles when every listener is done (accepted and finished, or closed). */
  get done(): Promise<void> {
    return Promise.all(this.#tasks).then(() => undefined);
  }

  /** Bind the entropy and log listeners of `guest`'s VM (before the VM starts). */
  static async start(guest: Guest, logger: Logger, options: BootListenersOptions): Promise<BootListeners> {
    const b = new BootListeners();
    const bytes = options.entropyBytes ?? DEFAULT_ENTROPY_BYTES;
    try {
      if (options.entropy !== false) {
        const l = await guest.listenHvSocket(vsockServiceId(ENTROPY_PORT), options.signal);
        b.#listeners.push(l);
        b.#tasks.push(b.#serveEntropy(guest, l, bytes));
      }
      if (options.log !== false) {
        const l = await guest.listenHvSocket(vsockServiceId(LOG_PORT), options.signal);
        b.#listeners.push(l);
        b.#tasks.push(b.#serveLog(guest, l, logger));
      }
    } catch (err) {
      await b.close();
      throw err;
    }
    return b;
  }

  async #serveEntropy(guest: Guest, l: HvSocketListener, bytes: number): Promise<void> {
    let s: Duplex;
    try {
      s = await l.accept({ vm: guest.vm });
    } catch {
      return; // the VM exited or the listener was closed first
    }
    this.#streams.add(s);
    s.on('error', () => {});
    s.resume();
    await new Promise<void>((resolve) => {
      s.end(randomBytes(bytes), () => {
        this.entropyServed += bytes;
        resolve();
      });
      s.once('close', () => resolve());
    });
    this.#streams.delete(s);
  }

  async #serveLog(guest: Guest, l: HvSocketListener, logger: Logger): Promise<void> {
    let s: Duplex;
    try {
      s = await l.accept({ vm: guest.vm });
    } catch {
      return;
    }
    this.#streams.add(s);
    s.on('error', () => {});
    const vmId = guest.vm.id;
    const lines = new LogLineSplitter((line) => {
      this.logLines++;
      forwardLogLine(logger, vmId, line);
    });
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => lines.push(chunk));
    s.resume(); // accepted streams come back explicitly paused
    await new Promise<void>((resolve) => s.once('close', () => resolve()));
    lines.end();
    this.#streams.delete(s);
  }

  /** Stop listening and drop the streams (idempotent). */
  async close(): Promise<void> {
    for (const s of this.#streams) s.destroy();
    await Promise.all(this.#listeners.map((l) => l.close()));
    await Promise.all(this.#tasks);
  }
}

const LEVELS: Record<string, keyof Omit<Logger, 'child'>> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'error',
  panic: 'error',
};

/** One guest log line into `logger` (JSON objects parsed, others as text), tagged with the VM id. */
export function forwardLogLine(logger: Logger, vmId: string, line: string): void {
  const doc = parseLogLine(line);
  if (doc !== undefined) {
    const { level, msg, ...fields } = doc;
    const method = (typeof level === 'string' ? LEVELS[level.toLowerCase()] : undefined) ?? 'info';
    logger[method](typeof msg === 'string' ? msg : line, { ...fields, vmId, source: 'guest' });
    return;
  }
  logger.info(line, { vmId, source: 'guest' });
}
