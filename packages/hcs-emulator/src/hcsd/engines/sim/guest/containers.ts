/**
 * Container-level requests of the emulated guest (no processes are run): Create, Start,
 * ShutdownGraceful/Forced, DeleteContainerState, GetProperties — enough for the host's cold start
 * (WCOW null-container Create/Start) and for container bookkeeping around CombinedLayers.
 */
import { GHR, type GuestOs, gfail, NULL_CONTAINER_ID } from './protocol.js';
import { isObj, type Obj } from './settings.js';
import type { GuestTable } from './table.js';

const isNull = (id: string): boolean => id.toLowerCase() === NULL_CONTAINER_ID;

function parseInner(text: unknown, what: string): unknown {
  if (typeof text !== 'string') gfail(GHR.INVALID_JSON, `${what} must be a JSON document in a string`);
  try {
    return JSON.parse(text);
  } catch (e) {
    return gfail(GHR.INVALID_JSON, `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Create: the null container (WCOW cold start) or a container (schema ≥ 2.1). */
export function create(os: GuestOs, t: GuestTable, containerId: string, doc: Obj): Obj {
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
  if (os === 'Linux') {
    const v = config.SchemaVersion;
    const major = isObj(v) && typeof v.Major === 'number' ? v.Major : 0;
    const minor = isObj(v) && typeof v.Minor === 'number' ? v.Minor : 0;
    if (major < 2 || (major === 2 && minor < 1))
      gfail(GHR.INVALID_JSON, `container schema version ${major}.${minor} is below 2.1`);
  }
  if (t.containers.has(containerId))
    gfail(GHR.SYSTEM_ALREADY_EXISTS, `container ${containerId} already exists`);
  t.containers.set(containerId, { id: containerId, state: 'Created', config, constraints: [] });
  return os === 'Linux' ? { SelectedProtocolVersion: 0 } : {};
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
  if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
  if (c.state === 'Exited') gfail(GHR.SYSTEM_ALREADY_STOPPED, `container ${containerId} has exited`);
  c.state = 'Running';
}

/** ShutdownGraceful / ShutdownForced of a container (not the null one: the agent powers off). */
export function shutdown(t: GuestTable, containerId: string): void {
  const c = t.containers.get(containerId);
  if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
  if (c.state === 'Exited') gfail(GHR.SYSTEM_ALREADY_STOPPED, `container ${containerId} is not running`);
  c.state = 'Exited';
}

export function deleteState(t: GuestTable, containerId: string): void {
  const c = t.containers.get(containerId);
  if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
  if (c.state !== 'Exited')
    gfail(GHR.INVALID_STATE, `container ${containerId} is still ${c.state.toLowerCase()}`);
  t.containers.delete(containerId);
}

export function getProperties(t: GuestTable, containerId: string, doc: Obj): Obj {
  if (doc.Query !== undefined && doc.Query !== null && doc.Query !== '') parseInner(doc.Query, 'Query');
  if (isNull(containerId)) gfail(GHR.E_FAIL, 'GetProperties is not supported on the utility VM');
  const c = t.containers.get(containerId);
  if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
  return { Properties: JSON.stringify({ ProcessList: [] }) };
}
