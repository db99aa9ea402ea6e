/**
 * The per-VM device table and the semantics of HcsModifyComputeSystem for every resource path of
 * hcs-api.md §6a. Configuration-backed resources live in the VM's current configuration (the
 * create document, modified in place); the few that have no place in a VirtualMachine document
 * (mapped pipes, GPU, idled processors, CPU frequency power cap, licensing) are kept beside it.
 * Every rejection throws an `HcsdFailure` and leaves the table untouched.
 */
import type { RequestType, ResourcePathMatch } from '@uvmkit/hcs-schema';
import { NULL_GUID, scsiControllerIndex } from '@uvmkit/hcs-schema';
import { fail, HR } from './errors.js';
import { isObj, type Obj, setOwn } from './json.js';

/** `parent[key]` as an object; created (and attached) when `create`, else `undefined` if absent. */
function child(parent: Obj | undefined, key: string, create: true): Obj;
function child(parent: Obj | undefined, key: string, create?: boolean): Obj | undefined;
function child(parent: Obj | undefined, key: string, create = false): Obj | undefined {
  if (parent === undefined) return undefined;
  const v = parent[key];
  if (isObj(v)) return v;
  if (!create) return undefined;
  const o: Obj = {};
  parent[key] = o;
  return o;
}

function list(parent: Obj | undefined, key: string, create: true): Obj[];
function list(parent: Obj | undefined, key: string, create?: boolean): Obj[] | undefined;
function list(parent: Obj | undefined, key: string, create = false): Obj[] | undefined {
  if (parent === undefined) return undefined;
  const v = parent[key];
  if (Array.isArray(v)) return v as Obj[];
  if (!create) return undefined;
  const a: Obj[] = [];
  parent[key] = a;
  return a;
}

/** Key of `map` equal to `key` ignoring case (GUIDs, pipe names), or `undefined`. */
function findKey(map: Obj | undefined, key: string): string | undefined {
  if (map === undefined) return undefined;
  if (Object.hasOwn(map, key)) return key;
  const lower = key.toLowerCase();
  for (const k of Object.keys(map)) if (k.toLowerCase() === lower) return k;
  return undefined;
}

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

/** A validated change to the table, applied when called. */
export type Commit = () => void;

/** What a VM's device table looks like through inspection. */
export interface DeviceTableSnapshot {
  scsi: Record<string, Record<string, unknown>>;
  networkAdapters: Record<string, unknown>;
  vpmem: { MaximumCount?: number; Devices: Record<string, unknown> } | null;
  plan9Shares: unknown[];
  vsmbShares: unknown[];
  virtualPci: Record<string, unknown>;
  hvSocketServices: Record<string, unknown>;
  comPorts: Record<string, unknown>;
  flexibleIov: Record<string, unknown>;
  sharedMemoryRegions: unknown[];
  mappedPipes: string[];
  memorySizeInMB: number | undefined;
  processor: Record<string, unknown>;
  idledProcessors: unknown;
  cpuFrequencyPowerCap: unknown;
  gpu: unknown;
  licensing: unknown;
}

export class DeviceTable {
  readonly #root: Obj;
  readonly #mappedPipes: string[] = [];
  #gpu: unknown;
  #idled: unknown;
  #powerCap: unknown;
  #licensing: unknown;

  constructor(config: Obj) {
    this.#root = config;
  }

