/**
 * The emulated guest agent (GCS) of one VM. After the VM starts it dials the host's listener at
 * the HvSocket path of (RuntimeId, GCS service id) until connected, and again after a bridge loss,
 * until the VM stops: first at once, then after 100 ms, doubling up to DIAL_BACKOFF_MAX_MS (reset
 * once connected), so thousands of VMs whose host does not listen cost little. Each connection
 * starts un-negotiated; requests are handled concurrently and answered in any order
 * (gcs-protocol.md §2–§6). Before the first dial it reads entropy and opens its log stream when the
 * kernel command line asks (./boot.ts). Processes are emulated (./exec.ts, ./processes.ts,
 * ./commands.ts: never a host process) and outlive bridge reconnects; container exit
 * notifications produced while disconnected are sent after the next Negotiate reply.
 */
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { decodeGuestRequest, gcsOversizedRequestMessage, NegotiateProtocolRequest } from '@uvmkit/hcs-schema';
import type { SystemView } from '../../../engine.js';
import { hvsockPath } from '../../../hvsock.js';
import { bootChannels, GuestLogStream, readEntropy } from './boot.js';
import * as containers from './containers.js';
import { GcsPanic } from './containers.js';
import {
  AFTER_REPLY,
  type ExecHost,
  executeProcess,
  resizeConsole,
  signalProcess,
  waitForProcess,
} from './exec.js';
import {
  type GarbageVariant,
  GuestFaults,
  type GuestFaultsSnapshot,
  garbageVariant,
  oversizedSize,
} from './faults.js';
import { encodeFrame, type GuestFrame, GuestFrameDecoder, HEADER_SIZE } from './frame.js';
import { type GuestTableSnapshot, snapshotTable } from './inspect.js';
import { EXITED_KEEP, type ProcessInfo, SIGKILL } from './processes.js';
import {
  CONTAINER_NOTIFICATION,
  capabilities,
  GcsRequest,
  type GcsRequestName,
  GHR,
  GuestFailure,
  type GuestOs,
  gfail,
  LINUX_GCS_SERVICE_ID,
  MSG_REQUEST,
  MSG_TYPE_MASK,
  NULL_CONTAINER_ID,
  PROTOCOL_VERSION,
  requestName,
  responseType,
  WINDOWS_GCS_SERVICE_ID,
  ZERO_GUID,
} from './protocol.js';
import { modifySettings } from './resources/index.js';
import { isGuid, isObj, normalizePath, type Obj, withoutBase } from './settings.js';
import { type GuestContainer, GuestTable } from './table.js';

export const DIAL_INTERVAL_MS = 100;
/** Longest wait between two dials (the backoff doubles from DIAL_INTERVAL_MS up to this). */
export const DIAL_BACKOFF_MAX_MS = 5000;
/** Longest Unix socket path the kernel keeps whole (sun_path is 108 bytes with its NUL). */
const MAX_UNIX_PATH = 107;

/** Thrown by a handler that must not answer (the null container's shutdown). */
const NO_REPLY = Symbol('no reply');

/** How the guest powering itself off is reported to hcsd. */
export type PowerOff = (exitType: 'GracefulExit' | 'ForcedExit') => void;
/** Entries kept in the request log (the newest). */
export const REQUEST_LOG_CAP = 1000;

export interface GuestLogger {
  info(message: string): void;
}

export interface GuestRequestLogEntry {
  /** request type, e.g. `0x10100a01` */
  type: string;
  procedure: string | null;
  /** sequence id (decimal string: u64) */
  id: string;
  /** the parsed request payload (null if it was not JSON) */
  request: unknown;
  /** the HRESULT answered (unsigned), null when no reply was sent */
  result: number | null;
  connection: number;
}

