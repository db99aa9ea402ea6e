/**
 * Containers of the emulated guest, answered as the Linux GCS does (gcs-protocol.md §4.5, §4.6,
 * §6.2, §10): Create (schema ≥ 2.1, an OCI spec WITH a `linux` section; its init process is made
 * here and started by the ExecuteProcess without OciProcess), Start (a no-op; an unknown id
 * succeeds), ShutdownGraceful / ShutdownForced (SIGTERM / SIGKILL to the init process),
 * DeleteContainerState, GetProperties (ProcessList, Statistics). When the init process exits,
 * every other process of the container is killed and the exit notification is due once at
 * least one WaitForProcess for the init pid has been answered. Processes are emulated
 * (./processes.ts), never host processes.
 */
import { LinuxContainerConfigDocument } from '@uvmkit/hcs-schema';
import { EmulatedProcess, SIGKILL, SIGTERM } from './processes.js';
import { GHR, type GuestOs, gfail, NULL_CONTAINER_ID } from './protocol.js';
import { decodeOrFail, isObj, type Obj } from './settings.js';
import type { GuestContainer, GuestTable } from './table.js';

export const isNull = (id: string): boolean => id.toLowerCase() === NULL_CONTAINER_ID;

/** Thrown by Create for a spec without `linux` when the agent mimics the real GCS's panic. */
export class GcsPanic extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GcsPanic';
  }
}

/** What containers need of the agent. */
export interface ContainerHost {
  readonly os: GuestOs;
  readonly table: GuestTable;
  /** the `gcsPanics` fault: a Create without `linux` panics instead of failing */
  readonly panicOnMissingLinux: boolean;
  readFile(path: string): string | Buffer | undefined;
  /** The container exited and its notification is due (send it, or queue it while disconnected). */
  notifyExit(c: GuestContainer): void;
}

