/**
 * Method dispatch of hcsd: client sessions and their handle tokens, the compute systems, events,
 * fault injection (fail / delay / cancel) and the control methods. Transport-agnostic: the server
 * feeds decoded requests in and gives each session a `send(frame)`.
 *
 * Every call on a compute system runs through that system's queue (calls on one system keep their
 * order; other systems and clients go on), validates against the HCS state model, lets the engine
 * realize it, and only then commits. A Cancel aborts the call's engine work where the engine can.
 */
import {
  ComputeSystem,
  CrashOptions,
  checkModifySettingRequest,
  PauseOptions,
  type PropertyQuery,
  PropertyQuery as PropertyQuerySchema,
  SaveOptions,
  ShutdownOptions,
  StartOptions,
  type SystemQuery,
  SystemQuery as SystemQuerySchema,
  systemKind,
} from '@uvmkit/hcs-schema';
import { encodeEvent, encodeResponse } from './codec.js';
import type { Engine, EngineHost, ExitDetail, Logger } from './engine.js';
import { fail, HcsdFailure, HR } from './errors.js';
import { FaultTable } from './faults.js';
import { findSystem, inspect } from './inspect.js';
import type { Obj } from './json.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { EventType, Method, methodName, PROTOCOL_VERSION } from './methods.js';
import { basicProperties, matchesQuery, queryProperties, wantsStatistics } from './properties.js';
import { ServiceState } from './service-state.js';
import type { ClientSession, Handle, PendingRequest } from './session.js';
import { ComputeSystemRecord, type ExitType } from './system.js';
import { issueMessage, optionalDocument, parseJson, validate } from './validate.js';

export type { Logger } from './engine.js';
export type { ClientSession, Handle, PendingRequest } from './session.js';

/** Maximum length of a compute system id, in UTF-16 code units. */
export const MAX_ID_LENGTH = 256;

/** What a handler returns: the response value (token) and document. */
interface Answer {
  value?: bigint;
  document?: string | null;
}

const NONE: Answer = {};

/** A call's work once it is its system's turn: it gets the call's abort signal. */
type Work = (signal: AbortSignal) => Promise<Answer>;

export type StopHook = (mode: 'graceful' | 'abrupt') => void;

/** Why an engine call was aborted without the client asking (a Terminate overtook it). */
const SUPERSEDED = 'superseded by Terminate';

export class Service {
  readonly state = new ServiceState();
  readonly faults = new FaultTable();
  readonly engine: Engine;
  readonly #log: Logger;
  #onStop: StopHook = () => {};
  #nextClient = 1;
  #nextToken = 1n;
  /** The abort controller of the call each system is running now. */
  readonly #running = new WeakMap<ComputeSystemRecord, AbortController>();

  readonly limits: Limits;

  constructor(logger: Logger, engine: Engine, limits: Limits = DEFAULT_LIMITS) {
    this.#log = logger;
    this.engine = engine;
    this.limits = limits;
  }

  set onStop(hook: StopHook) {
    this.#onStop = hook;
  }

  /** A new client session; `control`: it may call Inspect, Fault and Stop (the control socket). */
  connect(send: (frame: Buffer) => void, control = false): ClientSession {
    const client: ClientSession = {
      clientId: this.#nextClient++,
      control,
      name: undefined,
      pid: undefined,
      handles: new Map(),
      pending: new Map(),
      closed: false,
      send,
    };
    this.state.clients.add(client);
    return client;
  }

  /** The connection ended: drop pending answers, close every token the client held. */
  disconnect(client: ClientSession): void {
    if (client.closed) return;
    client.closed = true;
    for (const p of [...client.pending.values()]) p.cancel();
    client.pending.clear();
    for (const h of [...client.handles.values()]) this.#closeHandle(h);
    this.state.clients.delete(client);
  }

  /** Daemon shutdown: the engine stops every VM it still runs. */
  async close(): Promise<void> {
    await this.engine.close();
  }

