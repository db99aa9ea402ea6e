/**
 * The agent a shared guestmanager suite runs against (./suite.ts): one VM per test file, booted
 * and connected once in `setup()` (beforeAll), shared by every test of the file, stopped in
 * `teardown()` (afterAll, on every exit path). Two targets:
 *
 * - `emulatedAgent()`: hcsd's sim engine and its emulated agent (built-in commands, ./sim.ts);
 * - `realAgent()`: hcsd's qemu engine, a real VM from `pnpm guest-image` with uvmkit-gcs inside
 *   (real binaries from busybox, ./real.ts).
 *
 * Both prepare the boot listeners (entropy on port 1, the log on port 109) and the bridge before
 * the VM starts, as hcsshim does for an LCOW UVM.
 *
 * What a target describes beyond the VM is only what differs by design between the agents (the
 * table "The emulated and the real agent" in the README): how a command is spelled, and the
 * documented behaviours of `differences`.
 */
import type { LogFields, Logger, UtilityVM } from '@uvmkit/hcs-core';
import type { BootListeners } from '../../src/boot.js';
import type { Guest } from '../../src/guest.js';

/** One line the guest's logger received. */
export interface LogRecord {
  level: string;
  message: string;
  fields: LogFields | undefined;
}

/** A logger that keeps every record. */
export function recorder(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      records.push({ level, message, fields });
    };
  return { records, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

export interface AgentTarget {
  /** `emulated` (hcsd sim engine) or `real` (uvmkit-gcs in QEMU) */
  readonly name: 'emulated' | 'real';
  /** Boot one VM, connect its guest (Negotiate v4). */
  setup(): Promise<void>;
  /** Close the guest connection, terminate the VM, stop hcsd, remove temp files. */
  teardown(): Promise<void>;
  /** The VM of this file (valid after setup). */
  readonly vm: UtilityVM;
  /** Its connected guest (valid after setup; a test that drops the bridge reconnects it). */
  readonly guest: Guest;
  /** The boot listeners (entropy, log) prepared before the VM started (closed with the first bridge). */
  readonly boot: BootListeners;
  /** What the guest's logger received (the log stream of the boot listeners). */
  readonly logs: readonly LogRecord[];
  /** A host disk the VM can hot-add (`vm.addSCSIDisk({ Type: 'VirtualDisk', Path })`). */
  diskPath(): string;
  /** A host image for VPMem device 0 (`vm.addVPMemDevice(0, { HostPath, ReadOnly: true, ImageFormat })`). */
  pmemPath(): string;
  /** A host directory to share over Plan 9 (created on demand). */
  sharePath(name: string): string;
  /** A NIC the host can hot-add (`vm.addNIC(id, { EndpointId, MacAddress })`). */
  readonly nic: { readonly id: string; readonly endpointId: string; readonly mac: string };
  /** Per-call timeout for guest requests that may wait on a device (the real agent waits up to 10 s). */
  readonly deviceTimeout: number;
  readonly commands: {
    /** `out <i>\n` on stdout then `err <i>\n` on stderr, i = 0..n-1, exit 0 */
    interleave(n: number): string[];
    /** on a terminal: prints `<rows> <cols>\n` (at least once; exits by itself or when stdin ends), exit 0 */
    consoleSize(): string[];
    /** `bytes` bytes on stdout, byte i = `byteAt(i)`, exit 0 */
    output(bytes: number): { argv: string[]; byteAt(i: number): number };
  };
  /** The differences by design (README table), asserted exactly by the suite. */
  readonly differences: {
    /**
     * SignalProcess / ResizeConsole of a process in the UVM (the null container): `refused` =
     * 0xC037010E as the Linux GCS answers (§10); `delivered` = uvmkit-gcs's default (the issue asks
     * for signals and console resize of UVM processes; `--strict-null-container` refuses).
     */
    readonly nullContainerSignals: 'refused' | 'delivered';
  };
}

/** Mount lines of `/proc/mounts` text: device, mount point, fs type, options. */
export function parseMounts(text: string): { dev: string; path: string; fs: string; options: string[] }[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [dev = '', path = '', fs = '', options = ''] = l.split(' ');
      return { dev, path, fs, options: options.split(',') };
    });
}
