/**
 * Inspection answers of the control method 64 (tests only): systems with their configuration and
 * device table as HCS would hold them, open handles per client, pending operations, modify logs.
 */
import type { DeviceTableSnapshot } from './devices.js';
import { fail, HR } from './errors.js';
import { methodName } from './methods.js';
import type { Service } from './service.js';
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
  /** oldest modify-log entries dropped (cap: 100 000 per system) */
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

function find(service: Service, id: unknown): ComputeSystemRecord {
  const sys = typeof id === 'string' ? service.state.systems.get(id) : undefined;
  if (sys === undefined) fail(HR.HCS_E_SYSTEM_NOT_FOUND, `no compute system ${JSON.stringify(id)}`);
  return sys;
}

/** `{what: 'systems'|'system'|'clients'|'pending'|'modifyLog'|'faults', id?}` → answer. */
export function inspect(service: Service, q: Record<string, unknown>): unknown {
  const now = Date.now();
  switch (q.what) {
    case 'systems':
      return [...service.state.systems.values()].map(systemInfo);
    case 'system':
      return systemInfo(find(service, q.id));
    case 'modifyLog': {
      const retired = typeof q.id === 'string' ? service.state.retired.get(q.id) : undefined;
      const live = typeof q.id === 'string' ? service.state.systems.get(q.id) : undefined;
      return (live ?? retired ?? find(service, q.id)).modifyLog;
    }
    case 'clients':
      return [...service.state.clients].map(
        (c): ClientInspection => ({
          clientId: c.clientId,
          name: c.name ?? null,
          pid: c.pid ?? null,
          handles: [...c.handles.values()].map((h) => ({ token: h.token.toString(), systemId: h.system.id })),
          pending: c.pending.size,
        }),
      );
    case 'pending':
      return [...service.state.clients].flatMap((c) =>
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
      return service.faults.snapshot();
    case 'guest': {
      const id = q.id;
      const sys =
        (typeof id === 'string'
          ? (service.state.systems.get(id) ?? service.state.retired.get(id))
          : undefined) ?? find(service, id);
      if (sys.guest === undefined)
        fail(
          HR.ERROR_NOT_FOUND,
          `compute system ${sys.id} has no guest agent (no VirtualMachine.GuestConnection)`,
        );
      return sys.guest.inspect();
    }
    default:
      return fail(HR.E_INVALIDARG, `unknown inspection ${JSON.stringify(q.what)}`);
  }
}
