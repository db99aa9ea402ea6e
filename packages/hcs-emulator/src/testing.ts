/**
 * `@uvmkit/hcs-emulator/testing`: what tests of uvmkit packages (and of their consumers) share —
 * a daemon wired to the shim, a realistic LCOW utility-VM document, unique ids, a helper that
 * captures a rejection, a started-VM fixture, and helpers that report (as plain data, for the test
 * to compare exactly) how calls fail on bad arguments or on a VM that is not running. Nothing here
 * is needed at run time. It does not depend on `@uvmkit/hcs-core` (which depends on this package):
 * VMs and errors are taken structurally, and the VM class comes from the caller.
 */
import {
  type ComputeSystem,
  ENTROPY_PORT,
  GcsServiceIds,
  InvalidArgumentError,
  LOG_PORT,
  ScsiControllerGuids,
  vsockServiceIdOf,
} from '@uvmkit/hcs-schema';
import type { HcsdControl, SystemInspection } from './control.js';
import { type HcsdProcess, type StartHcsdOptions, startHcsd } from './start.js';

/**
 * Start hcsd and point the shim at it (`UVMKIT_HCSD_SOCKET`, and `UVMKIT_HCSD_SECRET_FILE` when
 * it is reached over TCP); call before the first HCS call.
 */
export async function startTestHcsd(options: StartHcsdOptions = {}): Promise<HcsdProcess> {
  const hcsd = await startHcsd(options);
  process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
  if (hcsd.socketPath === hcsd.tcp && hcsd.secretFile !== undefined) {
    process.env.UVMKIT_HCSD_SECRET_FILE = hcsd.secretFile;
  } else {
    delete process.env.UVMKIT_HCSD_SECRET_FILE;
  }
  return hcsd;
}

/** The HvSocket service GUID of the Linux GCS bridge (vsock port 0x40000000). */
export const GCS_SERVICE_ID: string = GcsServiceIds.LinuxGcs;

const SYSTEM_SDDL = 'D:P(A;;FA;;;SY)(A;;FA;;;BA)';

/** The HvSocket service entry hcsshim gives each LCOW vsock port. */
export const WILDCARD_SERVICE = {
  AllowWildcardBinds: true,
  BindSecurityDescriptor: 'D:P(A;;FA;;;WD)',
  ConnectSecurityDescriptor: SYSTEM_SDDL,
} as const;

export interface LcowDocumentOptions {
  /** `Owner` (default `'uvmkit-test'`). */
  owner?: string;
  /** How many SCSI controllers, keyed by `ScsiControllerGuids` from index 0 (default 2: 0 and 1). */
  scsiControllers?: number;
  /** Include `Devices.VirtualPMem` (default true; `MaximumCount` 64). */
  vpmem?: boolean;
  /** Include `Devices.VirtualSmb` (default true). */
  vsmb?: boolean;
  /** Include `VirtualMachine.GuestConnection`, which makes hcsd's guest agent dial (default true). */
  guestConnection?: boolean;
  /** `ShouldTerminateOnLastHandleClosed` (default true). */
  terminateOnLastHandleClosed?: boolean;
}

/**
 * An LCOW utility-VM document shaped like the one hcsshim builds for a Linux UVM: kernel-direct
 * boot, SCSI controllers, a VPMem controller, Plan 9, VSMB, the HvSocket service table of the GCS
 * bridge and a vsock guest connection.
 */
export function lcowDocument(options: LcowDocumentOptions = {}): ComputeSystem {
  const scsi = Object.fromEntries(
    ScsiControllerGuids.slice(0, options.scsiControllers ?? 2).map((guid) => [guid, { Attachments: {} }]),
  );
  return {
    Owner: options.owner ?? 'uvmkit-test',
    SchemaVersion: { Major: 2, Minor: 1 },
    ShouldTerminateOnLastHandleClosed: options.terminateOnLastHandleClosed ?? true,
    VirtualMachine: {
      StopOnReset: true,
      Chipset: {
        LinuxKernelDirect: {
          KernelFilePath: 'C:\\ContainerPlatform\\LinuxBootFiles\\vmlinux',
          InitRdPath: 'C:\\ContainerPlatform\\LinuxBootFiles\\initrd.img',
          KernelCmdLine:
            'console=ttyS0 pci=off brd.rd_nr=0 pmtmr=0 -- -e 1 /bin/vsockexec -e 109 /bin/gcs -v4',
        },
      },
      ComputeTopology: {
        Memory: { SizeInMB: 1024, AllowOvercommit: true, EnableDeferredCommit: true },
        Processor: { Count: 2 },
      },
      Devices: {
        Scsi: scsi,
        ...(options.vpmem === false
          ? {}
          : { VirtualPMem: { MaximumCount: 64, MaximumSizeBytes: 4294967296, Backing: 'Virtual' } }),
        Plan9: {},
        ...(options.vsmb === false ? {} : { VirtualSmb: { Shares: [], DirectFileMappingInMB: 1024 } }),
        HvSocket: {
          HvSocketConfig: {
            DefaultBindSecurityDescriptor: SYSTEM_SDDL,
            DefaultConnectSecurityDescriptor: SYSTEM_SDDL,
            ServiceTable: {
              [vsockServiceIdOf(ENTROPY_PORT)]: { ...WILDCARD_SERVICE },
              [vsockServiceIdOf(LOG_PORT)]: { ...WILDCARD_SERVICE },
              [GCS_SERVICE_ID]: { ...WILDCARD_SERVICE },
            },
          },
        },
      },
      ...(options.guestConnection === false
        ? {}
        : { GuestConnection: { UseVsock: true, UseConnectedSuspend: true } }),
    },
  } as ComputeSystem;
}

