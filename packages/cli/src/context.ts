/**
 * The state one uvmctl invocation shares with its commands: output mode, streams, the
 * cancellation signal (Ctrl-C cancels the HCS call in flight, then exits 130), and how a VM is
 * reached (`UtilityVM.open` by id: HCS has no other way to reach a VM another process created).
 */
import type { Writable } from 'node:stream';
import { type CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { lifetime } from '@uvmkit/lifetime';
import { network } from '@uvmkit/network';
import { plan9 } from '@uvmkit/plan9';
import { resources } from '@uvmkit/resources';
import { scsi } from '@uvmkit/scsi';
import { vpmem } from '@uvmkit/vpmem';
import { withProgress } from './output.js';

/** The global options every command sees. */
export interface GlobalOptions {
  /** Print JSON on stdout (and errors as JSON on stderr). */
  json?: boolean;
  /** Print every HCS call, Modify, guest request and state change on stderr as it happens. */
  trace?: boolean;
  /** The hcsd socket (sets `UVMKIT_HCSD_SOCKET`; ignored on Windows). */
  socket?: string;
  /** Milliseconds each call may take (default: none, Ctrl-C cancels). */
  timeout?: number;
}

/** One invocation's context. */
export interface Cli {
  readonly json: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean };
  readonly signal: AbortSignal;
  readonly timeout: number | undefined;
  /** `{ signal, timeout }` for one call. */
  call(): CallOptions;
  /** Run `work` with a spinner labelled `label` (stderr, TTY and not `--json` only). */
  progress<T>(label: string, work: Promise<T>): Promise<T>;
  /** Open the VM `id` (rejects with `HCS_E_SYSTEM_NOT_FOUND` for an unknown id). */
  open(id: string): Promise<UtilityVM>;
  /** A warning on stderr (a line, or `{warning}` JSON with `--json`). */
  warn(message: string): void;
}

let installed = false;
/** Install every manager uvmctl uses (once per process). */
export function installManagers(): void {
  if (installed) return;
  installed = true;
  UtilityVM.use(lifetime).use(network).use(scsi).use(plan9).use(vpmem).use(resources);
}

/** Build the context for the given streams and options. */
export function createCli(
  options: GlobalOptions,
  streams: { stdout: Writable; stderr: Writable & { isTTY?: boolean } },
  signal: AbortSignal,
): Cli {
  const json = options.json === true;
  const timeout = options.timeout;
  return {
    json,
    stdout: streams.stdout,
    stderr: streams.stderr,
    signal,
    timeout,
    call: () => ({ signal, timeout }),
    progress: (label, work) =>
      withProgress(streams.stderr, !json && streams.stderr.isTTY === true, label, work),
    open: (id) => UtilityVM.open(id, { signal }),
    warn: (message) => {
      streams.stderr.write(
        json ? `${JSON.stringify({ warning: message })}\n` : `uvmctl: warning: ${message}\n`,
      );
    },
  };
}