export function parseInner(text: unknown, what: string): unknown {
  if (typeof text !== 'string') gfail(GHR.INVALID_JSON, `${what} must be a JSON document in a string`);
  try {
    return JSON.parse(text);
  } catch (e) {
    return gfail(GHR.INVALID_JSON, `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** OCI `process.env` (`["K=V"]`) → a map. */
export function ociEnv(env: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(env)) return out;
  for (const e of env) {
    if (typeof e !== 'string') continue;
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/** An OCI `process` object → argv, env, cwd, terminal, console size (INVALID_JSON on wrong types). */
export function ociProcess(p: unknown, what: string) {
  if (!isObj(p)) gfail(GHR.INVALID_JSON, `${what} must be an object`);
  const args = p.args;
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))
    gfail(GHR.INVALID_JSON, `${what}.args must be an array of strings`);
  if (args.length === 0) gfail(GHR.E_FAIL, `${what}.args must not be empty`);
  if (p.terminal !== undefined && typeof p.terminal !== 'boolean')
    gfail(GHR.INVALID_JSON, `${what}.terminal must be a boolean`);
  const cs = isObj(p.consoleSize) ? p.consoleSize : {};
  const rows = typeof cs.height === 'number' ? cs.height : 24;
  const cols = typeof cs.width === 'number' ? cs.width : 80;
  return {
    argv: args as string[],
    env: ociEnv(p.env),
    cwd: typeof p.cwd === 'string' && p.cwd !== '' ? p.cwd : '/',
    terminal: p.terminal === true,
    consoleSize: [rows, cols] as [number, number],
  };
}

export function allocatePid(t: GuestTable): number {
  const pid = t.nextPid++;
  return pid;
}

/** Keep the process table bounded: forget the oldest exited processes beyond EXITED_KEEP. */
export function trimExited(t: GuestTable, keep: number): void {
  let exited = 0;
  for (const p of t.processes.values()) if (p.state === 'exited') exited++;
  if (exited <= keep) return;
  for (const [pid, p] of t.processes) {
    if (exited <= keep) break;
    if (p.state === 'exited') {
      t.processes.delete(pid);
      exited--;
    }
  }
}

/** Create: the null container (WCOW cold start) or a container (schema ≥ 2.1, OCI spec with `linux`). */
export function create(h: ContainerHost, containerId: string, doc: Obj): Obj {
  const { os } = h;
  const t = h.table;
  const config = parseInner(doc.ContainerConfig, 'ContainerConfig');
  if (isNull(containerId)) {
    if (os === 'Linux' || t.uvmCreated)
      gfail(GHR.SYSTEM_ALREADY_EXISTS, 'the utility VM (null container) already exists');
    if (!isObj(config)) gfail(GHR.INVALID_JSON, 'ContainerConfig must be a JSON object');
    t.uvmCreated = true;
    return {};
  }
  if (containerId === '') gfail(GHR.E_INVALIDARG, 'ContainerId is required');
  if (!isObj(config)) gfail(GHR.INVALID_JSON, 'ContainerConfig must be a JSON object');
  let spec: Obj = {};
  if (os === 'Linux') {
    decodeOrFail(LinuxContainerConfigDocument, config, 'ContainerConfig');
    const v = config.SchemaVersion;
    const major = isObj(v) && typeof v.Major === 'number' ? v.Major : 0;
    const minor = isObj(v) && typeof v.Minor === 'number' ? v.Minor : 0;
    if (major < 2 || (major === 2 && minor < 1))
      gfail(GHR.INVALID_JSON, `container schema version ${major}.${minor} is below 2.1`);
    const oci = config.OciSpecification;
    if (oci !== undefined && oci !== null && !isObj(oci))
      gfail(GHR.INVALID_JSON, 'OciSpecification must be an object');
    if (!isObj(oci) || !isObj(oci.linux)) {
      const msg = 'the OCI specification has no "linux" section';
      if (h.panicOnMissingLinux) throw new GcsPanic(`panic: runtime error: invalid memory address (${msg})`);
      gfail(GHR.E_FAIL, `failed to create container ${containerId}: ${msg}`);
    }
    spec = oci;
  }
  if (t.containers.has(containerId))
    gfail(GHR.SYSTEM_ALREADY_EXISTS, `container ${containerId} already exists`);
  let init: EmulatedProcess | undefined;
  if (os === 'Linux') {
    const p = ociProcess(spec.process, 'OciSpecification.process');
    init = new EmulatedProcess(allocatePid(t), { containerId, ...p, init: true }, (path) => h.readFile(path));
  }
  const c: GuestContainer = {
    id: containerId,
    state: 'Created',
    config,
    spec,
    constraints: [],
    init,
    exitType: null,
    notified: false,
  };
  t.containers.set(containerId, c);
  if (init !== undefined) {
    t.processes.set(init.pid, init);
    void init.exited.then(() => initExited(h, c));
  }
  return os === 'Linux' ? { SelectedProtocolVersion: 0 } : {};
}

/** The init process exited: the container is done; its other processes are killed. */
function initExited(h: ContainerHost, c: GuestContainer): void {
  if (c.state === 'Exited') return;
  const sig = c.init?.hostSignal ?? null;
  c.state = 'Exited';
  c.exitType = sig === SIGTERM ? 'GracefulExit' : sig === SIGKILL ? 'ForcedExit' : 'UnexpectedExit';
  for (const p of h.table.processes.values()) {
    if (p.spec.containerId === c.id && p !== c.init && p.state !== 'exited') p.kill(SIGKILL);
  }
  maybeNotify(h, c);
}

/** Send the exit notification once the init exited AND a wait on it was answered (§4.6). */
export function maybeNotify(h: ContainerHost, c: GuestContainer): void {
  if (c.notified || c.state !== 'Exited') return;
  if (c.init?.started && c.init.waitsAnswered === 0) return;
  c.notified = true;
  h.notifyExit(c);
}

export function start(os: GuestOs, t: GuestTable, containerId: string): void {
  if (isNull(containerId)) {
    if (os === 'Windows') {
      if (!t.uvmCreated) gfail(GHR.INVALID_STATE, 'Start of the null container before its Create');
      t.uvmStarted = true;
    }
    return;
  }
  const c = t.containers.get(containerId);
  if (os === 'Linux') return; // a no-op on the Linux GCS, even for an unknown id (§10)
  if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
  if (c.state === 'Exited') gfail(GHR.SYSTEM_ALREADY_STOPPED, `container ${containerId} has exited`);
  c.state = 'Running';
}

/** ShutdownGraceful (SIGTERM) / ShutdownForced (SIGKILL) of a container (not the null one). */
export function shutdown(h: ContainerHost, containerId: string, forced: boolean): void {
  const c = h.table.containers.get(containerId);
  if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
  if (c.state === 'Exited') gfail(GHR.SYSTEM_ALREADY_STOPPED, `container ${containerId} is not running`);
  const sig = forced ? SIGKILL : SIGTERM;
  const init = c.init;
  if (init === undefined || init.state === 'created') {
    // never started (or a Windows container): it is gone at once, with nothing to wait on
    if (init !== undefined) {
      init.hostSignal = sig;
      init.kill(sig);
    } else {
      c.state = 'Exited';
      c.exitType = forced ? 'ForcedExit' : 'GracefulExit';
      maybeNotify(h, c);
    }
    return;
  }
  init.signal(sig);
}

export function deleteState(t: GuestTable, containerId: string): void {
  const c = t.containers.get(containerId);
  if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
  if (c.state !== 'Exited')
    gfail(GHR.INVALID_STATE, `container ${containerId} is still ${c.state.toLowerCase()}`);
  t.containers.delete(containerId);
  for (const [pid, p] of t.processes) if (p.spec.containerId === containerId) t.processes.delete(pid);
}

export function getProperties(t: GuestTable, containerId: string, doc: Obj): Obj {
  let types: string[] = [];
  if (doc.Query !== undefined && doc.Query !== null && doc.Query !== '') {
    const q = parseInner(doc.Query, 'Query');
    if (isObj(q) && Array.isArray(q.PropertyTypes))
      types = q.PropertyTypes.filter((x): x is string => typeof x === 'string');
  }
  if (isNull(containerId)) gfail(GHR.E_FAIL, 'GetProperties is not supported on the utility VM');
  const c = t.containers.get(containerId);
  if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
  const running = [...t.processes.values()].filter(
    (p) => p.spec.containerId === containerId && p.state === 'running',
  );
  const props: Obj = {};
  if (types.length === 0 || types.includes('ProcessList'))
    props.ProcessList = running.map((p) => ({ ProcessId: p.pid }));
  if (types.includes('Statistics')) {
    const bytes = running.reduce((n, p) => n + p.info().bytesOut + p.info().bytesErr, 0);
    props.LCOWMetrics = {
      pids: { current: running.length, limit: 0 },
      cpu: { usage: { total: 0, kernel: 0, user: 0 } },
      memory: { usage: { usage: running.length * 1024 * 1024, max: 0, limit: 0 } },
      blkio: {},
      network: [],
      emulated: { stdioBytes: bytes },
    };
  }
  return { Properties: JSON.stringify(props) };
}