  get #vm(): Obj | undefined {
    return child(this.#root, 'VirtualMachine');
  }
  #devices(create: true): Obj;
  #devices(create?: boolean): Obj | undefined;
  #devices(create = false): Obj | undefined {
    const vm = this.#vm;
    return create ? child(vm, 'Devices', true) : child(vm, 'Devices');
  }
  #topology(key: 'Memory' | 'Processor'): Obj {
    return child(child(this.#vm, 'ComputeTopology', true), key, true);
  }

  /** Apply one validated request at once (`prepare` and commit). */
  apply(match: ResourcePathMatch, requestType: RequestType, settings: unknown): void {
    this.prepare(match, requestType, settings)();
  }

  /**
   * Check one request against the table (`settings` has passed the path's schema, when it has
   * one) and return the change, to be committed once the engine has realized it. Throws the
   * rejection (`HcsdFailure`) without touching the table. A commit must run before any other
   * request is prepared on this table (the service's per-system queue guarantees it).
   */
  prepare(match: ResourcePathMatch, requestType: RequestType, settings: unknown): Commit {
    const p = match.params;
    const s = settings as Obj;
    switch (match.kind) {
      case 'ScsiAttachment':
        return this.#scsi(String(p.controller), Number(p.lun), requestType, s);
      case 'NetworkAdapter':
        return this.#keyed(
          this.#devices(),
          'NetworkAdapters',
          String(p.nicId),
          requestType,
          s,
          'network adapter',
        );
      case 'VirtualPci':
        return this.#keyed(
          this.#devices(),
          'VirtualPci',
          String(p.vmbusGuid),
          requestType,
          s,
          'virtual PCI device',
        );
      case 'ComPort':
        return this.#keyed(this.#devices(), 'ComPorts', String(p.index), requestType, s, 'COM port');
      case 'FlexibleIov':
        return this.#keyed(
          this.#devices(),
          'FlexibleIov',
          String(p.name),
          requestType,
          s,
          'flexible IOV device',
        );
      case 'VPMemDevice':
        return this.#vpmemDevice(Number(p.deviceNumber), requestType, s);
      case 'VPMemMapping':
        return this.#vpmemMapping(Number(p.deviceNumber), Number(p.offset), requestType, s);
      case 'Plan9Share':
        return this.#named(['Plan9'], 'Shares', 'Name', requestType, s, 'Plan 9 share');
      case 'VsmbShare':
        if (requestType === 'Update') {
          return this.#vsmbUpdate(s);
        }
        return this.#named(['VirtualSmb'], 'Shares', 'Name', requestType, s, 'VSMB share');
      case 'SharedMemoryRegion':
        return this.#named(
          ['SharedMemory'],
          'Regions',
          'SectionName',
          requestType,
          s,
          'shared memory region',
        );
      case 'HvSocketService':
        return this.#hvSocket(String(p.serviceId), requestType, s);
      case 'MappedPipe':
        return this.#mappedPipe(String(p.hostPath), requestType);
      case 'MemorySize':
        noRemove(requestType, 'memory size');
        return () => {
          this.#topology('Memory').SizeInMB = settings;
        };
      case 'CpuGroup': {
        noRemove(requestType, 'CPU group');
        return () => {
          const proc = this.#topology('Processor');
          const id = String(s.Id);
          if (id.toLowerCase() === NULL_GUID) delete proc.CpuGroup;
          else proc.CpuGroup = { Id: id };
        };
      }
      case 'ProcessorLimits': {
        noRemove(requestType, 'processor limits');
        return () => {
          const proc = this.#topology('Processor');
          for (const k of ['Limit', 'Weight', 'Reservation', 'MaximumFrequencyMHz']) {
            if (s[k] !== undefined) proc[k] = s[k];
          }
        };
      }
      case 'IdledProcessors': {
        const count = child(child(this.#vm, 'ComputeTopology'), 'Processor')?.Count;
        const idle = s.IdleProcessorCount;
        if (typeof count === 'number' && typeof idle === 'number' && idle > count) {
          fail(HR.E_BOUNDS, `IdleProcessorCount ${idle} exceeds the VM's processor count ${count}`);
        }
        return () => {
          this.#idled = clone(settings);
        };
      }
      case 'CpuFrequencyPowerCap':
        noRemove(requestType, 'CPU frequency power cap');
        return () => {
          this.#powerCap = settings;
        };
      case 'Gpu':
        return () => {
          this.#gpu = clone(settings);
        };
      case 'Licensing':
        return () => {
          this.#licensing = requestType === 'Remove' ? undefined : clone(settings);
        };
    }
  }

  #scsi(controller: string, lun: number, rt: RequestType, settings: Obj): Commit {
    const scsi = child(this.#devices(), 'Scsi');
    const key = findKey(scsi, controller);
    if (key === undefined) {
      fail(HR.ERROR_DEV_NOT_EXIST, `SCSI controller ${controller} is not configured on this VM`);
    }
    const ctrl = child(scsi, key);
    const slot = String(lun);
    const atts = child(ctrl, 'Attachments');
    if (rt === 'Add') {
      if (atts !== undefined && Object.hasOwn(atts, slot)) {
        fail(HR.ERROR_ALREADY_EXISTS, `SCSI controller ${key} LUN ${lun} is already occupied`);
      }
      return () => {
        child(child(scsi, key, true), 'Attachments', true)[slot] = clone(settings);
      };
    }
    if (atts === undefined || !Object.hasOwn(atts, slot)) {
      fail(HR.ERROR_NOT_FOUND, `SCSI controller ${key} LUN ${lun} has no attachment`);
    }
    return () => {
      delete atts[slot];
    };
  }

  /** A map of devices keyed by id (case-insensitive match): Add / Remove / Update (replace). */
  #keyed(
    parent: Obj | undefined,
    mapKey: string,
    id: string,
    rt: RequestType,
    settings: Obj,
    what: string,
  ): Commit {
    const map = child(parent, mapKey);
    const existing = findKey(map, id);
    if (rt === 'Add') {
      if (existing !== undefined) fail(HR.ERROR_ALREADY_EXISTS, `${what} ${id} already exists`);
      return () => setOwn(child(parent ?? this.#devices(true), mapKey, true), id, clone(settings));
    }
    if (existing === undefined || map === undefined) fail(HR.ERROR_NOT_FOUND, `${what} ${id} does not exist`);
    if (rt === 'Remove')
      return () => {
        delete map[existing];
      };
    return () => setOwn(map, existing, clone(settings));
  }

  #vpmemController(): Obj {
    const ctrl = child(this.#devices(), 'VirtualPMem');
    if (ctrl === undefined) fail(HR.ERROR_DEV_NOT_EXIST, 'this VM has no VirtualPMem controller');
    return ctrl;
  }

  #vpmemDevice(n: number, rt: RequestType, settings: Obj): Commit {
    const ctrl = this.#vpmemController();
    const max = ctrl.MaximumCount;
    if (rt === 'Add' && typeof max === 'number' && n >= max) {
      fail(HR.E_BOUNDS, `VPMem device number ${n} is not below the controller's MaximumCount ${max}`);
    }
    return this.#keyed(ctrl, 'Devices', String(n), rt, settings, 'VPMem device');
  }

  #vpmemMapping(n: number, offset: number, rt: RequestType, settings: Obj): Commit {
    const ctrl = this.#vpmemController();
    const dev = child(child(ctrl, 'Devices'), String(n));
    if (dev === undefined) fail(HR.ERROR_NOT_FOUND, `VPMem device ${n} does not exist`);
    return this.#keyed(dev, 'Mappings', String(offset), rt, settings, `VPMem device ${n} mapping at offset`);
  }

  /** An array of entries identified by `nameKey` under Devices.<path…>.<arrayKey>. */
  #named(
    path: string[],
    arrayKey: string,
    nameKey: string,
    rt: RequestType,
    settings: Obj,
    what: string,
  ): Commit {
    let parent = this.#devices();
    for (const k of path) parent = child(parent, k);
    const arr = list(parent, arrayKey);
    const name = settings[nameKey];
    const index = arr === undefined ? -1 : arr.findIndex((e) => isObj(e) && e[nameKey] === name);
    if (rt === 'Add') {
      if (index >= 0) fail(HR.ERROR_ALREADY_EXISTS, `${what} ${JSON.stringify(name)} already exists`);
      return () => {
        let p = this.#devices(true);
        for (const k of path) p = child(p, k, true);
        list(p, arrayKey, true).push(clone(settings));
      };
    }
    if (index < 0 || arr === undefined)
      fail(HR.ERROR_NOT_FOUND, `${what} ${JSON.stringify(name)} does not exist`);
    return () => {
      if (rt === 'Remove') arr.splice(index, 1);
      else arr[index] = clone(settings);
    };
  }

  #vsmbUpdate(settings: Obj): Commit {
    const arr = list(child(this.#devices(), 'VirtualSmb'), 'Shares');
    const share = arr?.find((e) => isObj(e) && e.Name === settings.Name);
    if (share === undefined) {
      fail(HR.ERROR_NOT_FOUND, `VSMB share ${JSON.stringify(settings.Name)} does not exist`);
    }
    const options = child(share, 'Options');
    if (options?.RestrictFileAccess !== true) {
      fail(
        HR.ERROR_INVALID_OPERATION,
        `VSMB share ${JSON.stringify(settings.Name)} was not added with Options.RestrictFileAccess; only its AllowedFiles can be updated and only then`,
      );
    }
    return () => {
      if (settings.AllowedFiles === undefined) delete share.AllowedFiles;
      else share.AllowedFiles = clone(settings.AllowedFiles);
    };
  }

  #hvSocket(serviceId: string, rt: RequestType, settings: Obj): Commit {
    const table = child(child(child(this.#devices(), 'HvSocket'), 'HvSocketConfig'), 'ServiceTable');
    const existing = findKey(table, serviceId);
    if (rt === 'Remove') {
      if (existing === undefined || table === undefined) {
        fail(HR.ERROR_NOT_FOUND, `HvSocket service ${serviceId} is not in the service table`);
      }
      return () => {
        delete table[existing];
      };
    }
    const empty = (v: unknown): boolean => v === undefined || v === '';
    if (
      existing !== undefined &&
      table !== undefined &&
      settings.Disabled === true &&
      empty(settings.BindSecurityDescriptor) &&
      empty(settings.ConnectSecurityDescriptor)
    ) {
      return () => {
        delete table[existing];
      };
    }
    return () => {
      const t = child(
        child(child(this.#devices(true), 'HvSocket', true), 'HvSocketConfig', true),
        'ServiceTable',
        true,
      );
      t[existing ?? serviceId] = clone(settings);
    };
  }

  #mappedPipe(hostPath: string, rt: RequestType): Commit {
    const lower = hostPath.toLowerCase();
    const index = this.#mappedPipes.findIndex((p) => p.toLowerCase() === lower);
    if (rt === 'Add') {
      if (index >= 0) fail(HR.ERROR_ALREADY_EXISTS, `mapped pipe ${hostPath} already exists`);
      return () => {
        this.#mappedPipes.push(hostPath);
      };
    }
    if (index < 0) fail(HR.ERROR_NOT_FOUND, `mapped pipe ${hostPath} does not exist`);
    return () => {
      this.#mappedPipes.splice(index, 1);
    };
  }

  // ---- read-only lookups for the emulated guest agent (host/guest consistency) ----

  /**
   * The key of the controller the guest numbers `ScsiControllerGuids[n]`: that GUID when the VM
   * uses it, else the key `"n"` (hcsshim's old naming), else `undefined`.
   */
  #scsiKey(scsi: Obj | undefined, controllerGuid: string): string | undefined {
    const key = findKey(scsi, controllerGuid);
    if (key !== undefined) return key;
    const n = scsiControllerIndex(controllerGuid);
    return n === undefined ? undefined : findKey(scsi, String(n));
  }

  /** The attachment object at (controller GUID, LUN), or `undefined`. Identity changes on re-add. */
  scsiAttachment(controllerGuid: string, lun: number): Obj | undefined {
    const scsi = child(this.#devices(), 'Scsi');
    const key = this.#scsiKey(scsi, controllerGuid);
    if (key === undefined) return undefined;
    return child(child(child(scsi, key), 'Attachments'), String(lun));
  }

  /** Whether the VM's configuration has the SCSI controller `controllerGuid`. */
  hasScsiController(controllerGuid: string): boolean {
    return this.#scsiKey(child(this.#devices(), 'Scsi'), controllerGuid) !== undefined;
  }

  /** The VPMem device `n`, or `undefined`. */
  vpmemDevice(n: number): Obj | undefined {
    return child(child(child(this.#devices(), 'VirtualPMem'), 'Devices'), String(n));
  }

  /** The mapping of VPMem device `n` at `offset`, or `undefined`. */
  vpmemMapping(n: number, offset: number): Obj | undefined {
    return child(child(this.vpmemDevice(n), 'Mappings'), String(offset));
  }

  /** The Plan 9 share whose `Name` or `AccessName` is `name`, or `undefined`. */
  plan9Share(name: string): Obj | undefined {
    const arr = list(child(this.#devices(), 'Plan9'), 'Shares');
    return arr?.find((e) => isObj(e) && (e.Name === name || e.AccessName === name));
  }

  /** The VSMB share whose `Path` is `path` (case-insensitive) or whose `Name` is `name`. */
  vsmbShare(by: { path?: string; name?: string }): Obj | undefined {
    const arr = list(child(this.#devices(), 'VirtualSmb'), 'Shares');
    const p = by.path?.toLowerCase();
    return arr?.find(
      (e) =>
        isObj(e) &&
        ((p !== undefined && typeof e.Path === 'string' && e.Path.toLowerCase() === p) ||
          (by.name !== undefined && e.Name === by.name)),
    );
  }

  /** The VirtualPci device keyed by `vmbusGuid` (case-insensitive), or `undefined`. */
  virtualPci(vmbusGuid: string): Obj | undefined {
    const map = child(this.#devices(), 'VirtualPci');
    const key = findKey(map, vmbusGuid);
    return key === undefined ? undefined : child(map, key);
  }

  /** The network adapter keyed by `nicId` (case-insensitive), or `undefined`. */
  networkAdapter(nicId: string): Obj | undefined {
    const map = child(this.#devices(), 'NetworkAdapters');
    const key = findKey(map, nicId);
    return key === undefined ? undefined : child(map, key);
  }

  /** A deep copy of the table as inspection shows it. */
  snapshot(): DeviceTableSnapshot {
    const d = this.#devices();
    const scsi: Record<string, Record<string, unknown>> = {};
    for (const [k, v] of Object.entries(child(d, 'Scsi') ?? {})) {
      scsi[k] = clone(isObj(v) && isObj(v.Attachments) ? v.Attachments : {});
    }
    const vp = child(d, 'VirtualPMem');
    const topo = child(this.#vm, 'ComputeTopology');
    const memory = child(topo, 'Memory');
    return {
      scsi,
      networkAdapters: clone(child(d, 'NetworkAdapters') ?? {}),
      vpmem:
        vp === undefined
          ? null
          : {
              ...(typeof vp.MaximumCount === 'number' ? { MaximumCount: vp.MaximumCount } : {}),
              Devices: clone(child(vp, 'Devices') ?? {}),
            },
      plan9Shares: clone(list(child(d, 'Plan9'), 'Shares') ?? []),
      vsmbShares: clone(list(child(d, 'VirtualSmb'), 'Shares') ?? []),
      virtualPci: clone(child(d, 'VirtualPci') ?? {}),
      hvSocketServices: clone(child(child(child(d, 'HvSocket'), 'HvSocketConfig'), 'ServiceTable') ?? {}),
      comPorts: clone(child(d, 'ComPorts') ?? {}),
      flexibleIov: clone(child(d, 'FlexibleIov') ?? {}),
      sharedMemoryRegions: clone(list(child(d, 'SharedMemory'), 'Regions') ?? []),
      mappedPipes: [...this.#mappedPipes],
      memorySizeInMB: typeof memory?.SizeInMB === 'number' ? memory.SizeInMB : undefined,
      processor: clone(child(topo, 'Processor') ?? {}),
      idledProcessors: clone(this.#idled),
      cpuFrequencyPowerCap: this.#powerCap,
      gpu: clone(this.#gpu),
      licensing: clone(this.#licensing),
    };
  }
}

function noRemove(rt: RequestType, what: string): void {
  if (rt === 'Remove') fail(HR.ERROR_NOT_SUPPORTED, `${what} cannot be removed (use Update)`);
}
