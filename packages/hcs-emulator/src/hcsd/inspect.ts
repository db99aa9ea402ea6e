/**
 * Inspection answers of the control method 64 (tests only): systems with their configuration and
 * device table as HCS would hold them, open handles per client, pending operations, modify logs.
 */
import type { DeviceTableSnapshot } from './devices.js';
import { fail, HR } from './errors.js';
import type { FaultTable } from './faults.js';
import { methodName } from './methods.js';
import type { ServiceState } from './service-state.js';
import type { ComputeSystemRecord } from './system.js';

export interface SystemInspection {
  id: string;
  kind: string;
  state: string;
  runtimeId: string;
  owner: string | null;
  terminateOnLastHandleClosed: boolean;
  /** the create document with applied modifications */
  config: unknown;
  devices: DeviceTableSnapshot;
  handleCount: number;
  exit: unknown;
  lastSave: unknown;
  modifyCount: number;
  /** oldest modify-log entries dropped (caps: 100 000 entries and `modifyLogBytes` per system) */
  modifyLogDropped: number;
}

export interface ClientInspection {
  clientId: number;
  name: string | null;
  pid: number | null;
  handles: { token: string; systemId: string }[];
  pending: number;
}

export interface PendingInspection {
  clientId: number;
  requestId: number;
  method: string;
  token: string;
  sinceMs: number;
}

function systemInfo(sys: ComputeSystemRecord): SystemInspection {
  return {
    id: sys.id,
    kind: sys.kind,
    state: sys.state,
    runtimeId: sys.runtimeId,
    owner: sys.owner ?? null,
    terminateOnLastHandleClosed: sys.terminateOnLastHandleClosed,
    config: sys.config,
    devices: sys.devices.snapshot(),
    handleCount: sys.handles.size,
    exit: sys.exit ?? null,
    lastSave: sys.lastSave ?? null,
    modifyCount: sys.modifyLog.length + sys.modifyLogDropped,
    modifyLogDropped: sys.modifyLogDropped,
  };
}

/** The live system `id`, else a recently torn-down one; HCS_E_SYSTEM_NOT_FOUND otherwise. */
export function findSystem(state: ServiceState, id: unknown, retiredToo = false): ComputeSystemRecord {
  const sys =
    typeof id === 'string'
      ? (state.systems.get(id) ?? (retiredToo ? state.retired.get(id) : undefined))
      : undefined;
  if (sys === undefined) fail(HR.HCS_E_SYSTEM_NOT_FOUND, `no compute system ${JSON.stringify(id)}`);
  return sys;
}

/**
 * `{what: 'systems'|'system'|'clients'|'pending'|'modifyLog'|'faults', id?}` → answer. Engine
 * views (`'guest'`, …) are answered by the system's engine VM, not here.
 */
export function inspect(state: ServiceState, faults: FaultTable, q: Record<string, unknown>): unknown {
  const now = Date.now();
  switch (q.what) {
    case 'systems':
      return [...state.systems.values()].map(systemInfo);
    case 'system':
      return systemInfo(findSystem(state, q.id));
    case 'modifyLog':
      // answered as JSON text by the service (`ComputeSystemRecord.modifyLogJson`)
      return fail(HR.E_UNEXPECTED, 'modifyLog is answered by the service');
    case 'clients':
      return [...state.clients].map(
        (c): ClientInspection => ({
          clientId: c.clientId,
          name: c.name ?? null,
          pid: c.pid ?? null,
          handles: [...c.handles.values()].map((h) => ({ token: h.token.toString(), systemId: h.system.id })),
          pending: c.pending.size,
        }),
      );
    case 'pending':
      return [...state.clients].flatMap((c) =>
        [...c.pending.values()].map(
          (p): PendingInspection => ({
            clientId: c.clientId,
            requestId: p.id,
            method: methodName(p.method) ?? String(p.method),
            token: p.token.toString(),
            sinceMs: now - p.since,
          }),
        ),
      );
    case 'faults':
      return faults.snapshot();
    default:
      return fail(HR.E_INVALIDARG, `unknown inspection ${JSON.stringify(q.what)}`);
  }
}
