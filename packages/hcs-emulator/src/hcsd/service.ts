/**
 * Method dispatch of hcsd: client sessions and their handle tokens, the compute systems, events,
 * fault injection (fail / delay / cancel) and the control methods. Transport-agnostic: the server
 * feeds decoded requests in and gives each session a `send(frame)`.
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
import { fail, HcsdFailure, HR, resultErrorDocument } from './errors.js';
import { FaultTable } from './faults.js';
import { GuestAgent } from './guest/agent.js';
import { GuestFailure } from './guest/protocol.js';
import { inspect } from './inspect.js';
import { isObj } from './json.js';
import { EventType, Method, methodName, PROTOCOL_VERSION } from './methods.js';
import { basicProperties, matchesQuery, queryProperties } from './properties.js';
import { ServiceState } from './service-state.js';
import { ComputeSystemRecord, type ExitType } from './system.js';
import { issueMessage, optionalDocument, parseJson, validate } from './validate.js';

/** Injected logger (no globals). */
export interface Logger {
  error(message: string, error?: unknown): void;
  info(message: string): void;
}

/** Maximum length of a compute system id, in UTF-16 code units. */
export const MAX_ID_LENGTH = 256;

export interface Handle {
  readonly token: bigint;
  readonly system: ComputeSystemRecord;
  readonly client: ClientSession;
}

export interface PendingRequest {
  readonly id: number;
  readonly method: number;
  readonly since: number;
  readonly token: bigint;
  readonly timer: NodeJS.Timeout;
}

export interface ClientSession {
  readonly clientId: number;
  name: string | undefined;
  pid: number | undefined;
  readonly handles: Map<bigint, Handle>;
  readonly pending: Map<number, PendingRequest>;
  closed: boolean;
  send(frame: Buffer): void;
}

/** What a handler returns: the response value (token) and document. */
interface Answer {
  value?: bigint;
  document?: string | null;
}

const NONE: Answer = {};

export type StopHook = (mode: 'graceful' | 'abrupt') => void;