  /** One decoded request. Answers (now or later) through `client.send`. Never throws. */
  request(
    client: ClientSession,
    method: number,
    id: number,
    token: bigint,
    args: readonly (string | null)[],
  ): void {
    const max = this.limits.maxDocumentBytes;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      // UTF-8 is at most 3 bytes per UTF-16 unit: only long strings need counting
      if (typeof a === 'string' && a.length * 3 > max && Buffer.byteLength(a) > max) {
        this.#send(
          client,
          method,
          id,
          new HcsdFailure(
            HR.E_INVALIDARG,
            `argument ${i} is ${Buffer.byteLength(a)} bytes; documents are limited to ${max} bytes`,
          ),
        );
        return;
      }
    }
    if (isControl(method) && !client.control) {
      this.#send(
        client,
        method,
        id,
        new HcsdFailure(
          HR.E_ACCESSDENIED,
          `${methodName(method)} is a control method: it is served only on hcsd's control socket (--control-socket) or with --test-control`,
        ),
      );
      return;
    }
    const target = (): string | undefined =>
      token === 0n ? (args[0] ?? undefined) : client.handles.get(token)?.system.id;
    const injected = this.faults.takeFailure(method, target);
    if (injected !== undefined) {
      this.#send(client, method, id, new HcsdFailure(injected.hresult, injected.message));
      return;
    }
    const delay = this.faults.takeDelay(method, target);
    if (delay !== undefined) {
      const timer = setTimeout(() => {
        if (client.pending.get(id) === pending) client.pending.delete(id);
        if (!client.closed) this.#dispatch(client, method, id, token, args);
      }, delay);
      const pending: PendingRequest = {
        id,
        method,
        since: Date.now(),
        token,
        cancel: () => {
          clearTimeout(timer);
          if (client.pending.get(id) === pending) client.pending.delete(id);
          this.#send(client, method, id, cancelled(id));
        },
      };
      client.pending.set(id, pending);
      return;
    }
    this.#dispatch(client, method, id, token, args);
  }

  /** Run a call now (answered synchronously) or through its system's queue. */
  #dispatch(
    client: ClientSession,
    method: number,
    id: number,
    token: bigint,
    args: readonly (string | null)[],
  ): void {
    let queued: [ComputeSystemRecord, Work] | Promise<Answer> | Answer | undefined;
    try {
      queued = this.#route(client, method, id, token, args);
    } catch (e) {
      this.#send(client, method, id, this.#failure(method, id, e));
      return;
    }
    if (queued === undefined) return; // answered elsewhere
    if (Array.isArray(queued)) {
      const [sys, work] = queued;
      this.#enqueue(client, method, id, token, sys, work);
    } else if (queued instanceof Promise) {
      queued.then(
        (a) => this.#send(client, method, id, a),
        (e: unknown) => this.#send(client, method, id, this.#failure(method, id, e)),
      );
    } else {
      this.#send(client, method, id, queued);
    }
  }

  /** Queue `work` on `sys`; it can be cancelled while it waits or runs. */
  #enqueue(
    client: ClientSession,
    method: number,
    id: number,
    token: bigint,
    sys: ComputeSystemRecord,
    work: Work,
  ): void {
    const controller = new AbortController();
    let started = false;
    let settled = false;
    let cancelledByClient = false;
    const pending: PendingRequest = {
      id,
      method,
      since: Date.now(),
      token,
      cancel: () => {
        cancelledByClient = true;
        controller.abort(new HcsdFailure(HR.ERROR_CANCELLED, `request ${id} was cancelled`));
        if (!started && !settled) {
          settled = true;
          this.#forget(client, pending);
          this.#send(client, method, id, cancelled(id));
        }
      },
    };
    client.pending.set(id, pending);
    if (method === Method.Terminate)
      this.#running.get(sys)?.abort(new HcsdFailure(HR.ERROR_CANCELLED, SUPERSEDED));
    sys.queue.push(async () => {
      if (settled) return; // cancelled while it waited
      started = true;
      this.#running.set(sys, controller);
      let reply: Answer | HcsdFailure;
      try {
        reply = await work(controller.signal);
      } catch (e) {
        reply = cancelledByClient ? cancelled(id) : this.#failure(method, id, e);
      } finally {
        if (this.#running.get(sys) === controller) this.#running.delete(sys);
      }
      settled = true;
      this.#forget(client, pending);
      this.#send(client, method, id, reply);
    });
  }

  #forget(client: ClientSession, pending: PendingRequest): void {
    if (client.pending.get(pending.id) === pending) client.pending.delete(pending.id);
  }

  #failure(method: number, id: number, e: unknown): HcsdFailure {
    if (e instanceof HcsdFailure) return e;
    this.#log.error(`hcsd: ${methodName(method) ?? method} request ${id} failed unexpectedly`, e);
    return new HcsdFailure(HR.E_UNEXPECTED, String(e));
  }

  #send(client: ClientSession, method: number, id: number, reply: Answer | HcsdFailure): void {
    if (client.closed) return;
    let frame =
      reply instanceof HcsdFailure
        ? encodeResponse(method, id, reply.hresult, 0n, reply.toDocument())
        : encodeResponse(method, id, 0, reply.value ?? 0n, reply.document ?? null);
    if (frame.length - 4 > this.limits.maxAnswerFrame) {
      // Never write a frame the client must refuse (the shim drops the connection, and with it
      // every handle): the call fails instead, the connection stays.
      frame = encodeResponse(
        method,
        id,
        HR.HCS_E_OPERATION_RESULT_ALLOCATION_FAILED,
        0n,
        tooLarge(frame.length, this.limits),
      );
    }
    client.send(frame);
  }

  #handle(client: ClientSession, token: bigint): Handle {
    const h = token === 0n ? undefined : client.handles.get(token);
    if (h === undefined) fail(HR.E_HANDLE, `token ${token} is not an open handle of this client`);
    return h;
  }

  /** The handle a queued call was made on, still open when its turn comes. */
  #stillOpen(h: Handle): Handle {
    if (h.client.handles.get(h.token) !== h)
      fail(HR.E_HANDLE, `token ${h.token} is not an open handle of this client`);
    return h;
  }

  #openHandle(client: ClientSession, system: ComputeSystemRecord): bigint {
    const token = this.#nextToken++;
    const h: Handle = { token, system, client };
    client.handles.set(token, h);
    system.handles.add(h);
    return token;
  }

  #closeHandle(h: Handle): void {
    h.client.handles.delete(h.token);
    const sys = h.system;
    sys.handles.delete(h);
    if (sys.handles.size > 0) return;
    if (sys.state !== 'Stopped' && sys.terminateOnLastHandleClosed) this.stopSystem(sys, 'ForcedExit');
    if (sys.state === 'Stopped') this.#teardown(sys);
  }

  #teardown(sys: ComputeSystemRecord): void {
    sys.tornDown = true;
    if (this.state.systems.get(sys.id) === sys) this.state.systems.delete(sys.id);
    this.state.retire(sys);
    this.#settle(sys.vm?.dispose(), `dispose of ${sys.id}`);
  }

  /** Log the failure of engine work nobody waits for. */
  #settle(work: Promise<unknown> | undefined, what: string): void {
    work?.catch((e: unknown) => this.#log.error(`hcsd: ${what} failed`, e));
  }

  /**
   * Stop `sys` and send SystemExited (exactly once) to every token open on it. The engine is told
   * to terminate what may still run (a no-op when it already stopped).
   */
  stopSystem(sys: ComputeSystemRecord, exitType: ExitType, detail?: ExitDetail): void {
    if (sys.state === 'Stopped') return;
    if (detail?.message !== undefined) this.#log.info(`hcsd: ${sys.id} exited: ${detail.message}`);
    if (exitType === 'UnexpectedExit') {
      const report = JSON.stringify({
        SystemId: sys.id,
        CrashParameters: [0, 0, 0, 0, 0],
        Status: HR.HCS_E_UNEXPECTED_EXIT | 0,
        CrashStackUnavailable: true,
      });
      this.#broadcast(sys, EventType.SystemCrashInitiated, report);
      this.#broadcast(sys, EventType.SystemCrashReport, report);
    }
    this.#settle(sys.vm?.terminate(), `terminate of ${sys.id}`);
    const status = sys.stop(exitType, detail);
    this.#broadcast(sys, EventType.SystemExited, JSON.stringify(status));
    if (sys.handles.size === 0) this.#teardown(sys);
  }

  #broadcast(sys: ComputeSystemRecord, type: number, data: string): void {
    for (const h of sys.handles) {
      if (h.client.closed) continue;
      const frame = encodeEvent(h.token, type, data);
      if (frame.length - 4 > this.limits.maxAnswerFrame) {
        this.#log.error(`hcsd: event ${type} of ${sys.id} exceeds the frame limit; not sent`);
        continue;
      }
      h.client.send(frame);
    }
  }

  /** Crash a VM from the control API (UnexpectedExit). */
  crash(id: string): void {
    const sys = findSystem(this.state, id);
    if (sys.state === 'Stopped') fail(HR.HCS_E_SYSTEM_ALREADY_STOPPED, `system ${sys.id} is already stopped`);
    this.stopSystem(sys, 'UnexpectedExit');
  }

  /** The engine's view of `sys`, for calls that need it (set once the engine's create succeeded). */
  #vm(sys: ComputeSystemRecord) {
    if (sys.vm === undefined) fail(HR.HCS_E_INVALID_STATE, `system ${sys.id} is still being created`);
    return sys.vm;
  }

  /**
   * A call's route: an answer now (or `undefined` when it answered elsewhere), a promise of one
   * (control calls that ask the engine), or the system whose queue runs its work.
   */
  #route(
    client: ClientSession,
    method: number,
    id: number,
    token: bigint,
    args: readonly (string | null)[],
  ): [ComputeSystemRecord, Work] | Promise<Answer> | Answer | undefined {
    switch (method) {
      case Method.Hello:
        return this.#hello(client, args);
      case Method.Create:
        return this.#create(client, args);
      case Method.Open: {
        const sysId = stringArg(args, 0, 'id');
        const sys = this.state.systems.get(sysId);
        if (sys === undefined) fail(HR.HCS_E_SYSTEM_NOT_FOUND, `no compute system ${JSON.stringify(sysId)}`);
        return [
          sys,
          async () => {
            if (sys.tornDown) fail(HR.HCS_E_SYSTEM_NOT_FOUND, `no compute system ${JSON.stringify(sysId)}`);
            return { value: this.#openHandle(client, sys) };
          },
        ];
      }
      case Method.Close: {
        const h = this.#handle(client, token);
        return [
          h.system,
          async () => {
            this.#closeHandle(this.#stillOpen(h));
            return NONE;
          },
        ];
      }
      case Method.Start:
        return this.#onSystem(client, token, async (sys, signal) => {
          optionalDocument(args[0], StartOptions, 'StartOptions');
          sys.check('Start');
          await this.#vm(sys).start(signal);
          sys.start();
          return NONE;
        });
      case Method.ShutDown:
        return this.#onSystem(client, token, async (sys, signal) => {
          optionalDocument(args[0], ShutdownOptions, 'ShutdownOptions');
          sys.check('ShutDown');
          await this.#vm(sys).shutdown(signal);
          this.stopSystem(sys, 'GracefulExit');
          return NONE;
        });
      case Method.Terminate:
        return this.#onSystem(client, token, async (sys) => {
          objectOptions(args[0], 'TerminateOptions');
          sys.check('Terminate');
          await this.#vm(sys).terminate();
          this.stopSystem(sys, 'ForcedExit');
          return NONE;
        });
      case Method.Crash:
        return this.#onSystem(client, token, async (sys, signal) => {
          optionalDocument(args[0], CrashOptions, 'CrashOptions');
          sys.check('Crash');
          await this.#vm(sys).crash(signal);
          this.stopSystem(sys, 'UnexpectedExit');
          return NONE;
        });
      case Method.Pause:
        return this.#onSystem(client, token, async (sys, signal) => {
          optionalDocument(args[0], PauseOptions, 'PauseOptions');
          sys.check('Pause');
          await this.#vm(sys).pause(signal);
          sys.pause();
          return NONE;
        });
      case Method.Resume:
        return this.#onSystem(client, token, async (sys, signal) => {
          objectOptions(args[0], 'ResumeOptions');
          sys.check('Resume');
          await this.#vm(sys).resume(signal);
          sys.resume();
          return NONE;
        });
      case Method.Save:
        return this.#onSystem(client, token, async (sys, signal) => {
          const opts = optionalDocument<SaveOptions>(args[0], SaveOptions, 'SaveOptions');
          const saveType = opts?.SaveType ?? 'ToFile';
          sys.check('Save');
          if (saveType === 'ToFile' && (opts?.SaveStateFilePath ?? '') === '') {
            fail(
              HR.E_INVALIDARG,
              'invalid SaveOptions: SaveStateFilePath: is required when SaveType is ToFile',
            );
          }
          await this.#vm(sys).save({ saveType, path: opts?.SaveStateFilePath }, signal);
          sys.save(saveType, opts?.SaveStateFilePath);
          return NONE;
        });
      case Method.GetProperties:
        return this.#onSystem(client, token, async (sys) => {
          const q = optionalDocument<PropertyQuery>(args[0], PropertyQuerySchema, 'PropertyQuery');
          const running = sys.state === 'Running' || sys.state === 'Paused';
          const measured = running && wantsStatistics(q) ? await this.#vm(sys).statistics() : undefined;
          return { document: JSON.stringify(queryProperties(sys, q, measured)) };
        });
      case Method.Modify:
        return this.#onSystem(client, token, (sys, signal) => this.#modify(sys, args, signal));
      case Method.Enumerate: {
        const q = optionalDocument<SystemQuery>(args[0], SystemQuerySchema, 'SystemQuery');
        // Built entry by entry so an answer over the frame limit is refused before it exists.
        const parts: string[] = [];
        let size = 2 + 64;
        for (const sys of this.state.systems.values()) {
          if (!matchesQuery(sys, q)) continue;
          const part = JSON.stringify(basicProperties(sys));
          size += Buffer.byteLength(part) + 1;
          if (size > this.limits.maxAnswerFrame)
            fail(
              HR.HCS_E_OPERATION_RESULT_ALLOCATION_FAILED,
              tooLargeMessage(size, this.limits, 'at least '),
            );
          parts.push(part);
        }
        return { document: `[${parts.join(',')}]` };
      }
      case Method.GetServiceProperties:
        return { document: JSON.stringify(this.state.serviceProperties(args[0])) };
      case Method.ModifyServiceSettings: {
        const text = stringArg(args, 0, 'settings');
        this.state.modifyServiceSettings(parseJson(text, 'ModificationRequest'));
        return NONE;
      }
      case Method.Cancel:
        return this.#cancel(client, args);
      case Method.Inspect:
        return this.#inspect(parseControl(args[0]));
      case Method.Fault:
        return this.#fault(parseControl(args[0]));
      case Method.Stop: {
        const mode = args[0];
        if (mode !== 'graceful' && mode !== 'abrupt')
          fail(HR.E_INVALIDARG, 'Stop mode must be "graceful" or "abrupt"');
        if (mode === 'abrupt') {
          this.#onStop('abrupt');
          return undefined;
        }
        client.send(encodeResponse(method, id, 0, 0n, null));
        setImmediate(() => this.#onStop('graceful'));
        return undefined;
      }
      default:
        fail(HR.E_NOTIMPL, `method ${method} is not implemented`);
    }
  }

  /** A call on the system behind `token`: its work runs in the system's queue. */
  #onSystem(
    client: ClientSession,
    token: bigint,
    work: (sys: ComputeSystemRecord, signal: AbortSignal) => Promise<Answer>,
  ): [ComputeSystemRecord, Work] {
    const h = this.#handle(client, token);
    return [h.system, (signal) => work(this.#stillOpen(h).system, signal)];
  }

  #hello(client: ClientSession, args: readonly (string | null)[]): Answer {
    const version = args[2];
    if (version !== undefined && version !== null && version !== String(PROTOCOL_VERSION)) {
      fail(
        HR.HCS_E_UNSUPPORTED_PROTOCOL_VERSION,
        `protocol version ${version} is not supported (hcsd speaks ${PROTOCOL_VERSION})`,
      );
    }
    client.name = args[0] ?? undefined;
    const pid = Number(args[1]);
    client.pid = Number.isInteger(pid) ? pid : undefined;
    return { document: JSON.stringify({ ProtocolVersion: PROTOCOL_VERSION }) };
  }

  /**
   * Validate the document, reserve the id, then let the engine realize the system in its queue;
   * the handle is opened once it succeeded (a failed create leaves nothing behind).
   */
  #create(client: ClientSession, args: readonly (string | null)[]): [ComputeSystemRecord, Work] {
    const id = stringArg(args, 0, 'id');
    if (id === '') fail(HR.E_INVALIDARG, 'compute system id must not be empty');
    if (id.length > MAX_ID_LENGTH)
      fail(HR.E_INVALIDARG, `compute system id is longer than ${MAX_ID_LENGTH} characters`);
    const text = stringArg(args, 1, 'configuration');
    const doc = parseJson(text, 'configuration', this.limits.maxJsonDepth);
    const config = validate<Record<string, unknown>>(ComputeSystem, doc, 'ComputeSystem');
    const kind = systemKind(config);
    if (kind === undefined)
      fail(
        HR.E_INVALIDARG,
        issueMessage('ComputeSystem', [
          { path: '', message: 'exactly one of VirtualMachine, Container, HostedSystem is required' },
        ]),
      );
    if (this.state.systems.has(id))
      fail(HR.HCS_E_SYSTEM_ALREADY_EXISTS, `a compute system with id ${JSON.stringify(id)} already exists`);
    const owner = config.Owner;
    if (typeof owner === 'string' && owner.length > this.limits.maxOwnerLength)
      fail(
        HR.E_INVALIDARG,
        `invalid ComputeSystem: Owner: is ${owner.length} characters; the limit is ${this.limits.maxOwnerLength}`,
      );
    const sys = new ComputeSystemRecord(id, kind, config, this.limits.modifyLogBytes);
    this.state.systems.set(id, sys);
    const host: EngineHost = { exited: (exitType, detail) => this.stopSystem(sys, exitType, detail) };
    return [
      sys,
      async (signal) => {
        try {
          sys.vm = await this.engine.create(sys, host, signal);
        } catch (e) {
          this.#teardown(sys);
          throw e;
        }
        if (client.closed) {
          // Nobody will ever hold a handle: the system goes as a failed create would.
          this.stopSystem(sys, 'ForcedExit');
          this.#teardown(sys);
          return NONE;
        }
        return { value: this.#openHandle(client, sys) };
      },
    ];
  }

  /** Validate against the device table → the engine realizes → commit. */
  async #modify(
    sys: ComputeSystemRecord,
    args: readonly (string | null)[],
    signal: AbortSignal,
  ): Promise<Answer> {
    const text = stringArg(args, 0, 'configuration');
    const doc = parseJson(text, 'ModifySettingRequest', this.limits.maxJsonDepth);
    sys.logModify(text);
    const result = checkModifySettingRequest(doc);
    const d = doc as Obj;
    if (result.issues.length > 0) {
      const first = result.issues[0]!;
      if (result.match === undefined && first.path === 'ResourcePath' && typeof d.ResourcePath === 'string') {
        fail(HR.ERROR_INVALID_DATA, `unknown resource path ${JSON.stringify(d.ResourcePath)}`);
      }
      const rt = d.RequestType;
      const validType = rt === undefined || rt === 'Add' || rt === 'Remove' || rt === 'Update';
      if (result.match !== undefined && first.path === 'RequestType' && validType) {
        fail(HR.ERROR_NOT_SUPPORTED, `${result.match.kind}: ${first.message}`);
      }
      fail(HR.E_INVALIDARG, issueMessage('ModifySettingRequest', result.issues));
    }
    if (sys.kind !== 'VirtualMachine')
      fail(HR.E_NOTIMPL, `modify is only emulated for virtual machines, ${sys.id} is a ${sys.kind}`);
    sys.check('Modify');
    if (result.match === undefined) return NONE; // guest-only request: no host-side change
    const commit = sys.devices.prepare(result.match, result.requestType, d.Settings);
    await this.#vm(sys).modify(
      { match: result.match, requestType: result.requestType, settings: d.Settings, document: d },
      signal,
    );
    commit();
    return NONE;
  }

  #cancel(client: ClientSession, args: readonly (string | null)[]): Answer {
    const text = stringArg(args, 0, 'requestId');
    const target = /^(0|[1-9][0-9]{0,9})$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(target) || target > 0xffffffff)
      fail(HR.E_INVALIDARG, `requestId ${JSON.stringify(text)} is not a decimal request id`);
    const p = client.pending.get(target);
    if (p === undefined)
      fail(HR.ERROR_NOT_FOUND, `request ${target} is not pending (already completed or never delayed)`);
    p.cancel();
    return NONE;
  }

  /** Inspection: the service's own views now, an engine view (`guest`, `engine`) from the VM. */
  #inspect(q: Obj): Answer | Promise<Answer> {
    if (q.what === 'modifyLog') return { document: findSystem(this.state, q.id, true).modifyLogJson() };
    if (q.what === 'guest' || q.what === 'engine') {
      const sys = findSystem(this.state, q.id, true);
      const what = q.what === 'guest' ? 'guest' : typeof q.view === 'string' ? q.view : '';
      return this.#vm(sys)
        .inspect(what, q)
        .then((v) => ({ document: JSON.stringify(v) }));
    }
    return { document: JSON.stringify(inspect(this.state, this.faults, q)) };
  }

  #fault(doc: Obj): Answer | Promise<Answer> {
    const ok: Answer = { document: JSON.stringify({ ok: true }) };
    switch (doc.kind) {
      case 'fail':
        this.faults.addFailure(doc);
        return ok;
      case 'delay':
        this.faults.addDelay(doc);
        return ok;
      case 'crash':
        this.crash(typeof doc.id === 'string' ? doc.id : fail(HR.E_INVALIDARG, 'crash needs an id'));
        return ok;
      case 'clear':
        this.faults.clear();
        for (const sys of this.state.systems.values()) sys.vm?.clearFaults();
        return ok;
      case 'guest':
      case 'engine':
        return this.#vm(findSystem(this.state, doc.id))
          .fault(doc)
          .then((v) => ({ document: JSON.stringify(v) }));
      default:
        return fail(HR.E_INVALIDARG, `unknown fault kind ${JSON.stringify(doc.kind)}`);
    }
  }
}