export interface GuestInspection {
  id: string;
  os: GuestOs;
  serviceId: string;
  socketPath: string;
  /** the agent runs (VM running) and dials when not connected */
  active: boolean;
  connected: boolean;
  negotiated: boolean;
  protocolVersion: number | null;
  /** successful connections so far */
  connections: number;
  dialAttempts: number;
  lastDialError: string | null;
  table: GuestTableSnapshot;
  /** every emulated process (exited ones kept for late waits) */
  processes: ProcessInfo[];
  /** container exit notifications waiting for the next connection */
  queuedNotifications: number;
  /** bytes of entropy read from the host at boot (port 1), or null when nobody served it */
  entropyBytes: number | null;
  /** the log stream to the host (port 109) */
  log: { connected: boolean; lines: number; dropped: number };
  /** the agent panicked (the `gcsPanics` fault) and no longer runs */
  panicked: boolean;
  requests: GuestRequestLogEntry[];
  faults: GuestFaultsSnapshot;
}

interface Conn {
  readonly n: number;
  readonly socket: Socket;
  readonly decoder: GuestFrameDecoder;
  negotiated: boolean;
  version: number | null;
  /** replies held for `reorder` */
  held: Buffer[];
  corked: boolean;
  closed: boolean;
}

export class GuestAgent implements ExecHost {
  readonly sys: SystemView;
  readonly os: GuestOs;
  readonly serviceId: string;
  readonly table = new GuestTable();
  readonly faults = new GuestFaults();
  readonly #log: GuestLogger;
  readonly #requests: GuestRequestLogEntry[] = [];
  #active = false;
  /** the VM is paused: no dialing, requests wait for resume */
  #vmPaused = false;
  #conn: Conn | undefined;
  #dialing: Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #connections = 0;
  #dialAttempts = 0;
  #backoff = DIAL_INTERVAL_MS;
  #lastDialError: string | null = null;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** requests read while the VM is paused, handled on Resume */
  readonly #paused: (() => void)[] = [];

  readonly #onPowerOff: PowerOff;
  readonly #logStream = new GuestLogStream();
  #entropyBytes: number | null = null;
  #panicked = false;
  /** exit notifications produced while no negotiated bridge was up */
  readonly #queued: Buffer[] = [];

  constructor(sys: SystemView, logger: GuestLogger, onPowerOff: PowerOff) {
    this.sys = sys;
    this.#log = logger;
    this.#onPowerOff = onPowerOff;
    const vm = isObj(sys.config.VirtualMachine) ? sys.config.VirtualMachine : {};
    const chipset = isObj(vm.Chipset) ? vm.Chipset : {};
    this.os = isObj(chipset.LinuxKernelDirect) ? 'Linux' : 'Windows';
    this.serviceId = this.os === 'Linux' ? LINUX_GCS_SERVICE_ID : WINDOWS_GCS_SERVICE_ID;
  }

  /** Whether a VM configuration asks for a guest connection. */
  static wanted(config: Obj): boolean {
    const vm = config.VirtualMachine;
    return isObj(vm) && vm.GuestConnection !== undefined && vm.GuestConnection !== null;
  }

  get socketPath(): string {
    return hvsockPath(this.sys.runtimeId, this.serviceId);
  }

  get runtimeId(): string {
    return this.sys.runtimeId;
  }

  get panicOnMissingLinux(): boolean {
    return this.faults.gcsPanics;
  }

