/**
 * The host side of the GCS bridge over one stream (gcs-protocol.md §2, §6.3, §6.4).
 *
 * - IDs: a u64 counter from 0, one per request; responses are matched by ID only and may arrive
 *   in any order. The RPC is registered before its frame is written; frames are written whole,
 *   one `write` each, so writes never interleave.
 * - `signal` / `timeout` per call (default {@link DEFAULT_CALL_TIMEOUT_MS}, `null` = none): the
 *   call rejects (`Aborted` / `Timeout`) and leaves the pending table; its ID is remembered (the
 *   newest {@link ABANDONED_ID_CAP}) so the late response is absorbed, not treated as unknown
 *   (hcsshim's "cancellable RPC" rule). The guest may still have acted on the request.
 * - A response over the inbound limit to a call in flight (its header is a response whose ID is
 *   known, Size ≤ 16 MiB: the frame boundary is intact) fails that call with
 *   {@link ResponseTooLargeError}; the payload is skipped and the bridge stays up.
 * - Sending is bounded: when more than `maxSendQueueBytes` (default
 *   {@link DEFAULT_MAX_SEND_QUEUE_BYTES}) already wait for the guest to read them, a call rejects
 *   with {@link SendQueueFullError} without being sent (one frame is always accepted when nothing waits).
 * - Fatal (the bridge closes, every pending call rejects with {@link BridgeClosedError} whose
 *   `cause` is the reason, later calls reject at once): a frame with Size < 16 or another
 *   oversized frame, a response with an unknown ID, a response or notification payload that is not a JSON object
 *   with the right field types, any frame other than a response or the container notification,
 *   EOF and transport errors. A local `close()` rejects pending calls with reason `local`.
 * - Container notifications (`0x30100101`) are delivered to `on('notification')`, with
 *   `ResultInfo` decoded from its AnyInString form.
 */
import type { Duplex } from 'node:stream';
import { type Logger, type Subscription, silentLogger, TracingChannels } from '@uvmkit/hcs-core';
import { isGuid } from '@uvmkit/hcs-core/hvsocket';
import {
  abortedError,
  checkCallOptions,
  type TraceStart,
  TypedEvents,
  timeoutError,
  traced,
} from '@uvmkit/hcs-core/manager';
import {
  BridgeClosedError,
  type BridgeCloseReason,
  BridgeProtocolError,
  type GuestErrorRecord,
  guestRpcError,
  ProtocolViolation,
  ResponseTooLargeError,
  SendQueueFullError,
} from '../errors.js';
import { encodeFrame, type Frame, FrameDecoder, MAX_INBOUND_FRAME } from './frame.js';
import {
  CONTAINER_NOTIFICATION,
  fromAnyInString,
  KIND_MASK,
  MessageKind,
  procName,
  requestType,
} from './protocol.js';

/** Fields every guest response carries (§4.3). */
export interface ResponseBase {
  readonly Result?: number;
  readonly ErrorMessage?: string;
  readonly ActivityId?: string;
  readonly ErrorRecords?: readonly GuestErrorRecord[];
}

/** A container notification (§4.6), `ResultInfo` decoded. */
export interface ContainerNotification {
  readonly ContainerId: string;
  readonly ActivityId?: string;
  readonly Type: string;
  readonly Operation: string;
  readonly Result: number;
  readonly ResultInfo?: unknown;
}

export interface BridgeEvents {
  notification: ContainerNotification;
  /** The bridge closed; the payload says why (`reason`, `cause`). */
  close: BridgeClosedError;
}

/** The default per-call timeout: 5 minutes (hcsshim's bridge timeout). */
export const DEFAULT_CALL_TIMEOUT_MS = 300_000;
/** The default bound of bytes waiting for the guest to read them. */
export const DEFAULT_MAX_SEND_QUEUE_BYTES = 16 * 1024 * 1024;
/** How many abandoned (aborted / timed-out) call IDs are remembered to absorb late replies. */
export const ABANDONED_ID_CAP = 4096;

export interface BridgeOptions {
  logger?: Logger | undefined;
  /** Inbound frame limit, header included (default 0x10000). */
  maxFrameSize?: number | undefined;
  /** For error messages: the VM this bridge talks to. */
  vmId?: string | undefined;
  /** Timeout of a call that gives none (default {@link DEFAULT_CALL_TIMEOUT_MS}; `null`: none). */
  defaultTimeout?: number | null | undefined;
  /** Bound of the bytes queued for the guest (default {@link DEFAULT_MAX_SEND_QUEUE_BYTES}). */
  maxSendQueueBytes?: number | undefined;
}

