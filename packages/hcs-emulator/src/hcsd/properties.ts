/**
 * Property documents (hcs-api.md §7): the basic `Properties` of a system, the V2 `PropertyTypes`
 * additions, V3 `Queries` → `PropertyResponses`, and the `SystemQuery` filter of Enumerate.
 */
import type { PropertyQuery, SystemQuery } from '@uvmkit/hcs-schema';
import type { EngineStatistics } from './engine.js';
import { HR, toInt32 } from './errors.js';
import { isObj, type Obj, setOwn } from './json.js';
import type { ComputeSystemRecord } from './system.js';

/** `Linux` for a VM booting LinuxKernelDirect (or whose Uefi boots a VmbFs/File Linux hint), `Windows` otherwise; HostedSystem: `Unknown`. */
export function runtimeOsType(sys: ComputeSystemRecord): 'Linux' | 'Windows' | 'Unknown' {
  if (sys.kind === 'HostedSystem') return 'Unknown';
  if (sys.kind === 'Container') return 'Windows';
  const vm = sys.config.VirtualMachine;
  const chipset = isObj(vm) ? vm.Chipset : undefined;
  if (isObj(chipset) && isObj(chipset.LinuxKernelDirect)) return 'Linux';
  return 'Windows';
}

export function systemType(sys: ComputeSystemRecord): 'VirtualMachine' | 'Container' {
  return sys.kind === 'VirtualMachine' ? 'VirtualMachine' : 'Container';
}

/** The fields every Properties document carries (also the Enumerate entries). */
export function basicProperties(sys: ComputeSystemRecord): Obj {
  const p: Obj = {
    Id: sys.id,
    SystemType: systemType(sys),
    RuntimeOsType: runtimeOsType(sys),
    Name: sys.id,
  };
  if (sys.owner !== undefined) p.Owner = sys.owner;
  p.RuntimeId = sys.runtimeId;
  p.State = sys.state;
  p.Stopped = sys.state === 'Stopped';
  if (sys.exit !== undefined) p.ExitType = sys.exit.ExitType;
  if (typeof sys.config.HostingSystemId === 'string') p.HostingSystemId = sys.config.HostingSystemId;
  return p;
}

const TICKS_PER_MS = 10_000;

function memorySizeMB(sys: ComputeSystemRecord): number {
  const vm = sys.config.VirtualMachine;
  const topo = isObj(vm) ? vm.ComputeTopology : undefined;
  const mem = isObj(topo) ? topo.Memory : undefined;
  return isObj(mem) && typeof mem.SizeInMB === 'number' ? mem.SizeInMB : 0;
}

function processorCount(sys: ComputeSystemRecord): number {
  const vm = sys.config.VirtualMachine;
  const topo = isObj(vm) ? vm.ComputeTopology : undefined;
  const proc = isObj(topo) ? topo.Processor : undefined;
  return isObj(proc) && typeof proc.Count === 'number' ? proc.Count : 1;
}

/**
 * Statistics: uptime since Start (0 before). The engine's figures where it measures them (qemu:
 * the QEMU process); otherwise synthetic processor time (25 % of uptime per VP) and memory.
 */
function statistics(sys: ComputeSystemRecord, now: number, measured?: EngineStatistics): Obj {
  const end = sys.stoppedAt ?? now;
  const uptime = sys.startedAt === undefined ? 0 : Math.max(0, end - sys.startedAt) * TICKS_PER_MS;
  const total = measured?.processorTime100ns ?? Math.floor((uptime * processorCount(sys)) / 4);
  const bytes = measured?.memoryBytes ?? (memorySizeMB(sys) * 1024 * 1024) / 2;
  return {
    Timestamp: new Date(now).toISOString(),
    ContainerStartTime: new Date(sys.startedAt ?? sys.createdAt).toISOString(),
    Uptime100ns: uptime,
    Processor: {
      TotalRuntime100ns: total,
      RuntimeUser100ns: Math.floor(total / 2),
      RuntimeKernel100ns: total - Math.floor(total / 2),
    },
    Memory: {
      MemoryUsageCommitBytes: Math.floor(bytes),
      MemoryUsageCommitPeakBytes: Math.floor(bytes),
      MemoryUsagePrivateWorkingSetBytes: Math.floor(bytes / 2),
    },
  };
}

/** MemoryInformationForVm; memory amounts in MB (emulator choice). */
function memoryInformation(sys: ComputeSystemRecord): Obj {
  const mb = memorySizeMB(sys);
  return {
    VirtualNodeCount: 1,
    VirtualMachineMemory: {
      AvailableMemory: Math.floor(mb / 2),
      AvailableMemoryBuffer: 0,
      ReservedMemory: 0,
      AssignedMemory: mb,
      SlpActive: false,
      BalancingEnabled: false,
      DmOperationInProgress: false,
    },
    VirtualNodes: [
      {
        VirtualNodeIndex: 0,
        PhysicalNodeNumber: 0,
        VirtualProcessorCount: processorCount(sys),
        MemoryUsageInPages: Math.floor((mb * 1024 * 1024) / 4096),
      },
    ],
  };
}

