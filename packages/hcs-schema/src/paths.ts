/**
 * VirtualMachine resource paths of HcsModifyComputeSystem (§6a): one builder per path, the
 * inverse `parseResourcePath`, and a per-kind spec (settings schema, accepted RequestTypes).
 *
 * Every spliced argument is validated; a bad one throws `InvalidArgumentError` and no path is
 * built. Rules: integers are safe non-negative integers in range (no NaN, floats, strings);
 * GUIDs are bare `8-4-4-4-12` hex (braces rejected), any case, emitted in lower case; string
 * segments are non-empty and contain no `/`, `%`, control characters, nor `.`/`..` segments.
 * `parseResourcePath` applies the same rules (paths are matched case-sensitively) and returns
 * params exactly as spelled in the path (GUIDs are not re-cased).
 */
import { type TSchema, Type } from '@sinclair/typebox';
import { InvalidArgumentError } from './errors.js';
import { isGuid, ScsiControllerGuids } from './guid.js';
import {
  Attachment,
  ComPort,
  FlexibleIoDevice,
  HvSocketServiceConfig,
  NetworkAdapter,
  Plan9Share,
  SharedMemoryRegion,
  VirtualPciDevice,
  VirtualPMemDevice,
  VirtualPMemMapping,
  VirtualSmbShare,
} from './schema/devices.js';
import type { RequestType } from './schema/modify.js';
import {
  CpuFrequencyPowerCap,
  CpuGroup,
  GpuConfiguration,
  IdleProcessorsRequest,
  MemorySizeInMB,
  ProcessorLimits,
} from './schema/topology.js';

export type ResourceKind =
  | 'MemorySize'
  | 'CpuGroup'
  | 'ProcessorLimits'
  | 'IdledProcessors'
  | 'CpuFrequencyPowerCap'
  | 'Gpu'
  | 'ComPort'
  | 'FlexibleIov'
  | 'Licensing'
  | 'MappedPipe'
  | 'NetworkAdapter'
  | 'Plan9Share'
  | 'ScsiAttachment'
  | 'SharedMemoryRegion'
  | 'VirtualPci'
  | 'VPMemDevice'
  | 'VPMemMapping'
  | 'VsmbShare'
  | 'HvSocketService';

/**
 * What a resource path accepts.
 * - `settings`: schema of `Settings`; `undefined` = the request carries no Settings.
 * - `requestTypes`: accepted RequestTypes; `'any'` = all three. An absent RequestType means Update.
 * - `settingsOnRemove`: `true` = a Remove carries Settings identifying the resource (validated);
 *   `false` = Settings on Remove are ignored.
 */
export interface ResourcePathSpec {
  readonly settings: TSchema | undefined;
  readonly requestTypes: readonly RequestType[] | 'any';
  readonly settingsOnRemove: boolean;
}

export interface ResourcePathMatch {
  readonly kind: ResourceKind;
  readonly params: Record<string, string | number>;
  readonly spec: ResourcePathSpec;
}

/** Settings of `VirtualMachine/Devices/Licensing`: never documented, so anything is accepted. */
export const LicensingSettings = Type.Unknown({ description: 'Licensing settings (undocumented)' });