export class Service {
  readonly state = new ServiceState();
  readonly faults = new FaultTable();
  readonly #log: Logger;
  #onStop: StopHook = () => {};
  #nextClient = 1;
  #nextToken = 1n;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  set onStop(hook: StopHook) {
    this.#onStop = hook;
  }

  connect(send: (frame: Buffer) => void): ClientSession {
    const client: ClientSession = {
      clientId: this.#nextClient++,
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
    for (const p of client.pending.values()) clearTimeout(p.timer);
    client.pending.clear();
    for (const h of [...client.handles.values()]) this.#closeHandle(h);
    this.state.clients.delete(client);
  }

  /** One decoded request. Answers (now or later) through `client.send`. Never throws. */
  request(
    client: ClientSession,
    method: number,
    id: number,
    token: bigint,
    args: readonly (string | null)[],
  ): void {
    const target = (): string | undefined =>
      token === 0n ? (args[0] ?? undefined) : client.handles.get(token)?.system.id;
    const injected = this.faults.takeFailure(method, target);
    if (injected !== undefined) {
      client.send(
        encodeResponse(
          method,
          id,
          injected.hresult,
          0n,
          resultErrorDocument(injected.hresult, injected.message),
        ),
      );
      return;
    }
    const delay = this.faults.takeDelay(method, target);
    if (delay !== undefined) {
      const timer = setTimeout(() => {
        if (client.pending.get(id)?.timer === timer) client.pending.delete(id);
        if (!client.closed) this.#execute(client, method, id, token, args);
      }, delay);
      client.pending.set(id, { id, method, since: Date.now(), token, timer });
      return;
    }
    this.#execute(client, method, id, token, args);
  }

  #execute(
    client: ClientSession,
    method: number,
    id: number,
    token: bigint,
    args: readonly (string | null)[],
  ): void {
    let frame: Buffer;
    try {
      const a = this.#call(client, method, id, token, args);
      if (a === undefined) return; // answered elsewhere
      frame = encodeResponse(method, id, 0, a.value ?? 0n, a.document ?? null);
    } catch (e) {
      if (e instanceof HcsdFailure) {
        frame = encodeResponse(method, id, e.hresult, 0n, e.toDocument());
      } else {
        this.#log.error(`hcsd: ${methodName(method) ?? method} request ${id} failed unexpectedly`, e);
        frame = encodeResponse(
          method,
          id,
          HR.E_UNEXPECTED,
          0n,
          resultErrorDocument(HR.E_UNEXPECTED, String(e)),
        );
      }
    }
    if (!client.closed) client.send(frame);
  }

  #handle(client: ClientSession, token: bigint): Handle {
    const h = token === 0n ? undefined : client.handles.get(token);
    if (h === undefined) fail(HR.E_HANDLE, `token ${token} is not an open handle of this client`);
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
  }

  /** Stop `sys` and send SystemExited (exactly once) to every token open on it. */
  stopSystem(sys: ComputeSystemRecord, exitType: ExitType): void {
    if (sys.state === 'Stopped') return;
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
    sys.guest?.stop();
    const status = sys.stop(exitType);
    this.#broadcast(sys, EventType.SystemExited, JSON.stringify(status));
    if (sys.handles.size === 0) this.#teardown(sys);
  }

  #broadcast(sys: ComputeSystemRecord, type: number, data: string): void {
    for (const h of sys.handles) if (!h.client.closed) h.client.send(encodeEvent(h.token, type, data));
  }

  /** Crash a VM from the control API (UnexpectedExit). */
  crash(id: string): void {
    const sys = this.state.systems.get(id);
    if (sys === undefined) fail(HR.HCS_E_SYSTEM_NOT_FOUND, `no compute system ${JSON.stringify(id)}`);
    if (sys.state === 'Stopped') fail(HR.HCS_E_SYSTEM_ALREADY_STOPPED, `system ${sys.id} is already stopped`);
    this.stopSystem(sys, 'UnexpectedExit');
  }

  #call(
    client: ClientSession,
    method: number,
    id: number,
    token: bigint,
    args: readonly (string | null)[],
  ): Answer | undefined {
    switch (method) {
      case Method.Hello:
        return this.#hello(client, args);
      case Method.Create:
        return this.#create(client, args);
      case Method.Open: {
        const sysId = stringArg(args, 0, 'id');
        const sys = this.state.systems.get(sysId);
        if (sys === undefined) fail(HR.HCS_E_SYSTEM_NOT_FOUND, `no compute system ${JSON.stringify(sysId)}`);
        return { value: this.#openHandle(client, sys) };
      }
      case Method.Close:
        this.#closeHandle(this.#handle(client, token));
        return NONE;
      case Method.Start: {
        const h = this.#handle(client, token);
        optionalDocument(args[0], StartOptions, 'StartOptions');
        h.system.start();
        h.system.guest?.start();
        return NONE;
      }
      case Method.ShutDown:
      case Method.Terminate: {
        const h = this.#handle(client, token);
        const graceful = method === Method.ShutDown;
        if (graceful) optionalDocument(args[0], ShutdownOptions, 'ShutdownOptions');
        else objectOptions(args[0], 'TerminateOptions');
        h.system.check(graceful ? 'ShutDown' : 'Terminate');
        this.stopSystem(h.system, graceful ? 'GracefulExit' : 'ForcedExit');
        return NONE;
      }
      case Method.Crash: {
        const h = this.#handle(client, token);
        optionalDocument(args[0], CrashOptions, 'CrashOptions');
        h.system.check('Crash');
        this.stopSystem(h.system, 'UnexpectedExit');
        return NONE;
      }
      case Method.Pause: {
        const h = this.#handle(client, token);
        optionalDocument(args[0], PauseOptions, 'PauseOptions');
        h.system.pause();
        return NONE;
      }
      case Method.Resume: {
        const h = this.#handle(client, token);
        objectOptions(args[0], 'ResumeOptions');
        h.system.resume();
        h.system.guest?.resume();
        return NONE;
      }
      case Method.Save: {
        const h = this.#handle(client, token);
        const opts = optionalDocument<SaveOptions>(args[0], SaveOptions, 'SaveOptions');
        const type = opts?.SaveType ?? 'ToFile';
        h.system.check('Save');
        if (type === 'ToFile' && (opts?.SaveStateFilePath ?? '') === '') {
          fail(
            HR.E_INVALIDARG,
            'invalid SaveOptions: SaveStateFilePath: is required when SaveType is ToFile',
          );
        }
        h.system.save(type, opts?.SaveStateFilePath);
        return NONE;
      }
      case Method.GetProperties: {
        const h = this.#handle(client, token);
        const q = optionalDocument<PropertyQuery>(args[0], PropertyQuerySchema, 'PropertyQuery');
        return { document: JSON.stringify(queryProperties(h.system, q)) };
      }
      case Method.Modify:
        return this.#modify(this.#handle(client, token), args);
      case Method.Enumerate: {
        const q = optionalDocument<SystemQuery>(args[0], SystemQuerySchema, 'SystemQuery');
        const out: unknown[] = [];
        for (const sys of this.state.systems.values())
          if (matchesQuery(sys, q)) out.push(basicProperties(sys));
        return { document: JSON.stringify(out) };
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
        return { document: JSON.stringify(inspect(this, parseControl(args[0]))) };
      case Method.Fault:
        return { document: JSON.stringify(this.#fault(parseControl(args[0]))) };
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

  #create(client: ClientSession, args: readonly (string | null)[]): Answer {
    const id = stringArg(args, 0, 'id');
    if (id === '') fail(HR.E_INVALIDARG, 'compute system id must not be empty');
    if (id.length > MAX_ID_LENGTH)
      fail(HR.E_INVALIDARG, `compute system id is longer than ${MAX_ID_LENGTH} characters`);
    const text = stringArg(args, 1, 'configuration');
    const doc = parseJson(text, 'configuration');
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
    const sys = new ComputeSystemRecord(id, kind, config);
    if (kind === 'VirtualMachine' && GuestAgent.wanted(config))
      sys.guest = new GuestAgent(sys, this.#log, (exitType) =>
        setImmediate(() => this.stopSystem(sys, exitType)),
      );
    this.state.systems.set(id, sys);
    return { value: this.#openHandle(client, sys) };
  }

  #modify(h: Handle, args: readonly (string | null)[]): Answer {
    const sys = h.system;
    const text = stringArg(args, 0, 'configuration');
    const doc = parseJson(text, 'ModifySettingRequest');
    sys.logModify(doc);
    const result = checkModifySettingRequest(doc);
    const d = doc as Record<string, unknown>;
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
    sys.devices.apply(result.match, result.requestType, d.Settings);
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
    clearTimeout(p.timer);
    client.pending.delete(target);
    client.send(
      encodeResponse(
        p.method,
        p.id,
        HR.ERROR_CANCELLED,
        0n,
        resultErrorDocument(HR.ERROR_CANCELLED, `request ${target} was cancelled`),
      ),
    );
    return NONE;
  }

  /** `{kind:'guest', id, fault:{kind, …}}`: a fault of the guest agent of VM `id`. */
  #guestFault(doc: Record<string, unknown>): void {
    const agent = guestOf(this, doc.id);
    const f = doc.fault;
    if (!isObj(f)) fail(HR.E_INVALIDARG, 'guest fault needs a "fault" object');
    try {
      switch (f.kind) {
        case 'drop':
          if (!agent.drop()) fail(HR.HCS_E_INVALID_STATE, `guest of ${agent.sys.id} is not connected`);
          return;
        case 'garbage':
        case 'oversized':
          if (f.when === 'now') agent.sendNow(f.kind, f);
          else agent.faults.add(f);
          return;
        case 'notify':
          agent.notify(f);
          return;
        case 'clear':
          agent.faults.clear();
          return;
        default:
          agent.faults.add(f);
      }
    } catch (e) {
      if (e instanceof GuestFailure) fail(e.hresult, e.message);
      throw e;
    }
  }

  /** Stop every guest agent (daemon shutdown). */
  stopGuests(): void {
    for (const sys of this.state.systems.values()) sys.guest?.stop();
  }

  #fault(doc: Record<string, unknown>): unknown {
    switch (doc.kind) {
      case 'fail':
        this.faults.addFailure(doc);
        return { ok: true };
      case 'delay':
        this.faults.addDelay(doc);
        return { ok: true };
      case 'crash':
        this.crash(typeof doc.id === 'string' ? doc.id : fail(HR.E_INVALIDARG, 'crash needs an id'));
        return { ok: true };
      case 'clear':
        this.faults.clear();
        for (const sys of this.state.systems.values()) sys.guest?.faults.clear();
        return { ok: true };
      case 'guest':
        this.#guestFault(doc);
        return { ok: true };
      default:
        return fail(HR.E_INVALIDARG, `unknown fault kind ${JSON.stringify(doc.kind)}`);
    }
  }
}

function guestOf(service: Service, id: unknown): GuestAgent {
  const sys = typeof id === 'string' ? service.state.systems.get(id) : undefined;
  if (sys === undefined) fail(HR.HCS_E_SYSTEM_NOT_FOUND, `no compute system ${JSON.stringify(id)}`);
  if (sys.guest === undefined)
    fail(
      HR.ERROR_NOT_FOUND,
      `compute system ${sys.id} has no guest agent (no VirtualMachine.GuestConnection)`,
    );
  return sys.guest;
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