function guestConnection(): Obj {
  return {
    SupportedSchemaVersions: [{ Major: 2, Minor: 1 }],
    ProtocolVersion: 4,
    GuestDefinedCapabilities: {},
  };
}

function sharedMemoryRegions(sys: ComputeSystemRecord): Obj[] {
  const regions = sys.devices.snapshot().sharedMemoryRegions as Obj[];
  return regions.map((r, i) => ({
    SectionName: r.SectionName,
    GuestPhysicalAddress:
      0x1_0000_0000 + i * 0x1000_0000 + (typeof r.StartOffset === 'number' ? r.StartOffset : 0),
  }));
}

/** Value of one property type, and the Properties key it goes under. `undefined` = nothing to report. */
function propertyOf(
  sys: ComputeSystemRecord,
  type: string,
  now: number,
  measured: EngineStatistics | undefined,
): [string, unknown] | undefined {
  switch (type) {
    case 'Memory':
      return sys.kind === 'VirtualMachine' ? ['Memory', memoryInformation(sys)] : undefined;
    case 'Statistics':
      return ['Statistics', statistics(sys, now, measured)];
    case 'ProcessList':
      return ['ProcessList', []];
    case 'TerminateOnLastHandleClosed':
      return ['TerminateOnLastHandleClosed', sys.terminateOnLastHandleClosed];
    case 'SharedMemoryRegion':
      return ['SharedMemoryRegionInfo', sharedMemoryRegions(sys)];
    case 'GuestConnection':
      return sys.state === 'Running' || sys.state === 'Paused'
        ? ['GuestConnectionInfo', guestConnection()]
        : undefined;
    case 'SystemGUID':
      return ['SystemGUID', sys.runtimeId];
    case 'CpuGroup': {
      const proc = sys.devices.snapshot().processor;
      return ['CpuGroup', proc.CpuGroup ?? null];
    }
    default:
      // GuestMemory, ContainerCredentialGuard, ICHeartbeatStatus, ProcessorTopology: not emulated.
      return undefined;
  }
}

/** V3 query names hcsd answers besides the PropertyType names. */
function v3Response(
  sys: ComputeSystemRecord,
  name: string,
  now: number,
  measured: EngineStatistics | undefined,
): Obj {
  if (name === 'CompatibilityInfo') {
    const data = Buffer.from(JSON.stringify({ RuntimeId: sys.runtimeId, Emulated: true })).toString('base64');
    return { Response: { Data: data } };
  }
  const v = propertyOf(sys, name, now, measured);
  if (v !== undefined) return { Response: v[1] };
  return {
    Error: {
      Error: toInt32(HR.ERROR_NOT_SUPPORTED),
      ErrorMessage: `property query ${JSON.stringify(name)} is not supported`,
    },
  };
}

/** Whether answering `query` needs the engine's measured statistics. */
export function wantsStatistics(query: PropertyQuery | undefined): boolean {
  return (
    query !== undefined &&
    ((query.PropertyTypes ?? []).includes('Statistics') ||
      (query.Queries !== undefined && Object.hasOwn(query.Queries, 'Statistics')))
  );
}

/** Properties for a validated query (absent or `{}` = basic only). */
export function queryProperties(
  sys: ComputeSystemRecord,
  query: PropertyQuery | undefined,
  measured?: EngineStatistics,
): Obj {
  const props = basicProperties(sys);
  if (query === undefined) return props;
  const now = Date.now();
  for (const type of query.PropertyTypes ?? []) {
    const v = propertyOf(sys, type, now, measured);
    if (v !== undefined && v[0] !== 'CpuGroup') props[v[0]] = v[1];
  }
  if (query.Queries !== undefined) {
    const responses: Obj = {};
    for (const name of Object.keys(query.Queries))
      setOwn(responses, name, v3Response(sys, name, now, measured));
    props.PropertyResponses = responses;
  }
  return props;
}

/** Whether `sys` passes every non-empty filter of `query` (Owners compared case-insensitively). */
export function matchesQuery(sys: ComputeSystemRecord, query: SystemQuery | undefined): boolean {
  if (query === undefined) return true;
  if (query.Ids !== undefined && query.Ids.length > 0 && !query.Ids.includes(sys.id)) return false;
  if (query.Names !== undefined && query.Names.length > 0 && !query.Names.includes(sys.id)) return false;
  if (query.Types !== undefined && query.Types.length > 0 && !query.Types.includes(systemType(sys)))
    return false;
  if (query.Owners !== undefined && query.Owners.length > 0) {
    const owner = sys.owner?.toLowerCase();
    if (owner === undefined || !query.Owners.some((o) => o.toLowerCase() === owner)) return false;
  }
  return true;
}