export interface RpcOptions {
  signal?: AbortSignal | undefined;
  /** Milliseconds; `null` = no timeout (e.g. WaitForProcess); absent = the bridge's default. */
  timeout?: number | null | undefined;
}

interface Pending {
  readonly proc: number;
  resolve(value: ResponseBase): void;
  reject(err: unknown): void;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The tracing fields of a guest request: the procedure, and for ModifySettings its resource. */
function traceStart(vmId: string | undefined, proc: number, body: object): TraceStart {
  const request = (body as { Request?: { ResourceType?: unknown; RequestType?: unknown } }).Request;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    vmId,
    operation: procName(proc),
    resourcePath: str(request?.ResourceType),
    requestType: str(request?.RequestType),
  };
}

export class Bridge {
  readonly #stream: Duplex;
  readonly #decoder: FrameDecoder;
  readonly #pending = new Map<bigint, Pending>();
  /** IDs of abandoned calls (insertion order = age), to absorb their late replies */
  readonly #abandoned = new Map<bigint, number>();
  readonly #maxFrameSize: number;
  readonly #defaultTimeout: number | null;
  readonly #maxSendQueue: number;
  readonly #events: TypedEvents<BridgeEvents>;
  readonly #logger: Logger;
  readonly #vmId: string | undefined;
  #nextId = 0n;
  #closed: BridgeClosedError | undefined;
  readonly #done: Promise<BridgeClosedError>;
  #resolveDone!: (err: BridgeClosedError) => void;

