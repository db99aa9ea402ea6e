/**
 * ExecuteProcess, WaitForProcess, SignalProcess and ResizeConsole of the emulated guest
 * (gcs-protocol.md §4.5, §7, §8, §10), answered as the Linux GCS does:
 * - ExecuteProcess in the UVM (null container or `CreateInUtilityVM`: `CommandArgs`, else
 *   `CommandLine` split into words) or in a container (no `OciProcess`: start its init process;
 *   with `OciProcess`: an extra exec in the running container). The guest DIALS the relay ports
 *   of `VsockStdioRelaySettings` (or the service ids of `StdioRelaySettings`) — stdin, stdout,
 *   stderr, in that order — BEFORE it answers `{ProcessId}`. With a terminal (`EmulateConsole` /
 *   OCI `terminal`) stderr is not used.
 * - WaitForProcess answers once the process exited (`ExitCode`), `0xC0370109` when `TimeoutInMs`
 *   (not 0xFFFFFFFF) elapses first, `ERROR_NOT_FOUND` for an unknown pid.
 * - SignalProcess (`Options.Signal`, absent or 0 = SIGKILL) and ResizeConsole addressed to the
 *   null container answer `0xC037010E` even for a live UVM process (as the real GCS); in a
 *   container an unknown or exited pid is `ERROR_NOT_FOUND`.
 */
import { createConnection, type Socket } from 'node:net';
import {
  ExecuteProcessSettings,
  ProcessParametersDocument,
  ResizeConsoleRequest,
  SignalProcessRequest,
  vsockServiceIdOf,
  WaitForProcessRequest,
} from '@uvmkit/hcs-schema';
import { hvsockPath } from '../../../hvsock.js';
import { words } from './commands.js';
import {
  allocatePid,
  type ContainerHost,
  isNull,
  maybeNotify,
  ociProcess,
  parseInner,
} from './containers.js';
import { EmulatedProcess, type ProcessStdio, SIGKILL } from './processes.js';
import { GHR, gfail } from './protocol.js';
import { decodeOrFail, Fields, isGuid, isObj, type Obj, withoutBase } from './settings.js';

/** How long the guest waits for one stdio relay connection. */
export const STDIO_DIAL_TIMEOUT_MS = 10_000;
const INFINITE = 0xffffffff;

/** Set on a reply body: run after the reply was written (a wait answered → notification). */
export const AFTER_REPLY: unique symbol = Symbol('after reply');

export interface ExecHost extends ContainerHost {
  readonly runtimeId: string;
  /** A timer the agent clears when the VM stops. */
  timer(fn: () => void, ms: number): () => void;
  log(message: string): void;
}

/** The service id of a vsock port (`vsockServiceIdOf` of `@uvmkit/hcs-schema`, the template's one home). */
export const vsockServiceId: (port: number) => string = vsockServiceIdOf;

function dialRelay(runtimeId: string, serviceId: string, what: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(hvsockPath(runtimeId, serviceId));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`${what}: timed out`));
    }, STDIO_DIAL_TIMEOUT_MS);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      reject(new Error(`${what}: ${e.code ?? e.message}`));
    });
  });
}

interface Relays {
  stdin?: string;
  stdout?: string;
  stderr?: string;
}

function relays(settings: Fields): Relays {
  const out: Relays = {};
  const vsock = settings.object('VsockStdioRelaySettings');
  if (vsock !== undefined) {
    for (const [k, key] of [
      ['StdIn', 'stdin'],
      ['StdOut', 'stdout'],
      ['StdErr', 'stderr'],
    ] as const) {
      const port = vsock.u32(k);
      if (port !== 0) out[key] = vsockServiceId(port);
    }
    return out;
  }
  const guids = settings.object('StdioRelaySettings');
  if (guids !== undefined) {
    for (const [k, key] of [
      ['StdIn', 'stdin'],
      ['StdOut', 'stdout'],
      ['StdErr', 'stderr'],
    ] as const) {
      const g = guids.string(k);
      if (g === '') continue;
      if (!isGuid(g)) gfail(GHR.INVALID_JSON, `StdioRelaySettings.${k} is not a GUID`);
      out[key] = g.toLowerCase();
    }
  }
  return out;
}