/** Inspect, Fault and Stop: only for control sessions. */
function isControl(method: number): boolean {
  return method === Method.Inspect || method === Method.Fault || method === Method.Stop;
}

function tooLargeMessage(bytes: number, limits: Limits, prefix = ''): string {
  return `the answer would be ${prefix}${bytes} bytes, more than hcsd's frame limit of ${limits.maxAnswerFrame} bytes (narrow the query)`;
}

function tooLarge(bytes: number, limits: Limits): string {
  return new HcsdFailure(
    HR.HCS_E_OPERATION_RESULT_ALLOCATION_FAILED,
    tooLargeMessage(bytes, limits),
  ).toDocument();
}

function cancelled(id: number): HcsdFailure {
  return new HcsdFailure(HR.ERROR_CANCELLED, `request ${id} was cancelled`);
}

function stringArg(args: readonly (string | null)[], index: number, name: string): string {
  const v = args[index];
  if (typeof v !== 'string') fail(HR.E_INVALIDARG, `argument ${index} (${name}) is required`);
  return v;
}

/** Options documented as NULL (Terminate, Resume): absent, or any JSON object (ignored). */
function objectOptions(text: string | null | undefined, what: string): void {
  if (text === null || text === undefined || text === '') return;
  const v = parseJson(text, what);
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(HR.E_INVALIDARG, `invalid ${what}: (root): expected an object`);
}

function parseControl(text: string | null | undefined): Record<string, unknown> {
  if (typeof text !== 'string') fail(HR.E_INVALIDARG, 'control request needs a JSON argument');
  const v = parseJson(text, 'control request');
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(HR.E_INVALIDARG, 'control request must be a JSON object');
  return v as Record<string, unknown>;
}
