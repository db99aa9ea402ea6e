/**
 * `Operation`: one HCS operation, completed through ONE koffi-registered completion callback.
 *
 * - Context is a small integer id (never a pointer) into a map of pending operations.
 * - No blocking wait on the JS thread and no parked libuv pool thread: the callback fetches the
 *   result with the non-blocking `HcsGetOperationResult` and settles on a later tick.
 * - Operations are closed (`HcsCloseOperation`) on a later tick (`setImmediate`), never inside
 *   the callback (the native thread may still touch the operation after the callback returns).
 * - While any operation is pending, one ref'd timer keeps the process alive (pending registered
 *   callbacks do not; exiting while one is about to arrive can crash).
 * - Abort (or `timeout`) asks HCS to cancel (`HcsCancelOperation`) and waits up to
 *   CANCEL_GRACE_MS for the completion. When the service answers the cancel in time, the call
 *   settles with that completion (below). When it does not (a hung service), the call rejects
 *   with `Timeout` / `Aborted` (no `hresult`) at once, so a `timeout` is a deadline for the
 *   caller; the operation stays registered and is closed when its completion finally arrives
 *   (never freed while native code may use it).
 *   After completion: an aborted operation that failed rejects with code `Aborted`
 *   (`cause` = `signal.reason`; `hresult` = what HCS answered, e.g. ERROR_CANCELLED) or
 *   `Timeout`; an operation that SUCCEEDED despite the abort resolves normally, because its
 *   effect took place and reporting a failure would misstate the system's state. Callers that
 *   must not keep a result after an abort (UtilityVM.create) check the signal and undo.
 * - An exception in the callback is caught and logged; it never crashes the process.
 */
import { HcsError, HRESULT, hresultEquals, LocalCode, type ResultErrorDocument } from './errors.js';
import { holdProcess } from './keep-alive.js';
import { type Logger, silentLogger } from './logger.js';
import type { OperationHandle, Pointer } from './native/computecore.js';
import { loadNative, type Native } from './native/load.js';
import { abortedError, type CallOptions, checkCallOptions, timeoutError } from './options.js';
import { TracingChannels, traced } from './tracing.js';

/** What one completed operation produced. */
export interface OperationOutcome {
  /** Unsigned HRESULT of the operation. */
  readonly hresult: number;
  /** The result document (Properties, an array, a ResultError, …), if any. */
  readonly document: string | undefined;
}

interface PendingOperation {
  readonly handle: OperationHandle;
  readonly settle: (outcome: OperationOutcome) => void;
  readonly logger: Logger;
  /** Releases this operation's hold on the process ({@link holdProcess}) and its count. */
  readonly release: () => void;
}

interface Engine {
  readonly native: Native;
  readonly callback: bigint;
  readonly pending: Map<number, PendingOperation>;
  nextId: number;
}

let engine: Engine | undefined;
let engineLoad: Promise<Engine> | undefined;

function getEngine(): Promise<Engine> {
  if (engine !== undefined) return Promise.resolve(engine);
  engineLoad ??= loadNative().then(
    (native) => {
      engine ??= createEngine(native);
      return engine;
    },
    (err: unknown) => {
      engineLoad = undefined;
      throw err;
    },
  );
  return engineLoad;
}

function createEngine(native: Native): Engine {
  const e: Engine = {
    native,
    callback: 0n,
    pending: new Map(),
    nextId: 1,
  };
  const onComplete = (_op: Pointer, context: Pointer): void => {
    let p: PendingOperation | undefined;
    try {
      const id = Number(context);
      p = e.pending.get(id);
      if (p === undefined) return; // unknown (already settled): nothing to do
      e.pending.delete(id);
      const out: [Pointer | null] = [null];
      const hr = native.cc.HcsGetOperationResult(p.handle, out) >>> 0;
      const document = native.takeString(out[0]);
      const done = p;
      setImmediate(() => {
        try {
          native.cc.HcsCloseOperation(done.handle);
        } catch (err) {
          done.logger.error('HcsCloseOperation failed', { err });
        }
        done.release();
        done.settle({ hresult: hr, document });
      });
    } catch (err) {
      (p?.logger ?? silentLogger).error('exception in the HCS completion callback', { err });
    }
  };
  (e as { callback: bigint }).callback = native.register(onComplete, native.types.completionPointer);
  return e;
}

let pendingCount = 0;
/** Count an operation awaiting completion and hold the process for it; the result releases both. */
function retain(): () => void {
  pendingCount++;
  const unhold = holdProcess();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    pendingCount--;
    unhold();
  };
}

/** Parse a ResultError document; `undefined` when absent or not a JSON object. */
export function parseResultError(document: string | undefined): ResultErrorDocument | undefined {
  if (document === undefined || document === '') return undefined;
  try {
    const v: unknown = JSON.parse(document);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as ResultErrorDocument) : undefined;
  } catch {
    return undefined;
  }
}

function failed(hr: number): boolean {
  return (hr | 0) < 0 && !hresultEquals(hr, HRESULT.ERROR_VMCOMPUTE_OPERATION_PENDING);
}

/** How long a cancelled or timed-out call waits for the service to answer the cancel. */
export const CANCEL_GRACE_MS = 80;

/** Context of one call, for errors and logs. */
export interface OperationContext {
  /** The compute system id, when there is one. */
  id?: string | undefined;
  logger?: Logger | undefined;
}