  /** The VM is running: read entropy and open the log stream when asked to, then dial. */
  start(): void {
    if (this.#active) return;
    this.#active = true;
    const vm = isObj(this.sys.config.VirtualMachine) ? this.sys.config.VirtualMachine : {};
    const chipset = isObj(vm.Chipset) ? vm.Chipset : {};
    const kernel = isObj(chipset.LinuxKernelDirect) ? chipset.LinuxKernelDirect : {};
    const cmdline = typeof kernel.KernelCmdLine === 'string' ? kernel.KernelCmdLine : '';
    const want = this.os === 'Linux' ? bootChannels(cmdline) : { entropy: false, log: false };
    void (async () => {
      if (want.entropy) this.#entropyBytes = await readEntropy(this.sys.runtimeId);
      if (want.log && (await this.#logStream.open(this.sys.runtimeId)))
        this.#logStream.write('info', 'emulated gcs started', { vm: this.sys.id });
      this.#schedule(0);
    })();
  }

  /** A guest file for `cat` (see commands.ts). */
  readFile(path: string): string | undefined {
    const p = normalizePath(path);
    const t = this.table;
    if (p === '/etc/hostname') return `${this.sys.id}\n`;
    if (p === '/proc/mounts') {
      const lines: string[] = [];
      for (const d of t.disks.values())
        lines.push(
          `/dev/sd${String.fromCharCode(97 + (d.Lun % 26))} ${d.MountPath} ext4 ${d.ReadOnly ? 'ro' : 'rw'} 0 0`,
        );
      for (const d of t.directories.values())
        lines.push(`${d.ShareName || d.HostPath} ${d.MountPath} 9p ${d.ReadOnly ? 'ro' : 'rw'} 0 0`);
      for (const v of t.vpmem.values()) lines.push(`/dev/pmem${v.DeviceNumber} ${v.MountPath} ext4 ro 0 0`);
      for (const l of t.layers.values()) lines.push(`overlay ${l.ContainerRootPath} overlay rw 0 0`);
      return lines.map((l) => `${l}\n`).join('');
    }
    const m = /^\/run\/gcs\/c\/([^/]+)\/config\.json$/.exec(p);
    if (m !== null) {
      const c = t.containers.get(m[1] as string);
      return c === undefined ? undefined : `${JSON.stringify(c.spec)}\n`;
    }
    return undefined;
  }

  /** A timer cleared when the VM stops. */
  timer(fn: () => void, ms: number): () => void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return () => {
      clearTimeout(t);
      this.#timers.delete(t);
    };
  }

  log(message: string): void {
    this.#logStream.write('info', message, { vm: this.sys.id });
  }

  /** A container exited: send its notification now, or after the next negotiation (§6.4). */
  notifyExit(c: GuestContainer): void {
    const payload = {
      ContainerId: c.id,
      ActivityId: ZERO_GUID,
      Type: c.exitType ?? 'UnexpectedExit',
      Operation: 'None',
      Result: 0,
    };
    const frame = encodeFrame(CONTAINER_NOTIFICATION, 0n, JSON.stringify(payload));
    this.#logStream.write('info', `container ${c.id} exited (${payload.Type})`, { vm: this.sys.id });
    const conn = this.#conn;
    if (conn?.negotiated && !conn.closed) this.#write(conn, frame, true);
    else this.#queued.push(frame);
  }

  /** The VM stopped: close the bridge, stop dialing (for good). */
  stop(): void {
    this.#active = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#paused.length = 0;
    this.#dialing?.destroy();
    this.#dialing = undefined;
    this.#conn?.socket.destroy();
    // the VM is gone: nothing of it runs any more
    for (const p of this.table.processes.values()) p.kill(SIGKILL);
    this.#logStream.close();
  }

  #schedule(ms: number): void {
    if (!this.#active || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#dial();
    }, ms);
  }