export const resourcePathSpecs: Readonly<Record<ResourceKind, ResourcePathSpec>> = {
  MemorySize: { settings: MemorySizeInMB, requestTypes: 'any', settingsOnRemove: false },
  CpuGroup: { settings: CpuGroup, requestTypes: 'any', settingsOnRemove: false },
  ProcessorLimits: { settings: ProcessorLimits, requestTypes: 'any', settingsOnRemove: false },
  IdledProcessors: { settings: IdleProcessorsRequest, requestTypes: ['Update'], settingsOnRemove: false },
  CpuFrequencyPowerCap: { settings: CpuFrequencyPowerCap, requestTypes: 'any', settingsOnRemove: false },
  Gpu: { settings: GpuConfiguration, requestTypes: ['Update'], settingsOnRemove: false },
  ComPort: { settings: ComPort, requestTypes: 'any', settingsOnRemove: false },
  FlexibleIov: { settings: FlexibleIoDevice, requestTypes: ['Add'], settingsOnRemove: false },
  Licensing: { settings: LicensingSettings, requestTypes: 'any', settingsOnRemove: false },
  MappedPipe: { settings: undefined, requestTypes: ['Add', 'Remove'], settingsOnRemove: false },
  NetworkAdapter: {
    settings: NetworkAdapter,
    requestTypes: ['Add', 'Remove', 'Update'],
    settingsOnRemove: true,
  },
  Plan9Share: { settings: Plan9Share, requestTypes: ['Add', 'Remove'], settingsOnRemove: true },
  ScsiAttachment: { settings: Attachment, requestTypes: ['Add', 'Remove'], settingsOnRemove: false },
  SharedMemoryRegion: { settings: SharedMemoryRegion, requestTypes: 'any', settingsOnRemove: true },
  VirtualPci: { settings: VirtualPciDevice, requestTypes: ['Add', 'Remove'], settingsOnRemove: false },
  VPMemDevice: { settings: VirtualPMemDevice, requestTypes: ['Add', 'Remove'], settingsOnRemove: false },
  VPMemMapping: { settings: VirtualPMemMapping, requestTypes: ['Add', 'Remove'], settingsOnRemove: false },
  VsmbShare: { settings: VirtualSmbShare, requestTypes: ['Add', 'Remove', 'Update'], settingsOnRemove: true },
  HvSocketService: {
    settings: HvSocketServiceConfig,
    requestTypes: ['Update', 'Remove'],
    settingsOnRemove: false,
  },
};

// ---------------------------------------------------------------------------------------------
// Argument validation, shared by builders and the parser: each returns the normalised value or
// the reason it was rejected.

type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

/** C0 and C1 control characters and DEL. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function intIn(value: unknown, min: number, max: number): Result<number> {
  if (typeof value !== 'number') return { ok: false, reason: 'must be a number' };
  if (!Number.isSafeInteger(value)) return { ok: false, reason: 'must be a safe integer' };
  if (value < min || value > max) return { ok: false, reason: `must be in ${min}..${max}` };
  return { ok: true, value: value === 0 ? 0 : value };
}

function guid(value: unknown): Result<string> {
  if (typeof value !== 'string') return { ok: false, reason: 'must be a string' };
  if (!isGuid(value))
    return { ok: false, reason: 'must be a bare GUID xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' };
  return { ok: true, value: value.toLowerCase() };
}

const SCSI_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * A SCSI controller key as a path segment: 1..64 characters of `[A-Za-z0-9_-]`, starting with a
 * letter or digit (a GUID, `"0"`, `"scsi-boot"`); never `.`/`..`, braces, `%`, `/`, nor a key
 * such as `__proto__`.
 */
function scsiControllerKey(value: unknown): Result<string> {
  if (typeof value !== 'string') return { ok: false, reason: 'must be a string' };
  if (!SCSI_KEY.test(value))
    return {
      ok: false,
      reason: 'must be 1..64 characters of A-Z a-z 0-9 _ - starting with a letter or digit',
    };
  return { ok: true, value };
}

/** Rules every spliced string must satisfy. */
function safeText(value: unknown): Result<string> {
  if (typeof value !== 'string') return { ok: false, reason: 'must be a string' };
  if (value === '') return { ok: false, reason: 'must not be empty' };
  if (value.includes('/')) return { ok: false, reason: 'must not contain "/"' };
  if (value.includes('%')) return { ok: false, reason: 'must not contain "%"' };
  if (hasControl(value)) return { ok: false, reason: 'must not contain control characters' };
  if (value === '.' || value === '..') return { ok: false, reason: 'must not be "." or ".."' };
  return { ok: true, value };
}

const IOV_NAME = /^[A-Za-z0-9._-]+$/;

function flexibleIovName(value: unknown): Result<string> {
  const base = safeText(value);
  if (!base.ok) return base;
  if (!IOV_NAME.test(base.value)) return { ok: false, reason: 'may only contain A-Z a-z 0-9 . _ -' };
  return base;
}

const PIPE_PREFIX = '\\\\.\\pipe\\';