async function dialAll(h: ExecHost, r: Relays, terminal: boolean): Promise<ProcessStdio> {
  const got: Socket[] = [];
  const one = async (serviceId: string | undefined, what: string): Promise<Socket | undefined> => {
    if (serviceId === undefined) return undefined;
    const s = await dialRelay(h.runtimeId, serviceId, `${what} relay ${serviceId}`);
    got.push(s);
    return s;
  };
  try {
    const stdin = await one(r.stdin, 'stdin');
    const stdout = await one(r.stdout, 'stdout');
    const stderr = terminal ? undefined : await one(r.stderr, 'stderr');
    return { stdin, stdout, stderr };
  } catch (e) {
    for (const s of got) s.destroy();
    return gfail(GHR.E_FAIL, `failed to connect the stdio relays: ${(e as Error).message}`);
  }
}

function environment(p: Fields): Record<string, string> {
  const env = p.object('Environment');
  const out: Record<string, string> = {};
  if (env === undefined) return out;
  for (const [k, v] of Object.entries(env.raw)) {
    if (typeof v !== 'string') gfail(GHR.INVALID_JSON, `ProcessParameters.Environment.${k} must be a string`);
    out[k] = v;
  }
  return out;
}

export async function executeProcess(h: ExecHost, containerId: string, doc: Obj): Promise<Obj> {
  decodeOrFail(ExecuteProcessSettings, doc.Settings, 'Settings');
  const settings = new Fields(doc.Settings, 'Settings');
  const params = parseInner(settings.raw.ProcessParameters, 'Settings.ProcessParameters');
  if (!isObj(params)) gfail(GHR.INVALID_JSON, 'Settings.ProcessParameters must be a JSON object');
  decodeOrFail(ProcessParametersDocument, params, 'ProcessParameters');
  const p = new Fields(params, 'ProcessParameters');
  const r = relays(settings);
  const t = h.table;
  let proc: EmulatedProcess;
  let isInit = false;
  if (isNull(containerId) || p.bool('CreateInUtilityVM')) {
    const args = p.stringArray('CommandArgs');
    const argv = args.length > 0 ? args : words(p.string('CommandLine'));
    const size = p.raw.ConsoleSize;
    const rows = Array.isArray(size) && typeof size[0] === 'number' ? size[0] : 24;
    const cols = Array.isArray(size) && typeof size[1] === 'number' ? size[1] : 80;
    const terminal = p.bool('EmulateConsole');
    proc = new EmulatedProcess(
      t.nextPid,
      {
        containerId: isNull(containerId) ? containerId.toLowerCase() : containerId,
        argv,
        env: environment(p),
        cwd: p.string('WorkingDirectory') || '/',
        terminal,
        consoleSize: [rows, cols],
        init: false,
      },
      (path) => h.readFile(path),
    );
    allocatePid(t);
  } else {
    const c = t.containers.get(containerId);
    if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
    const oci = p.raw.OciProcess;
    if (oci === undefined || oci === null) {
      if (c.state === 'Exited' || c.init === undefined)
        gfail(GHR.SYSTEM_ALREADY_STOPPED, `container ${containerId} is not running`);
      if (c.init.state !== 'created')
        gfail(GHR.INVALID_STATE, `the init process of container ${containerId} was already started`);
      proc = c.init;
      isInit = true;
    } else {
      if (c.state === 'Exited') gfail(GHR.SYSTEM_ALREADY_STOPPED, `container ${containerId} is not running`);
      if (c.state !== 'Running')
        gfail(
          GHR.INVALID_STATE,
          `container ${containerId} has not been started (its init process is not running)`,
        );
      const o = ociProcess(oci, 'ProcessParameters.OciProcess');
      proc = new EmulatedProcess(t.nextPid, { containerId, ...o, init: false }, (path) => h.readFile(path));
      allocatePid(t);
    }
  }
  const stdio = await dialAll(h, r, proc.spec.terminal);
  if (isInit) {
    const c = t.containers.get(containerId);
    if (c === undefined || c.state === 'Exited' || proc.state !== 'created') {
      for (const s of [stdio.stdin, stdio.stdout, stdio.stderr]) s?.destroy();
      gfail(GHR.SYSTEM_ALREADY_STOPPED, `container ${containerId} is not running`);
    }
    c.state = 'Running';
  }
  t.processes.set(proc.pid, proc);
  proc.start(stdio);
  h.log(
    `process ${proc.pid} started in ${isNull(containerId) ? 'the UVM' : `container ${containerId}`}: ${JSON.stringify(proc.spec.argv)}`,
  );
  void proc.exited.then((code) => h.log(`process ${proc.pid} exited with ${code}`));
  return { ProcessId: proc.pid };
}