let counter = 0;
/** A system id unique within this process and across processes (`<prefix>-<pid>-<n>`). */
export function uniqueSystemId(prefix = 'uvm'): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}`;
}

/** What `promise` rejects with; throws if it resolves. */
export async function rejection<E = unknown>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** What `startTestVm` and `notRunningReport` need from `@uvmkit/hcs-core`: pass `{ UtilityVM, systemOf }`. */
export interface TestVmCore<VM> {
  UtilityVM: { create(id: string, config: object): Promise<VM> };
  systemOf(vm: VM): NotRunningSystem;
}

/** A running hcsd with one started VM on it; `close()` closes the VM, then stops hcsd. */
export interface TestVm<VM> {
  hcsd: HcsdProcess;
  control: HcsdControl;
  id: string;
  vm: VM;
  close(): Promise<void>;
}

/**
 * Start hcsd (as `startTestHcsd`), create a VM `uniqueSystemId(prefix)` from
 * `lcowDocument({ owner })` and start it: the fixture of the manager packages' tests. If creating
 * or starting fails, hcsd is stopped before the error is rethrown.
 */
export async function startTestVm<VM extends { close(): Promise<unknown> }>(
  core: TestVmCore<VM>,
  options: { prefix: string; owner: string },
): Promise<TestVm<VM>> {
  const hcsd = await startTestHcsd();
  const id = uniqueSystemId(options.prefix);
  let vm: VM | undefined;
  try {
    vm = await core.UtilityVM.create(id, lcowDocument({ owner: options.owner }));
    await core.systemOf(vm).start();
  } catch (err) {
    await vm?.close();
    await hcsd.stop();
    throw err;
  }
  const started = vm;
  return {
    hcsd,
    control: hcsd.control,
    id,
    vm: started,
    async close() {
      try {
        await started.close();
      } finally {
        await hcsd.stop();
      }
    },
  };
}

/** Extra fields a test derives from an error (e.g. `{ invalidState: isInvalidState(err) }`). */
export type Inspect<X> = (err: unknown) => X;

/** A rejection reduced to what tests compare. */
export interface Refusal {
  code: unknown;
  hresult: unknown;
  message: unknown;
  /** `cause.argument` when the cause is an `InvalidArgumentError`, else undefined. */
  argument: string | undefined;
  /** The ModifySettingRequests hcsd received for the VM while the call ran. */
  sent: unknown[];
}

/**
 * Run `call` (which must reject) against VM `id` and report the rejection's `code`, `hresult` and
 * `message`, the `argument` its `InvalidArgumentError` cause names, and what hcsd was sent
 * meanwhile — for the test to compare with one exact `toEqual` (see `argumentRefusal`).
 */
export async function refusal<X extends object = object>(
  control: HcsdControl,
  id: string,
  call: () => Promise<unknown>,
  inspect?: Inspect<X>,
): Promise<Refusal & X> {
  const before = (await control.modifyLog(id)).length;
  const err = await rejection<{ code?: unknown; hresult?: unknown; message?: unknown; cause?: unknown }>(
    call(),
  );
  const sent = (await control.modifyLog(id)).slice(before);
  const cause = err?.cause;
  return {
    code: err?.code,
    hresult: err?.hresult,
    message: err?.message,
    argument: cause instanceof InvalidArgumentError ? cause.argument : undefined,
    sent,
    ...(inspect?.(err) as X),
  };
}

/**
 * The `refusal` of a bad argument rejected locally: code `InvalidArgument`, no HRESULT, the
 * given `message` (a string or an asymmetric matcher), an `InvalidArgumentError` cause naming
 * `argument`, nothing sent to hcsd; plus the test's `more` fields.
 */
export function argumentRefusal<X extends object = object>(
  argument: string,
  message: unknown,
  more?: X,
): Refusal & X {
  return { code: 'InvalidArgument', hresult: undefined, message, argument, sent: [], ...(more as X) };
}

/** One call made while the VM was not running, and how it failed. */
export interface NotRunningOutcome {
  /** The state hcsd reported for the VM just before the call. */
  state: string;
  /** The call's name as given. */
  call: string;
  code: unknown;
  hresult: unknown;
  message: unknown;
}

/** What `notRunningReport` needs of the VM's compute system (`systemOf(vm)`). */
export interface NotRunningSystem {
  start(): Promise<unknown>;
  pause(): Promise<unknown>;
  terminate(): Promise<unknown>;
  waitForExit(): Promise<unknown>;
}

export type NotRunningState = 'Created' | 'Paused' | 'Stopped';
export type NamedCalls = readonly (readonly [string, () => Promise<unknown>])[];

/** What `notRunningReport` saw. */
export interface NotRunningReport<VM, X> {
  /** The VM (closed by now) and its id. */
  vm: VM;
  id: string;
  /** Every call's outcome, in order. */
  outcomes: (NotRunningOutcome & X)[];
  /** The ModifySettingRequests hcsd received for the VM, in order. */
  log: unknown[];
  /** The VM's device table in hcsd after the last call. */
  devices: SystemInspection['devices'];
}

/**
 * Create a VM `uniqueSystemId(prefix)` from `lcowDocument({ owner })`, make each of
 * `calls(vm, state)` (each must reject) while it is Created, then Paused (start, pause), then
 * Stopped (terminate, wait for the exit) — or only the given `states`, in that order — and
 * report every outcome with the modify log and device table hcsd then holds. The VM is closed
 * before this returns.
 */
export async function notRunningReport<VM extends { close(): Promise<unknown> }, X extends object = object>(
  core: TestVmCore<VM>,
  control: HcsdControl,
  options: {
    prefix: string;
    owner: string;
    calls: (vm: VM, state: NotRunningState) => NamedCalls;
    states?: readonly NotRunningState[];
    inspect?: Inspect<X>;
  },
): Promise<NotRunningReport<VM, X>> {
  const { calls, inspect } = options;
  const id = uniqueSystemId(options.prefix);
  const vm = await core.UtilityVM.create(id, lcowDocument({ owner: options.owner }));
  try {
    const system = core.systemOf(vm);
    const outcomes: (NotRunningOutcome & X)[] = [];
    let current: NotRunningState = 'Created';
    for (const target of options.states ?? (['Created', 'Paused', 'Stopped'] as const)) {
      if (current === 'Created' && target !== 'Created') await system.start();
      if (target === 'Paused') await system.pause();
      if (target === 'Stopped') {
        await system.terminate();
        await system.waitForExit();
      }
      current = target;
      for (const [name, call] of calls(vm, target)) {
        const { state } = await control.system(id);
        const err = await rejection<{ code?: unknown; hresult?: unknown; message?: unknown }>(call());
        outcomes.push({
          state,
          call: name,
          code: err?.code,
          hresult: err?.hresult,
          message: err?.message,
          ...(inspect?.(err) as X),
        });
      }
    }
    const log = await control.modifyLog(id);
    const { devices } = await control.system(id);
    return { vm, id, outcomes, log, devices };
  } finally {
    await vm.close();
  }
}

/**
 * How HCS refuses a modify on a VM that is not running, by the state hcsd reports: Created and
 * Paused → HCS_E_INVALID_STATE (0x80370105), Stopped → HCS_E_SYSTEM_ALREADY_STOPPED (0x80370110).
 */
export const NOT_RUNNING = {
  Created: { code: 'HCS_E_INVALID_STATE', hresult: 0x80370105 },
  Paused: { code: 'HCS_E_INVALID_STATE', hresult: 0x80370105 },
  Stopped: { code: 'HCS_E_SYSTEM_ALREADY_STOPPED', hresult: 0x80370110 },
} as const;

/**
 * The outcomes `notRunningReport` reports when every one of `calls` is refused as `NOT_RUNNING`
 * says, in each of `states` (default all three): one entry per state and call, in order, each
 * with the test's `more(state, call)` fields (the message, say).
 */
export function notRunningOutcomes<X extends object>(
  calls: readonly string[],
  more: (state: NotRunningState, call: string) => X,
  states: readonly NotRunningState[] = ['Created', 'Paused', 'Stopped'],
): (Omit<NotRunningOutcome, 'message'> & X)[] {
  return states.flatMap((state) =>
    calls.map((call) => ({ state, call, ...NOT_RUNNING[state], ...more(state, call) })),
  );
}

/** A RegExp matching text that starts with `prefix` taken literally. */
export function startsWithPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`);
}

/**
 * Have hcsd hold the next Modify of VM `id` (5 s), start `call` with a fresh AbortSignal, wait
 * (up to 2 s) until hcsd holds the request, abort, and return what the call rejected with.
 */
export async function abortWhileHeld<E = unknown>(
  control: HcsdControl,
  id: string,
  call: (signal: AbortSignal) => Promise<unknown>,
): Promise<E> {
  await control.delay({ method: 'Modify', ms: 5000, count: 1, id });
  const ac = new AbortController();
  const p = rejection<E>(call(ac.signal));
  for (let i = 0; i < 200 && !(await control.pending()).some((x) => x.method === 'Modify'); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  ac.abort();
  return p;
}