function pipePath(value: unknown): Result<string> {
  const base = safeText(value);
  if (!base.ok) return base;
  if (!base.value.toLowerCase().startsWith(PIPE_PREFIX)) {
    return { ok: false, reason: 'must look like \\\\.\\pipe\\<name>' };
  }
  const name = base.value.slice(PIPE_PREFIX.length);
  if (name === '') return { ok: false, reason: 'pipe name must not be empty' };
  for (const seg of name.split('\\')) {
    if (seg === '' || seg === '.' || seg === '..') {
      return { ok: false, reason: 'pipe name must not contain empty, "." or ".." segments' };
    }
  }
  return base;
}

function shareName(value: unknown): Result<string> {
  if (typeof value !== 'string') return { ok: false, reason: 'must be a string' };
  if (value === '') return { ok: false, reason: 'must not be empty' };
  if (value === '.' || value === '..') return { ok: false, reason: 'must not be "." or ".."' };
  for (const c of ['/', '\\', '%']) {
    if (value.includes(c)) return { ok: false, reason: `must not contain ${JSON.stringify(c)}` };
  }
  if (hasControl(value)) return { ok: false, reason: 'must not contain control characters' };
  return { ok: true, value };
}

function need<T>(argument: string, value: unknown, result: Result<T>): T {
  if (!result.ok) throw new InvalidArgumentError(argument, value, result.reason);
  return result.value;
}

/**
 * Check one share name (a Plan 9 or VSMB share's `Name`: its identity in HCS and the name the
 * guest mounts): a non-empty string, not `.` or `..`, without `/`, `\\`, `%` or control
 * characters. Returns the name; throws `InvalidArgumentError` naming `argument` otherwise.
 */
export function checkShareName(name: unknown, argument: string): string {
  return need(argument, name, shareName(name));
}

const MAX_LUN = 63;
const MAX_VPMEM_DEVICE = 127;
const MAX_COM_PORT = 1;

// ---------------------------------------------------------------------------------------------
// Builders

const VM = 'VirtualMachine';
const TOPO = `${VM}/ComputeTopology`;
const DEV = `${VM}/Devices`;

/** `VirtualMachine/ComputeTopology/Memory/SizeInMB` (Settings: integer MB). */
export function memorySizePath(): string {
  return `${TOPO}/Memory/SizeInMB`;
}
/** `VirtualMachine/ComputeTopology/Processor/CpuGroup` (Settings: CpuGroup). */
export function cpuGroupPath(): string {
  return `${TOPO}/Processor/CpuGroup`;
}
/** `VirtualMachine/ComputeTopology/Processor/Limits` (Settings: ProcessorLimits). */
export function processorLimitsPath(): string {
  return `${TOPO}/Processor/Limits`;
}
/** `VirtualMachine/ComputeTopology/Processor/IdledProcessors` (Update; IdleProcessorsRequest). */
export function idledProcessorsPath(): string {
  return `${TOPO}/Processor/IdledProcessors`;
}
/** `VirtualMachine/ComputeTopology/Processor/CpuFrequencyPowerCap` (Settings: ULONG). */
export function cpuFrequencyPowerCapPath(): string {
  return `${TOPO}/Processor/CpuFrequencyPowerCap`;
}
/** `VirtualMachine/ComputeTopology/Gpu` (Update; GpuConfiguration). */
export function gpuPath(): string {
  return `${TOPO}/Gpu`;
}
/** `VirtualMachine/Devices/ComPorts/<index>`, index 0..1. */
export function comPortPath(index: number): string {
  return `${DEV}/ComPorts/${need('index', index, intIn(index, 0, MAX_COM_PORT))}`;
}
/** `VirtualMachine/Devices/FlexibleIov/<name>`, name of `[A-Za-z0-9._-]`, not `.`/`..`. */
export function flexibleIovPath(name: string): string {
  return `${DEV}/FlexibleIov/${need('name', name, flexibleIovName(name))}`;
}
/** `VirtualMachine/Devices/Licensing`. */
export function licensingPath(): string {
  return `${DEV}/Licensing`;
}
/** `VirtualMachine/Devices/MappedPipes/<hostPath>`; the host path looks like `\\.\pipe\<name>`. */
export function mappedPipePath(hostPath: string): string {
  return `${DEV}/MappedPipes/${need('hostPath', hostPath, pipePath(hostPath))}`;
}
/** `VirtualMachine/Devices/NetworkAdapters/<nicId>`; nicId is a GUID (lower-cased). */
export function networkAdapterPath(nicId: string): string {
  return `${DEV}/NetworkAdapters/${need('nicId', nicId, guid(nicId))}`;
}
/** `VirtualMachine/Devices/Plan9/Shares`. */
export function plan9SharesPath(): string {
  return `${DEV}/Plan9/Shares`;
}
/** `VirtualMachine/Devices/Scsi/<controller GUID>/Attachments/<lun>`; controller 0..3 (`ScsiControllerGuids`), lun 0..63. */
export function scsiAttachmentPath(controller: number, lun: number): string {
  const c = need('controller', controller, intIn(controller, 0, ScsiControllerGuids.length - 1));
  const l = need('lun', lun, intIn(lun, 0, MAX_LUN));
  return `${DEV}/Scsi/${ScsiControllerGuids[c]}/Attachments/${l}`;
}
/**
 * `VirtualMachine/Devices/Scsi/<key>/Attachments/<lun>` for a controller named by the key the
 * VM's `Devices.Scsi` map really uses (HCS takes any key; hcsshim named them `"0"`, `"1"`… for
 * years): 1..64 characters of `[A-Za-z0-9_-]` starting with a letter or digit; lun 0..63.
 */