/**
 * Submits native calls as HCS operations. `Operation.run` is the single path every asynchronous
 * export goes through; `Operation.pendingCount` is the number of operations awaiting completion.
 */
export class Operation {
  private constructor() {}

  /** Operations submitted and not yet completed (process-wide, this copy of hcs-core). */
  static get pendingCount(): number {
    return pendingCount;
  }

  /**
   * @internal
   * Create an operation, `submit` it (a synchronous, non-blocking export taking the operation),
   * wait for its completion, and return the result document. Rejects with an HcsError.
   */
  static run(
    op: string,
    submit: (native: Native, operation: OperationHandle) => number,
    options: CallOptions | undefined,
    context: OperationContext = {},
  ): Promise<string | undefined> {
    return traced(TracingChannels.hcsCall, { vmId: context.id, operation: op }, () =>
      Operation.#run(op, submit, options, context),
    );
  }

  static async #run(
    op: string,
    submit: (native: Native, operation: OperationHandle) => number,
    options: CallOptions | undefined,
    context: OperationContext,
  ): Promise<string | undefined> {
    checkCallOptions(op, options);
    const e = await getEngine();
    const signal = options?.signal;
    const id = context.id;
    if (signal?.aborted) throw abortedError(op, signal.reason, id);
    const { native } = e;
    const opId = e.nextId;
    e.nextId = e.nextId >= 0x7fffffff ? 1 : e.nextId + 1;
    const handle = native.cc.HcsCreateOperation(opId, e.callback as never);
    if (handle === null || handle === 0n) {
      throw new HcsError(LocalCode.UnexpectedResult, `${op}: HcsCreateOperation returned NULL`, { op });
    }
    let settle!: (o: OperationOutcome) => void;
    const completion = new Promise<OperationOutcome>((resolve) => {
      settle = resolve;
    });
    const release = retain();
    e.pending.set(opId, { handle, settle, logger: context.logger ?? silentLogger, release });

    let hr: number;
    try {
      hr = submit(native, handle) >>> 0;
    } catch (err) {
      e.pending.delete(opId);
      native.cc.HcsCloseOperation(handle);
      release();
      throw err;
    }
    if (failed(hr)) {
      // Rejected at once: no completion will come. Fetch any ResultError for context.
      e.pending.delete(opId);
      let document: string | undefined;
      try {
        const out: [Pointer | null] = [null];
        native.cc.HcsGetOperationResult(handle, out);
        document = native.takeString(out[0]);
      } catch {
        document = undefined;
      }
      // Close on a later tick like every operation, and settle only then, so that a settled
      // call never leaves its operation counted in `pendingCount`.
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          try {
            native.cc.HcsCloseOperation(handle);
          } catch (err) {
            (context.logger ?? silentLogger).error('HcsCloseOperation failed', { err });
          }
          release();
          resolve();
        }),
      );
      throw HcsError.fromHresult(hr, op, { id, result: parseResultError(document) });
    }

    let interrupted: { kind: 'aborted'; reason: unknown } | { kind: 'timeout'; ms: number } | undefined;
    const cancel = (): void => {
      if (!e.pending.has(opId)) return; // already completed
      try {
        const chr = native.cc.HcsCancelOperation(handle) >>> 0;
        context.logger?.debug('HcsCancelOperation', { op, hresult: chr });
      } catch (err) {
        context.logger?.debug('HcsCancelOperation unavailable; waiting for completion', { op, err });
      }
    };
    // Settles `completion`'s race when the service does not answer the cancel in time.
    let abandon!: () => void;
    const abandoned = new Promise<'abandoned'>((resolve) => {
      abandon = () => resolve('abandoned');
    });
    let grace: NodeJS.Timeout | undefined;
    const interrupt = (): void => {
      cancel();
      grace ??= setTimeout(abandon, CANCEL_GRACE_MS);
    };
    const onAbort = (): void => {
      interrupted ??= { kind: 'aborted', reason: signal?.reason };
      interrupt();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const timeout = options?.timeout;
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            interrupted ??= { kind: 'timeout', ms: timeout };
            interrupt();
          }, timeout);
    timer?.unref();
    let outcome: OperationOutcome | 'abandoned';
    try {
      outcome = await Promise.race([completion, abandoned]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
      if (grace !== undefined) clearTimeout(grace);
    }
    if (outcome === 'abandoned') {
      // The operation stays in `e.pending`: its completion closes it and releases the keep-alive.
      context.logger?.warn('the service did not answer the cancel; the operation is left to complete', {
        op,
      });
      if (interrupted?.kind === 'aborted') throw abortedError(op, interrupted.reason, id);
      throw timeoutError(op, (interrupted as { ms: number }).ms, id);
    }
    if (!failed(outcome.hresult)) return outcome.document;
    const hcsError = HcsError.fromHresult(outcome.hresult, op, {
      id,
      result: parseResultError(outcome.document),
    });
    if (interrupted?.kind === 'aborted') throw abortedError(op, interrupted.reason, id, outcome.hresult);
    if (interrupted?.kind === 'timeout')
      throw timeoutError(op, interrupted.ms, id, outcome.hresult, hcsError);
    throw hcsError;
  }
}

/** @internal The engine (loads the library on first use). */
export function operationEngine(): Promise<{ native: Native }> {
  return getEngine();
}