  constructor(stream: Duplex, options: BridgeOptions = {}) {
    this.#stream = stream;
    this.#logger = options.logger ?? silentLogger;
    this.#events = new TypedEvents<BridgeEvents>(this.#logger);
    this.#maxFrameSize = options.maxFrameSize ?? MAX_INBOUND_FRAME;
    this.#decoder = new FrameDecoder(
      this.#maxFrameSize,
      (type, id) =>
        (type & KIND_MASK) >>> 0 === MessageKind.Response &&
        (this.#pending.has(id) || this.#abandoned.has(id)),
    );
    this.#vmId = options.vmId;
    this.#defaultTimeout =
      options.defaultTimeout === undefined ? DEFAULT_CALL_TIMEOUT_MS : options.defaultTimeout;
    this.#maxSendQueue = options.maxSendQueueBytes ?? DEFAULT_MAX_SEND_QUEUE_BYTES;
    this.#done = new Promise((r) => {
      this.#resolveDone = r;
    });
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('end', () => this.#kill('eof'));
    stream.on('error', (err: Error) => this.#kill('transport', err));
    stream.on('close', () => this.#kill('eof'));
    stream.resume();
  }

  /** Whether the bridge is closed (for any reason). */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Why it closed, once closed. */
  get closeError(): BridgeClosedError | undefined {
    return this.#closed;
  }

  /** Resolves (never rejects) with the close error when the bridge closes. */
  get done(): Promise<BridgeClosedError> {
    return this.#done;
  }

  /** Calls awaiting a response (aborted or timed-out calls are not counted: they left the table). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Abandoned call IDs remembered to absorb a late reply (at most {@link ABANDONED_ID_CAP}). */
  get abandonedCount(): number {
    return this.#abandoned.size;
  }

  /** Bytes written but not yet taken by the transport (the send queue). */
  get queuedBytes(): number {
    return this.#stream.writableLength;
  }

  /** The ID the next request will carry. */
  get nextId(): bigint {
    return this.#nextId;
  }

  /** Bytes held by the frame decoder. */
  get bufferedBytes(): number {
    return this.#decoder.buffered;
  }

  on<K extends keyof BridgeEvents>(type: K, listener: (payload: BridgeEvents[K]) => void): Subscription {
    return this.#events.on(type, listener);
  }

  /**
   * Send `proc` with `body` (the request base — `ContainerId`, `ActivityId` — is the caller's)
   * and resolve with the response object when `Result` is 0; a failure `Result` rejects with an
   * HcsError named after the HRESULT (`errorRecords` attached).
   */
  rpc<R extends ResponseBase = ResponseBase>(
    proc: number,
    body: object,
    options: RpcOptions = {},
  ): Promise<R> {
    return traced(
      TracingChannels.guestRequest,
      () => traceStart(this.#vmId, proc, body),
      () => this.#rpc<R>(proc, body, options),
    );
  }

  #rpc<R extends ResponseBase>(proc: number, body: object, options: RpcOptions): Promise<R> {
    const op = procName(proc);
    const timeout = options.timeout === undefined ? this.#defaultTimeout : options.timeout;
    try {
      checkCallOptions(op, { signal: options.signal, timeout: timeout ?? undefined });
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#closed !== undefined) {
      return Promise.reject(new BridgeClosedError(op, this.#closed.reason, this.#closed.cause));
    }
    let payload: string;
    try {
      payload = `${JSON.stringify(body)}\n`;
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.#nextId;
    const frame = encodeFrame(requestType(proc), id, payload);
    const queued = this.#stream.writableLength;
    if (queued > 0 && queued + frame.length > this.#maxSendQueue) {
      return Promise.reject(new SendQueueFullError(op, queued, this.#maxSendQueue, this.#vmId));
    }
    this.#nextId = BigInt.asUintN(64, id + 1n);
    const { signal } = options;
    return new Promise<R>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      let settled = false;
      const entry: Pending = {
        proc,
        resolve: (v) => {
          cleanup();
          resolve(v as R);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      const abandon = (err: unknown): void => {
        if (settled || this.#pending.get(id) !== entry) return;
        settled = true;
        this.#pending.delete(id);
        this.#abandoned.set(id, proc);
        if (this.#abandoned.size > ABANDONED_ID_CAP) {
          const oldest = this.#abandoned.keys().next().value as bigint;
          this.#abandoned.delete(oldest);
        }
        cleanup();
        reject(err);
      };
      const onAbort = (): void => abandon(abortedError(op, signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== null) timer = setTimeout(() => abandon(timeoutError(op, timeout)), timeout);
      this.#pending.set(id, entry);
      this.#stream.write(frame);
    });
  }

  /** Close locally (idempotent): pending calls reject with `BridgeClosed` (reason `local`). */
  close(): Promise<void> {
    this.#kill('local');
    return this.#done.then(() => undefined);
  }

  #onData(chunk: Buffer): void {
    if (this.#closed !== undefined) return;
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      this.#kill('protocol', err);
      return;
    }
    for (const f of frames) {
      if (this.#closed !== undefined) return;
      try {
        this.#onFrame(f);
      } catch (err) {
        this.#kill('protocol', err);
        return;
      }
    }
  }

  #onFrame(f: Frame): void {
    const kind = (f.type & KIND_MASK) >>> 0;
    if (kind === MessageKind.Response) {
      this.#onResponse(f);
      return;
    }
    if (f.type >>> 0 === CONTAINER_NOTIFICATION) {
      this.#onNotification(f);
      return;
    }
    throw new BridgeProtocolError(
      ProtocolViolation.UnexpectedMessageType,
      `unexpected message type 0x${(f.type >>> 0).toString(16).padStart(8, '0')} (ID ${f.id})`,
    );
  }

  #parse(f: Frame, what: string): Record<string, unknown> {
    let v: unknown;
    try {
      v = JSON.parse(f.payload.toString('utf8'));
    } catch (err) {
      throw new BridgeProtocolError(
        ProtocolViolation.InvalidPayload,
        `${what} ID ${f.id}: payload is not JSON`,
        {
          cause: err,
        },
      );
    }
    if (!isObject(v)) {
      throw new BridgeProtocolError(
        ProtocolViolation.InvalidPayload,
        `${what} ID ${f.id}: payload is not a JSON object`,
      );
    }
    const result = v.Result;
    if (
      result !== undefined &&
      (typeof result !== 'number' || !Number.isInteger(result) || result < -0x80000000 || result > 0xffffffff)
    ) {
      throw new BridgeProtocolError(
        ProtocolViolation.InvalidPayload,
        `${what} ID ${f.id}: Result is not a 32-bit integer`,
      );
    }
    const activity = v.ActivityId;
    if (activity !== undefined && !isGuid(activity)) {
      throw new BridgeProtocolError(
        ProtocolViolation.InvalidPayload,
        `${what} ID ${f.id}: ActivityId is not a GUID`,
      );
    }
    if (v.ErrorMessage !== undefined && typeof v.ErrorMessage !== 'string') {
      throw new BridgeProtocolError(
        ProtocolViolation.InvalidPayload,
        `${what} ID ${f.id}: ErrorMessage is not a string`,
      );
    }
    if (v.ErrorRecords !== undefined && v.ErrorRecords !== null && !Array.isArray(v.ErrorRecords)) {
      throw new BridgeProtocolError(
        ProtocolViolation.InvalidPayload,
        `${what} ID ${f.id}: ErrorRecords is not an array`,
      );
    }
    return v;
  }

  #onResponse(f: Frame): void {
    const entry = this.#pending.get(f.id);
    if (f.oversized !== undefined) {
      // the decoder skipped the payload: fail that call only (or forget the abandoned one)
      this.#pending.delete(f.id);
      const abandonedProc = this.#abandoned.get(f.id);
      this.#abandoned.delete(f.id);
      const proc = entry?.proc ?? abandonedProc ?? 0;
      this.#logger.warn('oversized guest response discarded', {
        id: String(f.id),
        proc: procName(proc),
        size: f.oversized,
      });
      entry?.reject(new ResponseTooLargeError(procName(proc), f.oversized, this.#maxFrameSize, this.#vmId));
      return;
    }
    if (entry === undefined && this.#abandoned.has(f.id)) {
      this.#parse(f, 'response');
      const proc = this.#abandoned.get(f.id) as number;
      this.#abandoned.delete(f.id);
      this.#logger.debug('late response to an abandoned call absorbed', {
        id: String(f.id),
        proc: procName(proc),
      });
      return;
    }
    if (entry === undefined) {
      throw new BridgeProtocolError(
        ProtocolViolation.UnknownResponseId,
        `response 0x${(f.type >>> 0).toString(16)} with ID ${f.id}, which matches no request`,
      );
    }
    // Parse first: on a bad payload the entry is still registered, so the kill rejects it too.
    const v = this.#parse(f, 'response');
    this.#pending.delete(f.id);
    const result = ((v.Result as number | undefined) ?? 0) | 0;
    if (result !== 0) {
      entry.reject(
        guestRpcError(
          procName(entry.proc),
          result,
          v.ErrorMessage as string | undefined,
          (v.ErrorRecords as GuestErrorRecord[] | undefined | null) ?? [],
          this.#vmId,
        ),
      );
      return;
    }
    entry.resolve(v as ResponseBase);
  }

  #onNotification(f: Frame): void {
    const v = this.#parse(f, 'notification');
    if (typeof v.ContainerId !== 'string') {
      throw new BridgeProtocolError(
        ProtocolViolation.InvalidPayload,
        `notification: ContainerId is not a string`,
      );
    }
    let resultInfo: unknown;
    try {
      resultInfo = fromAnyInString(v.ResultInfo);
    } catch (err) {
      throw new BridgeProtocolError(
        ProtocolViolation.InvalidPayload,
        'notification: ResultInfo is not JSON in a string',
        {
          cause: err,
        },
      );
    }
    const n: ContainerNotification = {
      ContainerId: v.ContainerId,
      ...(typeof v.ActivityId === 'string' ? { ActivityId: v.ActivityId } : {}),
      Type: typeof v.Type === 'string' ? v.Type : 'None',
      Operation: typeof v.Operation === 'string' ? v.Operation : 'None',
      Result: ((v.Result as number | undefined) ?? 0) | 0,
      ...(resultInfo === undefined ? {} : { ResultInfo: resultInfo }),
    };
    this.#events.emit('notification', n);
  }

  #kill(reason: BridgeCloseReason, cause?: unknown): void {
    if (this.#closed !== undefined) return;
    const closed = new BridgeClosedError('bridge', reason, cause);
    this.#closed = closed;
    if (reason === 'local') this.#logger.debug('bridge closed locally');
    else this.#logger.warn('bridge closed', { reason, err: cause });
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#abandoned.clear();
    for (const p of pending) p.reject(new BridgeClosedError(procName(p.proc), reason, cause));
    this.#stream.destroy();
    this.#events.emit('close', closed);
    this.#resolveDone(closed);
  }
}