export function scsiAttachmentPathByKey(key: string, lun: number): string {
  const k = need('controller', key, scsiControllerKey(key));
  const l = need('lun', lun, intIn(lun, 0, MAX_LUN));
  return `${DEV}/Scsi/${k}/Attachments/${l}`;
}
/** `VirtualMachine/Devices/SharedMemory/Regions`. */
export function sharedMemoryRegionsPath(): string {
  return `${DEV}/SharedMemory/Regions`;
}
/** `VirtualMachine/Devices/VirtualPci/<vmbusGuid>` (lower-cased). */
export function virtualPciPath(vmbusGuid: string): string {
  return `${DEV}/VirtualPci/${need('vmbusGuid', vmbusGuid, guid(vmbusGuid))}`;
}
/** `VirtualMachine/Devices/VirtualPMem/Devices/<deviceNumber>`, 0..127. */
export function vpmemDevicePath(deviceNumber: number): string {
  return `${DEV}/VirtualPMem/Devices/${need('deviceNumber', deviceNumber, intIn(deviceNumber, 0, MAX_VPMEM_DEVICE))}`;
}
/** `VirtualMachine/Devices/VirtualPMem/Devices/<deviceNumber>/Mappings/<offsetBytes>`. */
export function vpmemMappingPath(deviceNumber: number, offsetBytes: number): string {
  const d = need('deviceNumber', deviceNumber, intIn(deviceNumber, 0, MAX_VPMEM_DEVICE));
  const o = need('offsetBytes', offsetBytes, intIn(offsetBytes, 0, Number.MAX_SAFE_INTEGER));
  return `${DEV}/VirtualPMem/Devices/${d}/Mappings/${o}`;
}
/** `VirtualMachine/Devices/VirtualSmb/Shares`. */
export function vsmbSharesPath(): string {
  return `${DEV}/VirtualSmb/Shares`;
}
/** `VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/<serviceId>` (lower-cased GUID). */
export function hvSocketServicePath(serviceId: string): string {
  return `${DEV}/HvSocket/HvSocketConfig/ServiceTable/${need('serviceId', serviceId, guid(serviceId))}`;
}

// ---------------------------------------------------------------------------------------------
// Parser

type SlotParser = (segment: string) => string | number | undefined;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function decimal(max: number): SlotParser {
  return (segment) => {
    if (!DECIMAL.test(segment)) return undefined;
    const n = Number(segment);
    const r = intIn(n, 0, max);
    return r.ok ? r.value : undefined;
  };
}