  /** The next dial delay: exponential, capped. */
  #retry(): void {
    const ms = this.#backoff;
    this.#backoff = Math.min(ms * 2, DIAL_BACKOFF_MAX_MS);
    this.#schedule(ms);
  }

  #dial(): void {
    if (!this.#active || this.#conn !== undefined || this.#dialing !== undefined) return;
    if (this.faults.neverDial || this.#vmPaused) {
      this.#schedule(DIAL_INTERVAL_MS); // not a dial: a timer only
      return;
    }
    this.#dialAttempts++;
    const path = this.socketPath;
    if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
      // The kernel would truncate it; the host side (hcs-core's listen) refuses such paths too.
      this.#lastDialError = 'ENAMETOOLONG';
      this.#retry();
      return;
    }
    if (!existsSync(path)) {
      // Nobody listens yet: skip creating a socket (cheap while many VMs wait for their host).
      this.#lastDialError = 'ENOENT';
      this.#retry();
      return;
    }
    const socket = createConnection(path);
    this.#dialing = socket;
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      this.#dialing = undefined;
      if (!this.#active) {
        socket.destroy();
        return;
      }
      this.#attach(socket);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      this.#dialing = undefined;
      this.#lastDialError = e.code ?? e.message;
      socket.destroy();
      this.#retry();
    });
  }

  #attach(socket: Socket): void {
    this.#connections++;
    this.#lastDialError = null;
    this.#backoff = DIAL_INTERVAL_MS;
    const conn: Conn = {
      n: this.#connections,
      socket,
      decoder: new GuestFrameDecoder(),
      negotiated: false,
      version: null,
      held: [],
      corked: false,
      closed: false,
    };
    this.#conn = conn;
    this.#log.info(`guest ${this.sys.id}: connected (#${conn.n})`);
    socket.on('data', (chunk: Buffer) => {
      try {
        conn.decoder.push(chunk, (f) => this.#onFrame(conn, f));
      } catch (e) {
        this.#log.info(`guest ${this.sys.id}: dropping the bridge: ${(e as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      conn.closed = true;
      if (this.#conn === conn) this.#conn = undefined;
      this.#log.info(`guest ${this.sys.id}: bridge #${conn.n} closed`);
      this.#schedule(DIAL_INTERVAL_MS);
    });
  }

  /**
   * Drop the current bridge (the agent re-dials after 100 ms while the VM runs). Processes keep
   * running; with `stdio` their relay connections are dropped too (as when the host side dies).
   */
  drop(stdio = false): boolean {
    const c = this.#conn;
    if (c === undefined) return false;
    c.socket.destroy();
    if (stdio) for (const p of this.table.processes.values()) p.dropStdio();
    return true;
  }

  /** Write a crafted frame on the current bridge now. */
  sendNow(kind: 'garbage' | 'oversized', doc: Obj): void {
    const c = this.#conn;
    if (c === undefined) gfail(GHR.INVALID_STATE, `guest of ${this.sys.id} is not connected`);
    if (kind === 'garbage') this.#write(c, garbageFrame(garbageVariant(doc.variant), 0xfffffffn), true);
    else
      this.#write(
        c,
        oversizedFrame(responseType(GcsRequest.ModifySettings), 0xfffffffn, oversizedSize(doc.size)),
        true,
      );
  }

  /** Send a container notification now (type 0x30100101, ID 0). */
  notify(doc: Obj): void {
    const c = this.#conn;
    if (c === undefined) gfail(GHR.INVALID_STATE, `guest of ${this.sys.id} is not connected`);
    const payload = {
      ContainerId: typeof doc.containerId === 'string' ? doc.containerId : NULL_CONTAINER_ID,
      ActivityId: ZERO_GUID,
      Type: typeof doc.type === 'string' ? doc.type : 'UnexpectedExit',
      Operation: 'None',
      Result: 0,
    };
    this.#write(c, encodeFrame(CONTAINER_NOTIFICATION, 0n, JSON.stringify(payload)), true);
  }

  #write(c: Conn, frame: Buffer, bypassReorder = false): void {
    if (c.closed || c.socket.destroyed) return;
    if (!bypassReorder && this.faults.reorder > 0) {
      c.held.push(frame);
      this.faults.reorder--;
      if (this.faults.reorder === 0) {
        const out = c.held.reverse();
        c.held = [];
        for (const f of out) this.#send(c, f);
      }
      return;
    }
    this.#send(c, frame);
  }

  /** Frames written in one tick leave in one corked write. */
  #send(c: Conn, frame: Buffer): void {
    if (!c.corked) {
      c.corked = true;
      c.socket.cork();
      process.nextTick(() => {
        c.corked = false;
        c.socket.uncork();
      });
    }
    c.socket.write(frame);
  }

  #logRequest(entry: GuestRequestLogEntry): GuestRequestLogEntry {
    this.#requests.push(entry);
    if (this.#requests.length >= REQUEST_LOG_CAP + REQUEST_LOG_CAP / 10)
      this.#requests.splice(0, this.#requests.length - REQUEST_LOG_CAP);
    return entry;
  }

  #onFrame(c: Conn, f: GuestFrame): void {
    if ((f.type & MSG_TYPE_MASK) >>> 0 !== MSG_REQUEST) {
      this.#log.info(`guest ${this.sys.id}: ignoring a non-request frame 0x${(f.type >>> 0).toString(16)}`);
      return;
    }
    if (f.oversized !== undefined) {
      // Over GCS_MAX_FRAME: answered E_INVALIDARG without reading it, as the C agent does.
      const message = gcsOversizedRequestMessage(f.oversized);
      this.#log.info(`guest ${this.sys.id}: ${message}`);
      this.#logRequest({
        type: `0x${(f.type >>> 0).toString(16).padStart(8, '0')}`,
        procedure: requestName(f.type) ?? null,
        id: f.id.toString(),
        request: null,
        result: GHR.E_INVALIDARG,
        connection: c.n,
      });
      this.#write(
        c,
        encodeFrame(responseType(f.type), f.id, JSON.stringify(errorBody(GHR.E_INVALIDARG, message, null))),
      );
      return;
    }
    const name = requestName(f.type);
    let doc: unknown = null;
    let parsed = true;
    try {
      doc = JSON.parse(f.payload.toString('utf8'));
    } catch {
      parsed = false;
    }
    const entry = this.#logRequest({
      type: `0x${(f.type >>> 0).toString(16).padStart(8, '0')}`,
      procedure: name ?? null,
      id: f.id.toString(),
      request: doc,
      result: null,
      connection: c.n,
    });
    // Dispatch state is captured when the frame is read (as the Linux GCS does).
    const negotiatedAtRead = c.negotiated;
    const resourceType =
      name === 'ModifySettings' &&
      isObj(doc) &&
      isObj(doc.Request) &&
      typeof doc.Request.ResourceType === 'string'
        ? doc.Request.ResourceType
        : undefined;
    const action = this.faults.takeAction(name, resourceType);
    const delay = this.faults.takeDelay(name);
    const run = (): void => {
      if (c.closed) return;
      if (action?.action === 'drop') {
        c.socket.destroy();
        return;
      }
      if (action?.action === 'silent') return;
      if (action?.action === 'garbage') {
        this.#write(c, garbageFrame(action.variant, f.id, responseType(f.type)));
        return;
      }
      const reply = (body: Obj, result: number): void => {
        entry.result = result;
        const after = (body as { [AFTER_REPLY]?: () => void })[AFTER_REPLY];
        if (c.closed) return;
        if (action?.action === 'oversized') {
          this.#write(c, oversizedFrame(responseType(f.type), f.id, action.size, body));
        } else {
          this.#write(c, encodeFrame(responseType(f.type), f.id, JSON.stringify(body)));
        }
        after?.();
        if (name === 'NegotiateProtocol' && result === 0) this.#flushQueued(c);
      };
      const failed = (e: unknown): void => {
        if (e === NO_REPLY) return;
        if (e instanceof GcsPanic) {
          this.#panic(c, e.message);
          return;
        }
        const failure =
          e instanceof GuestFailure ? e : new GuestFailure(GHR.E_FAIL, (e as Error)?.message ?? String(e));
        reply(errorBody(failure.hresult, failure.message, doc), failure.hresult);
      };
      if (action?.action === 'fail') {
        reply(errorBody(action.hresult, action.message, doc), action.hresult);
        return;
      }
      let out: Obj | Promise<Obj>;
      try {
        if (!parsed || !isObj(doc)) gfail(GHR.INVALID_JSON, 'the request is not a valid JSON object');
        out = this.#handle(c, f.type, name, doc, negotiatedAtRead);
      } catch (e) {
        failed(e);
        return;
      }
      if (out instanceof Promise) {
        const base = responseBase(doc);
        out.then((b) => reply({ ...base, ...b, ...afterOf(b) }, 0), failed);
      } else {
        reply(out, 0);
      }
    };
    const go = (): void => {
      if (this.#vmPaused) this.#paused.push(run);
      else run();
    };
    if (delay > 0) {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        go();
      }, delay);
      this.#timers.add(t);
    } else {
      go();
    }
  }

  /** The VM paused: requests read from now on wait for `resume`, and no dial starts. */
  pause(): void {
    this.#vmPaused = true;
  }

  /** The VM resumed: run the requests that arrived while it was paused, in order. */
  resume(): void {
    this.#vmPaused = false;
    const queued = this.#paused.splice(0);
    for (const run of queued) run();
    this.#schedule(0);
  }

  /** Flush the exit notifications queued while disconnected (after this connection's Negotiate). */
  #flushQueued(c: Conn): void {
    for (const frame of this.#queued.splice(0)) this.#write(c, frame, true);
  }

  /** The `gcsPanics` fault: the real GCS panics on a Create without `linux` and exits. */
  #panic(c: Conn, message: string): void {
    this.#log.info(`guest ${this.sys.id}: ${message}; the emulated GCS exits`);
    this.#logStream.write('error', message, { vm: this.sys.id });
    this.#panicked = true;
    this.#active = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    c.socket.destroy();
  }

  #handle(
    c: Conn,
    type: number,
    name: GcsRequestName | undefined,
    doc: Obj,
    negotiated: boolean,
  ): Obj | Promise<Obj> {
    const base = responseBase(doc);
    if (!negotiated) {
      if (name !== 'NegotiateProtocol')
        gfail(
          GHR.E_NOTIMPL,
          `message type 0x${(type >>> 0).toString(16)} is not supported before NegotiateProtocol`,
        );
      if (!decodeGuestRequest(NegotiateProtocolRequest, withoutBase(doc)).ok)
        gfail(GHR.INVALID_JSON, 'NegotiateProtocol: MinimumVersion and MaximumVersion must be uint32');
      const min = doc.MinimumVersion;
      const max = doc.MaximumVersion;
      if (
        typeof min !== 'number' ||
        typeof max !== 'number' ||
        !Number.isInteger(min) ||
        !Number.isInteger(max) ||
        min < 0 ||
        max < 0 ||
        min > 0xffffffff ||
        max > 0xffffffff
      )
        gfail(GHR.INVALID_JSON, 'NegotiateProtocol: MinimumVersion and MaximumVersion must be uint32');
      if (max < PROTOCOL_VERSION || min > PROTOCOL_VERSION)
        gfail(
          GHR.UNSUPPORTED_PROTOCOL_VERSION,
          `protocol version range ${min}..${max} does not include ${PROTOCOL_VERSION}`,
        );
      const version = Math.min(PROTOCOL_VERSION, max);
      c.negotiated = true;
      c.version = version;
      return { ...base, Version: version, Capabilities: capabilities(this.os) };
    }
    const containerId = typeof doc.ContainerId === 'string' ? doc.ContainerId : '';
    const t = this.table;
    switch (name) {
      case 'ModifySettings':
        modifySettings(
          { os: this.os, table: t, host: this.sys.devices, runtimeId: this.sys.runtimeId },
          containerId,
          doc.Request,
        );
        return base;
      case 'DumpStacks':
        return {
          ...base,
          GuestStacks: `goroutine 1 [running]:\nmain.main()\n\t/emulated/gcs (vm ${this.sys.id})\n`,
        };
      case 'Create':
        return { ...base, ...containers.create(this, containerId, doc) };
      case 'Start':
        containers.start(this.os, t, containerId);
        return base;
      case 'ShutdownGraceful':
      case 'ShutdownForced':
        if (containerId.toLowerCase() === NULL_CONTAINER_ID) {
          // The guest powers the VM off: no reply, the bridge goes away with the VM.
          this.#onPowerOff(name === 'ShutdownGraceful' ? 'GracefulExit' : 'ForcedExit');
          throw NO_REPLY;
        }
        containers.shutdown(this, containerId, name === 'ShutdownForced');
        return base;
      case 'DeleteContainerState':
        containers.deleteState(t, containerId);
        return base;
      case 'GetProperties':
        return { ...base, ...containers.getProperties(t, containerId, doc) };
      case 'ExecuteProcess': {
        const r = executeProcess(this, containerId, doc);
        void r.then(
          () => containers.trimExited(t, EXITED_KEEP),
          () => {},
        );
        return r;
      }
      case 'WaitForProcess': {
        const r = waitForProcess(this, containerId, doc);
        return r instanceof Promise ? r : { ...base, ...r, ...afterOf(r) };
      }
      case 'SignalProcess':
        return { ...base, ...signalProcess(this, containerId, doc) };
      case 'ResizeConsole':
        return { ...base, ...resizeConsole(this, containerId, doc) };
      case 'ModifyServiceSettings':
        if (this.os === 'Linux') break;
        t.serviceSettings.push(structuredClone(doc));
        return base;
      default:
        break;
    }
    return gfail(GHR.E_NOTIMPL, `message type 0x${(type >>> 0).toString(16)} is not supported`);
  }

  inspect(): GuestInspection {
    const c = this.#conn;
    return {
      id: this.sys.id,
      os: this.os,
      serviceId: this.serviceId,
      socketPath: this.socketPath,
      active: this.#active,
      connected: c !== undefined,
      negotiated: c?.negotiated ?? false,
      protocolVersion: c?.version ?? null,
      connections: this.#connections,
      dialAttempts: this.#dialAttempts,
      lastDialError: this.#lastDialError,
      table: snapshotTable(this.table, this.sys.devices),
      processes: [...this.table.processes.values()].map((p) => p.info()),
      queuedNotifications: this.#queued.length,
      entropyBytes: this.#entropyBytes,
      log: {
        connected: this.#logStream.connected,
        lines: this.#logStream.lines,
        dropped: this.#logStream.dropped,
      },
      panicked: this.#panicked,
      requests: this.#requests.slice(-REQUEST_LOG_CAP).map((r) => ({ ...r })),
      faults: this.faults.snapshot(),
    };
  }
}

