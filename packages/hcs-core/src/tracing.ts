/**
 * Tracing: every HCS call, every Modify, every guest request and every VM state change is
 * published on `node:diagnostics_channel`, the convention undici and Node core follow.
 *
 * - Calls are `TracingChannel`s ({@link TracingChannels}): a subscriber sees `start`, `end`,
 *   `asyncStart`, `asyncEnd` and (on failure) `error` with ONE context object per call
 *   ({@link TraceContext}): `vmId`, `operation`, `resourcePath`, and once the call settled
 *   `duration` (ms), `hresult` and `errorCode`.
 * - State changes are a plain channel ({@link VM_STATE_CHANNEL}) carrying {@link VmStateMessage}.
 * - With no subscriber nothing is allocated or published: every hook first reads
 *   `hasSubscribers` and otherwise calls straight through.
 *
 * Owns: the channel names (the one home of that contract) and the helpers the call sites use.
 * Does not own: turning events into spans or log lines (`@uvmkit/opentelemetry`, `uvmctl --trace`).
 */
import { channel, type TracingChannel, tracingChannel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';

/** The names of uvmkit's tracing channels (`TracingChannel` names: subscribe with `tracingChannel(name)`). */
export const TracingChannels = {
  /** Every HCS export called through an operation or on the thread pool (`HcsStartComputeSystem`, …). */
  hcsCall: 'uvmkit:hcs:call',
  /** `UtilityVM.modify` (a ModifySettingRequest); its `HcsModifyComputeSystem` call nests inside. */
  modify: 'uvmkit:hcs:modify',
  /** Every guest (GCS bridge) request, published by `@uvmkit/guestmanager`. */
  guestRequest: 'uvmkit:guest:request',
} as const;

/** The plain channel of VM state changes (`channel(VM_STATE_CHANNEL)`), carrying {@link VmStateMessage}. */
export const VM_STATE_CHANNEL = 'uvmkit:vm:state';

/** What a traced call publishes: one object per call, completed as the call settles. */
export interface TraceContext {
  /** Which channel this call is on (a value of {@link TracingChannels}). */
  readonly kind: (typeof TracingChannels)[keyof typeof TracingChannels];
  /** The compute system id, when the call has one. */
  readonly vmId: string | undefined;
  /** The HCS export (`HcsModifyComputeSystem`), `UtilityVM.modify`, or the guest procedure (`ModifySettings`). */
  readonly operation: string;
  /** Modify: the `ResourcePath`; guest request: the `ResourceType`; otherwise undefined. */
  readonly resourcePath: string | undefined;
  /** Modify and guest requests: the `RequestType`, when given. */
  readonly requestType: string | undefined;
  /** `performance.now()` when the call started. */
  startTime: number;
  /** Milliseconds from start to settlement (set before `asyncStart`/`error`). */
  duration: number | undefined;
  /** Unsigned HRESULT: 0 on success, the failure's HRESULT when it has one. */
  hresult: number | undefined;
  /** The failure's stable code (`HCS_E_SYSTEM_NOT_FOUND`, `InvalidArgument`, …). */
  errorCode: string | undefined;
  /** Set by `TracingChannel` on failure. */
  error?: unknown;
  /** Set by `TracingChannel` on success. */
  result?: unknown;
}

/** A VM state change as published on {@link VM_STATE_CHANNEL}. */
export interface VmStateMessage {
  /** The compute system id. */
  readonly vmId: string;
  /** The new state: `Created`, `Running`, `Paused`, `Saved` (still paused) or `Stopped`. */
  readonly state: 'Created' | 'Running' | 'Paused' | 'Saved' | 'Stopped';
  /** What caused it: the HCS export that succeeded, or `SystemExited` (the exit event). */
  readonly cause: string;
  /** `Stopped` from the exit event: its `ExitType`. */
  readonly exitType?: string | undefined;
}

/** The fields a call site gives when it starts a traced call. */
export interface TraceStart {
  /** The compute system id, when the call has one. */
  vmId?: string | undefined;
  /** What is being called. */
  operation: string;
  /** Modify: the ResourcePath; guest request: the ResourceType. */
  resourcePath?: string | undefined;
  /** Modify and guest requests: the RequestType. */
  requestType?: string | undefined;
}

type Kind = TraceContext['kind'];

const channels: Record<Kind, TracingChannel<object, TraceContext>> = {
  [TracingChannels.hcsCall]: tracingChannel(TracingChannels.hcsCall),
  [TracingChannels.modify]: tracingChannel(TracingChannels.modify),
  [TracingChannels.guestRequest]: tracingChannel(TracingChannels.guestRequest),
} as never;
const stateChannel = channel(VM_STATE_CHANNEL);

const STATE_AFTER: Readonly<Record<string, VmStateMessage['state']>> = {
  HcsCreateComputeSystem: 'Created',
  HcsStartComputeSystem: 'Running',
  HcsPauseComputeSystem: 'Paused',
  HcsResumeComputeSystem: 'Running',
  HcsSaveComputeSystem: 'Saved',
};

function failureFields(err: unknown): { hresult: number | undefined; code: string | undefined } {
  if (typeof err !== 'object' || err === null) return { hresult: undefined, code: undefined };
  const { hresult, code } = err as { hresult?: unknown; code?: unknown };
  return {
    hresult: typeof hresult === 'number' ? hresult >>> 0 : undefined,
    code: typeof code === 'string' ? code : undefined,
  };
}

/**
 * Run `fn` as a traced call on channel `kind` (the call sites of hcs-core and of packages built
 * on it, such as guestmanager's request path, use this). Without subscribers this is `fn()`, and
 * `start` (an object or a function that builds it) is not evaluated. After a successful HCS call
 * that changes a VM's state, the change is published on {@link VM_STATE_CHANNEL} too.
 */
export function traced<T>(
  kind: Kind,
  start: TraceStart | (() => TraceStart),
  fn: () => Promise<T>,
): Promise<T> {
  const ch = channels[kind];
  if (!ch.hasSubscribers) {
    if (kind === TracingChannels.hcsCall && stateChannel.hasSubscribers) {
      const s = typeof start === 'function' ? start() : start;
      return fn().then((v) => {
        publishStateAfter(s);
        return v;
      });
    }
    return fn();
  }
  const fields = typeof start === 'function' ? start() : start;
  return tracedCall(ch, kind, fields, fn);
}

function tracedCall<T>(
  ch: TracingChannel<object, TraceContext>,
  kind: Kind,
  start: TraceStart,
  fn: () => Promise<T>,
): Promise<T> {
  const ctx: TraceContext = {
    kind,
    vmId: start.vmId,
    operation: start.operation,
    resourcePath: start.resourcePath,
    requestType: start.requestType,
    startTime: performance.now(),
    duration: undefined,
    hresult: undefined,
    errorCode: undefined,
  };
  return ch.tracePromise(async () => {
    try {
      const v = await fn();
      ctx.duration = performance.now() - ctx.startTime;
      ctx.hresult = 0;
      if (kind === TracingChannels.hcsCall) publishStateAfter(start);
      return v;
    } catch (err) {
      ctx.duration = performance.now() - ctx.startTime;
      const f = failureFields(err);
      ctx.hresult = f.hresult;
      ctx.errorCode = f.code;
      throw err;
    }
  }, ctx);
}

function publishStateAfter(start: TraceStart): void {
  const state = STATE_AFTER[start.operation];
  if (state === undefined || start.vmId === undefined || !stateChannel.hasSubscribers) return;
  stateChannel.publish({ vmId: start.vmId, state, cause: start.operation } satisfies VmStateMessage);
}

/** @internal Publish a state change (the exit event). */
export function publishState(message: VmStateMessage): void {
  if (stateChannel.hasSubscribers) stateChannel.publish(message);
}