function asIs(validate: (v: unknown) => Result<string>): SlotParser {
  return (segment) => (validate(segment).ok ? segment : undefined);
}

/** A template segment: a literal, or `{name}` parsed by a slot parser. */
interface Template {
  readonly kind: ResourceKind;
  readonly segments: readonly string[];
  readonly slots: Readonly<Record<string, SlotParser>>;
}

function template(kind: ResourceKind, path: string, slots: Record<string, SlotParser> = {}): Template {
  return { kind, segments: path.split('/'), slots };
}

const TEMPLATES: readonly Template[] = [
  template('MemorySize', memorySizePath()),
  template('CpuGroup', cpuGroupPath()),
  template('ProcessorLimits', processorLimitsPath()),
  template('IdledProcessors', idledProcessorsPath()),
  template('CpuFrequencyPowerCap', cpuFrequencyPowerCapPath()),
  template('Gpu', gpuPath()),
  template('ComPort', `${DEV}/ComPorts/{index}`, { index: decimal(MAX_COM_PORT) }),
  template('FlexibleIov', `${DEV}/FlexibleIov/{name}`, { name: asIs(flexibleIovName) }),
  template('Licensing', licensingPath()),
  template('MappedPipe', `${DEV}/MappedPipes/{hostPath}`, { hostPath: asIs(pipePath) }),
  template('NetworkAdapter', `${DEV}/NetworkAdapters/{nicId}`, { nicId: asIs(guid) }),
  template('Plan9Share', plan9SharesPath()),
  template('ScsiAttachment', `${DEV}/Scsi/{controller}/Attachments/{lun}`, {
    controller: asIs(scsiControllerKey),
    lun: decimal(MAX_LUN),
  }),
  template('SharedMemoryRegion', sharedMemoryRegionsPath()),
  template('VirtualPci', `${DEV}/VirtualPci/{vmbusGuid}`, { vmbusGuid: asIs(guid) }),
  template('VPMemDevice', `${DEV}/VirtualPMem/Devices/{deviceNumber}`, {
    deviceNumber: decimal(MAX_VPMEM_DEVICE),
  }),
  template('VPMemMapping', `${DEV}/VirtualPMem/Devices/{deviceNumber}/Mappings/{offset}`, {
    deviceNumber: decimal(MAX_VPMEM_DEVICE),
    offset: decimal(Number.MAX_SAFE_INTEGER),
  }),
  template('VsmbShare', vsmbSharesPath()),
  template('HvSocketService', `${DEV}/HvSocket/HvSocketConfig/ServiceTable/{serviceId}`, {
    serviceId: asIs(guid),
  }),
];

/**
 * Inverse of the builders: which resource a Modify `ResourcePath` addresses, its parameters and
 * spec. `undefined` for an unknown path or one whose parameters fail the builders' validation.
 * Params: ScsiAttachment `{controller, lun}` (controller = the controller key as in the path: a
 * GUID or any other safe key; whether the VM has it is the service's question),
 * VPMemMapping `{deviceNumber, offset}`, VPMemDevice `{deviceNumber}`, MappedPipe `{hostPath}`,
 * NetworkAdapter `{nicId}`, VirtualPci `{vmbusGuid}`, HvSocketService `{serviceId}`,
 * ComPort `{index}`, FlexibleIov `{name}`; integers as numbers.
 */
export function parseResourcePath(path: string): ResourcePathMatch | undefined {
  if (typeof path !== 'string' || path === '' || hasControl(path) || path.includes('%')) return undefined;
  const parts = path.split('/');
  outer: for (const t of TEMPLATES) {
    if (t.segments.length !== parts.length) continue;
    const params: Record<string, string | number> = {};
    for (let i = 0; i < parts.length; i++) {
      const want = t.segments[i]!;
      const got = parts[i]!;
      if (want.startsWith('{')) {
        const name = want.slice(1, -1);
        const value = t.slots[name]!(got);
        if (value === undefined) continue outer;
        params[name] = value;
      } else if (want !== got) {
        continue outer;
      }
    }
    return { kind: t.kind, params, spec: resourcePathSpecs[t.kind] };
  }
  return undefined;
}