function lookup(h: ExecHost, containerId: string, pid: number): EmulatedProcess {
  if (!isNull(containerId) && !h.table.containers.has(containerId))
    gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
  const proc = h.table.processes.get(pid);
  const where = isNull(containerId) ? containerId.toLowerCase() : containerId;
  if (proc === undefined || proc.spec.containerId !== where)
    gfail(GHR.ERROR_NOT_FOUND, `process ${pid} not found`);
  return proc;
}

export function waitForProcess(h: ExecHost, containerId: string, doc: Obj): Obj | Promise<Obj> {
  decodeOrFail(WaitForProcessRequest, withoutBase(doc), 'request');
  const f = new Fields(doc, 'request');
  const pid = f.u32('ProcessId');
  const timeout = doc.TimeoutInMs === undefined ? INFINITE : f.u32('TimeoutInMs');
  const proc = lookup(h, containerId, pid);
  const answer = (code: number): Obj => {
    const body: Obj = { ExitCode: code };
    Object.defineProperty(body, AFTER_REPLY, {
      value: () => {
        proc.waitsAnswered++;
        if (proc.spec.init) {
          const c = h.table.containers.get(proc.spec.containerId);
          if (c !== undefined) maybeNotify(h, c);
        }
      },
    });
    return body;
  };
  if (proc.state === 'exited') return answer(proc.exitCode ?? 0);
  return new Promise<Obj>((resolve, reject) => {
    let cancel: (() => void) | undefined;
    if (timeout !== INFINITE) {
      cancel = h.timer(() => {
        reject(
          Object.assign(new Error(`WaitForProcess ${pid}: timed out after ${timeout} ms`), {
            hresult: GHR.VMCOMPUTE_TIMEOUT,
          }),
        );
      }, timeout);
    }
    void proc.exited.then((code) => {
      cancel?.();
      resolve(answer(code));
    });
  }).catch((e: { hresult?: number; message?: string }) =>
    gfail(e.hresult ?? GHR.E_FAIL, e.message ?? String(e)),
  );
}

const WCOW_SIGNALS: Record<string, number> = {
  CtrlC: 2,
  CtrlBreak: 3,
  CtrlClose: 15,
  CtrlLogOff: 15,
  CtrlShutdown: 15,
};

export function signalProcess(h: ExecHost, containerId: string, doc: Obj): Obj {
  decodeOrFail(SignalProcessRequest, withoutBase(doc), 'request');
  const f = new Fields(doc, 'request');
  const pid = f.u32('ProcessId');
  if (isNull(containerId) && h.os === 'Linux')
    gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId.toLowerCase()} does not exist`);
  const proc = lookup(h, containerId, pid);
  const options = f.object('Options');
  let sig = SIGKILL;
  const raw = options?.raw.Signal;
  if (typeof raw === 'string' && h.os === 'Windows') {
    const n = WCOW_SIGNALS[raw];
    if (n === undefined) gfail(GHR.E_INVALIDARG, `unknown signal ${JSON.stringify(raw)}`);
    sig = n;
  } else if (raw !== undefined && raw !== null) {
    const n = options?.int('Signal', -0x80000000, 0x7fffffff, 'int') ?? 0;
    if (n < 0 || n > 64) gfail(GHR.E_INVALIDARG, `invalid signal ${n}`);
    if (n !== 0) sig = n;
  }
  if (proc.state === 'exited') gfail(GHR.ERROR_NOT_FOUND, `process ${pid} has already exited`);
  proc.signal(sig);
  return {};
}

export function resizeConsole(h: ExecHost, containerId: string, doc: Obj): Obj {
  decodeOrFail(ResizeConsoleRequest, withoutBase(doc), 'request');
  const f = new Fields(doc, 'request');
  const pid = f.u32('ProcessId');
  const height = f.u16('Height');
  const width = f.u16('Width');
  if (isNull(containerId) && h.os === 'Linux')
    gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId.toLowerCase()} does not exist`);
  const proc = lookup(h, containerId, pid);
  if (proc.state === 'exited') gfail(GHR.ERROR_NOT_FOUND, `process ${pid} has already exited`);
  if (!proc.spec.terminal) gfail(GHR.E_FAIL, `process ${pid} has no console`);
  proc.resize(height, width);
  return {};
}
