/**
 * Stdio relays of a guest process (gcs-protocol.md §7): one HvSocket listener per requested
 * pipe, at (vm.runtimeId, vsock port → service id), the ports taken from the guest connection's
 * counter starting at 0x40000001. The listeners are bound BEFORE ExecuteProcess is sent (hcsshim
 * #2723: the guest dials them before it answers); each accepts exactly one connection.
 */
import type { Duplex } from 'node:stream';
import { type HvSocketListener, vsockServiceId } from '@uvmkit/hcs-core/hvsocket';
import type { Guest } from './guest.js';

/** How long the host waits, after the ExecuteProcess reply, for each relay to be connected. */
export const STDIO_ACCEPT_TIMEOUT_MS = 10_000;

export interface StdioPipes {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

export interface StdioStreams {
  readonly stdin: Duplex | undefined;
  readonly stdout: Duplex | undefined;
  readonly stderr: Duplex | undefined;
}

type Name = keyof StdioPipes;
const NAMES: readonly Name[] = ['stdin', 'stdout', 'stderr'];

/** The bound listeners of one ExecuteProcess. */
export class StdioBinding {
  readonly #guest: Guest;
  readonly ports: Partial<Record<Name, number>> = {};
  readonly #listeners: Partial<Record<Name, HvSocketListener>> = {};

  private constructor(guest: Guest) {
    this.#guest = guest;
  }

  /** Listen for each requested pipe (all or nothing). */
  static async bind(guest: Guest, pipes: StdioPipes, signal: AbortSignal | undefined): Promise<StdioBinding> {
    const b = new StdioBinding(guest);
    try {
      for (const name of NAMES) {
        if (!pipes[name]) continue;
        const port = guest.nextStdioPort();
        b.#listeners[name] = await guest.listenHvSocket(vsockServiceId(port), signal);
        b.ports[name] = port;
      }
    } catch (err) {
      await b.close();
      throw err;
    }
    return b;
  }

  /** `Settings.VsockStdioRelaySettings` (LCOW) or `Settings.StdioRelaySettings` (WCOW: service ids). */
  relaySettings(os: string): Record<string, unknown> {
    const key = (n: Name): string => (n === 'stdin' ? 'StdIn' : n === 'stdout' ? 'StdOut' : 'StdErr');
    const out: Record<string, unknown> = {};
    for (const n of NAMES) {
      const port = this.ports[n];
      if (port !== undefined) out[key(n)] = os === 'linux' ? port : vsockServiceId(port);
    }
    return os === 'linux' ? { VsockStdioRelaySettings: out } : { StdioRelaySettings: out };
  }

  /** Take the relay connections (the guest dialed them before answering). */
  async accept(): Promise<StdioStreams> {
    const got: Partial<Record<Name, Duplex>> = {};
    try {
      for (const n of NAMES) {
        const l = this.#listeners[n];
        if (l === undefined) continue;
        got[n] = await l.accept({ timeout: STDIO_ACCEPT_TIMEOUT_MS, vm: this.#guest.vm });
      }
    } catch (err) {
      for (const s of Object.values(got)) s?.destroy();
      await this.close();
      throw err;
    }
    return { stdin: got.stdin, stdout: got.stdout, stderr: got.stderr };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.#listeners).map((l) => l?.close()));
  }
}