/** Carry the after-reply hook of `b` over to a copied body. */
function afterOf(b: Obj): Obj {
  const after = (b as { [AFTER_REPLY]?: () => void })[AFTER_REPLY];
  const out: Obj = {};
  if (after !== undefined) Object.defineProperty(out, AFTER_REPLY, { value: after, enumerable: true });
  return out;
}

/** `{Result:0, ActivityId}` echoing a valid request ActivityId (omitted otherwise). */
function responseBase(doc: unknown): Obj {
  const a = isObj(doc) ? doc.ActivityId : undefined;
  return typeof a === 'string' && isGuid(a) ? { Result: 0, ActivityId: a } : { Result: 0 };
}

/** The error response: signed Result, ErrorMessage, ActivityId (if valid), one ErrorRecord. */
function errorBody(hresult: number, message: string, doc: unknown): Obj {
  const base = responseBase(doc);
  const signed = hresult | 0;
  const out: Obj = { Result: signed, ErrorMessage: message };
  if (base.ActivityId !== undefined) out.ActivityId = base.ActivityId;
  out.ErrorRecords = [
    {
      Result: signed,
      Message: message,
      ModuleName: 'gcs',
      FileName: 'emulated-gcs',
      Line: 4294967295,
    },
  ];
  return out;
}

function garbageFrame(
  variant: GarbageVariant,
  id: bigint,
  type = responseType(GcsRequest.ModifySettings),
): Buffer {
  switch (variant) {
    case 'size': {
      // a header whose Size is below the header size
      const b = Buffer.alloc(HEADER_SIZE);
      b.writeUInt32LE(type, 0);
      b.writeUInt32LE(HEADER_SIZE - 1, 4);
      b.writeBigUInt64LE(id, 8);
      return b;
    }
    case 'json':
      return encodeFrame(type, id, '{"Result":0,garbage');
    case 'unknownId':
      return encodeFrame(type, 0x7fffffffffffffffn, JSON.stringify({ Result: 0 }));
    case 'notification':
      return encodeFrame(0x30200101, 0n, JSON.stringify({ ContainerId: NULL_CONTAINER_ID }));
  }
}

/** A well-formed response of exactly `size` bytes (padded with spaces after the JSON). */
function oversizedFrame(type: number, id: bigint, size: number, body: Obj = { Result: 0 }): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const payload = Buffer.alloc(Math.max(size - HEADER_SIZE, json.length), 0x20);
  json.copy(payload, 0);
  return encodeFrame(type, id, payload);
}
