/**
 * VirtualMachine resource paths of HcsModifyComputeSystem (§6a): one builder per path, returning
 * a typed descriptor (kind, params, spec, rendered path); the inverse `parseResourcePath` for
 * untyped input; and a per-kind spec (settings schema, accepted RequestTypes), typed by
 * `ResourceKindMap` and given at run time by `resourcePathSpecs`.
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

/** A resource path with no parameters. */
export type NoParams = Record<string, never>;

/**
 * What each resource kind is at the type level: `params` (as the descriptor and
 * `parseResourcePath` give them), `settings` (the type of `Settings`; `never` = the request
 * carries none, `unknown` = undocumented), `requestTypes` (those accepted; an absent RequestType
 * means Update) and `settingsOnRemove` (whether a Remove carries Settings identifying the
 * resource). `resourcePathSpecs` is the same table at run time.
 */
export interface ResourceKindMap {
  /** `VirtualMachine/ComputeTopology/Memory/SizeInMB`. */
  MemorySize: {
    params: NoParams;
    settings: MemorySizeInMB;
    requestTypes: RequestType;
    settingsOnRemove: false;
  };
  /** `VirtualMachine/ComputeTopology/Processor/CpuGroup`. */
  CpuGroup: { params: NoParams; settings: CpuGroup; requestTypes: RequestType; settingsOnRemove: false };
  /** `VirtualMachine/ComputeTopology/Processor/Limits`. */
  ProcessorLimits: {
    params: NoParams;
    settings: ProcessorLimits;
    requestTypes: RequestType;
    settingsOnRemove: false;
  };
  /** `VirtualMachine/ComputeTopology/Processor/IdledProcessors`. */
  IdledProcessors: {
    params: NoParams;
    settings: IdleProcessorsRequest;
    requestTypes: 'Update';
    settingsOnRemove: false;
  };
  /** `VirtualMachine/ComputeTopology/Processor/CpuFrequencyPowerCap`. */
  CpuFrequencyPowerCap: {
    params: NoParams;
    settings: CpuFrequencyPowerCap;
    requestTypes: RequestType;
    settingsOnRemove: false;
  };
  /** `VirtualMachine/ComputeTopology/Gpu`. */
  Gpu: { params: NoParams; settings: GpuConfiguration; requestTypes: 'Update'; settingsOnRemove: false };
  /** `VirtualMachine/Devices/ComPorts/<index>`. */
  ComPort: {
    params: { index: number };
    settings: ComPort;
    requestTypes: RequestType;
    settingsOnRemove: false;
  };
  /** `VirtualMachine/Devices/FlexibleIov/<name>`. */
  FlexibleIov: {
    params: { name: string };
    settings: FlexibleIoDevice;
    requestTypes: 'Add';
    settingsOnRemove: false;
  };
  /** `VirtualMachine/Devices/Licensing`. */
  Licensing: { params: NoParams; settings: unknown; requestTypes: RequestType; settingsOnRemove: false };
  /** `VirtualMachine/Devices/MappedPipes/<hostPath>`. */
  MappedPipe: {
    params: { hostPath: string };
    settings: never;
    requestTypes: 'Add' | 'Remove';
    settingsOnRemove: false;
  };
  /** `VirtualMachine/Devices/NetworkAdapters/<nicId>`. */
  NetworkAdapter: {
    params: { nicId: string };
    settings: NetworkAdapter;
    requestTypes: 'Add' | 'Remove' | 'Update';
    settingsOnRemove: true;
  };
  /** `VirtualMachine/Devices/Plan9/Shares`. */
  Plan9Share: {
    params: NoParams;
    settings: Plan9Share;
    requestTypes: 'Add' | 'Remove';
    settingsOnRemove: true;
  };
  /** `VirtualMachine/Devices/Scsi/<controller>/Attachments/<lun>`. */
  ScsiAttachment: {
    params: { controller: string; lun: number };
    settings: Attachment;
    requestTypes: 'Add' | 'Remove';
    settingsOnRemove: false;
  };
  /** `VirtualMachine/Devices/SharedMemory/Regions`. */
  SharedMemoryRegion: {
    params: NoParams;
    settings: SharedMemoryRegion;
    requestTypes: RequestType;
    settingsOnRemove: true;
  };
  /** `VirtualMachine/Devices/VirtualPci/<vmbusGuid>`. */
  VirtualPci: {
    params: { vmbusGuid: string };
    settings: VirtualPciDevice;
    requestTypes: 'Add' | 'Remove';
    settingsOnRemove: false;
  };
  /** `VirtualMachine/Devices/VirtualPMem/Devices/<deviceNumber>`. */
  VPMemDevice: {
    params: { deviceNumber: number };
    settings: VirtualPMemDevice;
    requestTypes: 'Add' | 'Remove';
    settingsOnRemove: false;
  };
  /** `VirtualMachine/Devices/VirtualPMem/Devices/<deviceNumber>/Mappings/<offset>`. */
  VPMemMapping: {
    params: { deviceNumber: number; offset: number };
    settings: VirtualPMemMapping;
    requestTypes: 'Add' | 'Remove';
    settingsOnRemove: false;
  };
  /** `VirtualMachine/Devices/VirtualSmb/Shares`. */
  VsmbShare: {
    params: NoParams;
    settings: VirtualSmbShare;
    requestTypes: 'Add' | 'Remove' | 'Update';
    settingsOnRemove: true;
  };
  /** `VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/<serviceId>`. */
  HvSocketService: {
    params: { serviceId: string };
    settings: HvSocketServiceConfig;
    requestTypes: 'Update' | 'Remove';
    settingsOnRemove: false;
  };
}

/** The kinds of VirtualMachine resource a Modify `ResourcePath` can address. */
export type ResourceKind = keyof ResourceKindMap;

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

/** What `parseResourcePath` found: the kind, its parameters as spelled in the path, its spec. */
export interface ResourcePathMatch {
  readonly kind: ResourceKind;
  readonly params: Record<string, string | number>;
  readonly spec: ResourcePathSpec;
}

/**
 * What a path builder returns: the resource `kind`, its `params` (validated and normalised, as
 * `parseResourcePath` would give them back), its `spec` (`resourcePathSpecs[kind]`) and the
 * rendered `path`. Frozen. A request built from it (`modifySettingRequest`) is validated against
 * `spec` without parsing `path` back.
 */
export interface ResourcePathDescriptor<K extends ResourceKind = ResourceKind> {
  readonly kind: K;
  readonly params: Readonly<ResourceKindMap[K]['params']>;
  readonly spec: ResourcePathSpec;
  readonly path: string;
}

/** Settings of `VirtualMachine/Devices/Licensing`: never documented, so anything is accepted. */
export const LicensingSettings = Type.Unknown({ description: 'Licensing settings (undocumented)' });

/** Per resource kind, what its path accepts (the run-time side of {@link ResourceKindMap}). */
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
// Builders: each returns a frozen descriptor (kind, params as spelled in the path, spec, path).

const VM = 'VirtualMachine';
const TOPO = `${VM}/ComputeTopology`;
const DEV = `${VM}/Devices`;

/** Descriptors made by the builders below (a request carrying one needs no parse-back). */
const built = new WeakSet<object>();

function makeDescriptor<K extends ResourceKind>(
  kind: K,
  params: ResourceKindMap[K]['params'],
  path: string,
): ResourcePathDescriptor<K> {
  const descriptor: ResourcePathDescriptor<K> = Object.freeze({
    kind,
    params: Object.freeze(params),
    spec: resourcePathSpecs[kind],
    path,
  });
  built.add(descriptor);
  return descriptor;
}

/**
 * Whether `value` is a descriptor one of this copy's builders made (and so its `path`, `kind`
 * and `params` agree). A look-alike object, or one from another copy of the package, is not.
 */
export function isResourcePathDescriptor(value: unknown): value is ResourcePathDescriptor {
  return typeof value === 'object' && value !== null && built.has(value);
}

/** `VirtualMachine/ComputeTopology/Memory/SizeInMB` (Settings: integer MB). */
export function memorySizePath(): ResourcePathDescriptor<'MemorySize'> {
  return makeDescriptor('MemorySize', {}, `${TOPO}/Memory/SizeInMB`);
}
/** `VirtualMachine/ComputeTopology/Processor/CpuGroup` (Settings: CpuGroup). */
export function cpuGroupPath(): ResourcePathDescriptor<'CpuGroup'> {
  return makeDescriptor('CpuGroup', {}, `${TOPO}/Processor/CpuGroup`);
}
/** `VirtualMachine/ComputeTopology/Processor/Limits` (Settings: ProcessorLimits). */
export function processorLimitsPath(): ResourcePathDescriptor<'ProcessorLimits'> {
  return makeDescriptor('ProcessorLimits', {}, `${TOPO}/Processor/Limits`);
}
/** `VirtualMachine/ComputeTopology/Processor/IdledProcessors` (Update; IdleProcessorsRequest). */
export function idledProcessorsPath(): ResourcePathDescriptor<'IdledProcessors'> {
  return makeDescriptor('IdledProcessors', {}, `${TOPO}/Processor/IdledProcessors`);
}
/** `VirtualMachine/ComputeTopology/Processor/CpuFrequencyPowerCap` (Settings: ULONG). */
export function cpuFrequencyPowerCapPath(): ResourcePathDescriptor<'CpuFrequencyPowerCap'> {
  return makeDescriptor('CpuFrequencyPowerCap', {}, `${TOPO}/Processor/CpuFrequencyPowerCap`);
}
/** `VirtualMachine/ComputeTopology/Gpu` (Update; GpuConfiguration). */
export function gpuPath(): ResourcePathDescriptor<'Gpu'> {
  return makeDescriptor('Gpu', {}, `${TOPO}/Gpu`);
}
/** `VirtualMachine/Devices/ComPorts/<index>`, index 0..1. */
export function comPortPath(index: number): ResourcePathDescriptor<'ComPort'> {
  const i = need('index', index, intIn(index, 0, MAX_COM_PORT));
  return makeDescriptor('ComPort', { index: i }, `${DEV}/ComPorts/${i}`);
}
/** `VirtualMachine/Devices/FlexibleIov/<name>`, name of `[A-Za-z0-9._-]`, not `.`/`..`. */
export function flexibleIovPath(name: string): ResourcePathDescriptor<'FlexibleIov'> {
  const n = need('name', name, flexibleIovName(name));
  return makeDescriptor('FlexibleIov', { name: n }, `${DEV}/FlexibleIov/${n}`);
}
/** `VirtualMachine/Devices/Licensing`. */
export function licensingPath(): ResourcePathDescriptor<'Licensing'> {
  return makeDescriptor('Licensing', {}, `${DEV}/Licensing`);
}
/** `VirtualMachine/Devices/MappedPipes/<hostPath>`; the host path looks like `\\.\pipe\<name>`. */
export function mappedPipePath(hostPath: string): ResourcePathDescriptor<'MappedPipe'> {
  const h = need('hostPath', hostPath, pipePath(hostPath));
  return makeDescriptor('MappedPipe', { hostPath: h }, `${DEV}/MappedPipes/${h}`);
}
/** `VirtualMachine/Devices/NetworkAdapters/<nicId>`; nicId is a GUID (lower-cased). */
export function networkAdapterPath(nicId: string): ResourcePathDescriptor<'NetworkAdapter'> {
  const n = need('nicId', nicId, guid(nicId));
  return makeDescriptor('NetworkAdapter', { nicId: n }, `${DEV}/NetworkAdapters/${n}`);
}
/** `VirtualMachine/Devices/Plan9/Shares`. */
export function plan9SharesPath(): ResourcePathDescriptor<'Plan9Share'> {
  return makeDescriptor('Plan9Share', {}, `${DEV}/Plan9/Shares`);
}
/**
 * `VirtualMachine/Devices/Scsi/<controller GUID>/Attachments/<lun>`; controller 0..3
 * (`ScsiControllerGuids`), lun 0..63. The descriptor's `params.controller` is the GUID.
 */
export function scsiAttachmentPath(
  controller: number,
  lun: number,
): ResourcePathDescriptor<'ScsiAttachment'> {
  const c = need('controller', controller, intIn(controller, 0, ScsiControllerGuids.length - 1));
  const l = need('lun', lun, intIn(lun, 0, MAX_LUN));
  const key = ScsiControllerGuids[c]!;
  return makeDescriptor('ScsiAttachment', { controller: key, lun: l }, `${DEV}/Scsi/${key}/Attachments/${l}`);
}
/**
 * `VirtualMachine/Devices/Scsi/<key>/Attachments/<lun>` for a controller named by the key the
 * VM's `Devices.Scsi` map really uses (HCS takes any key; hcsshim named them `"0"`, `"1"`… for
 * years): 1..64 characters of `[A-Za-z0-9_-]` starting with a letter or digit; lun 0..63.
 */
export function scsiAttachmentPathByKey(key: string, lun: number): ResourcePathDescriptor<'ScsiAttachment'> {
  const k = need('controller', key, scsiControllerKey(key));
  const l = need('lun', lun, intIn(lun, 0, MAX_LUN));
  return makeDescriptor('ScsiAttachment', { controller: k, lun: l }, `${DEV}/Scsi/${k}/Attachments/${l}`);
}
/** `VirtualMachine/Devices/SharedMemory/Regions`. */
export function sharedMemoryRegionsPath(): ResourcePathDescriptor<'SharedMemoryRegion'> {
  return makeDescriptor('SharedMemoryRegion', {}, `${DEV}/SharedMemory/Regions`);
}
/** `VirtualMachine/Devices/VirtualPci/<vmbusGuid>` (lower-cased). */
export function virtualPciPath(vmbusGuid: string): ResourcePathDescriptor<'VirtualPci'> {
  const g = need('vmbusGuid', vmbusGuid, guid(vmbusGuid));
  return makeDescriptor('VirtualPci', { vmbusGuid: g }, `${DEV}/VirtualPci/${g}`);
}
/** `VirtualMachine/Devices/VirtualPMem/Devices/<deviceNumber>`, 0..127. */
export function vpmemDevicePath(deviceNumber: number): ResourcePathDescriptor<'VPMemDevice'> {
  const d = need('deviceNumber', deviceNumber, intIn(deviceNumber, 0, MAX_VPMEM_DEVICE));
  return makeDescriptor('VPMemDevice', { deviceNumber: d }, `${DEV}/VirtualPMem/Devices/${d}`);
}
/**
 * `VirtualMachine/Devices/VirtualPMem/Devices/<deviceNumber>/Mappings/<offsetBytes>` (params
 * `{deviceNumber, offset}`).
 */
export function vpmemMappingPath(
  deviceNumber: number,
  offsetBytes: number,
): ResourcePathDescriptor<'VPMemMapping'> {
  const d = need('deviceNumber', deviceNumber, intIn(deviceNumber, 0, MAX_VPMEM_DEVICE));
  const o = need('offsetBytes', offsetBytes, intIn(offsetBytes, 0, Number.MAX_SAFE_INTEGER));
  return makeDescriptor(
    'VPMemMapping',
    { deviceNumber: d, offset: o },
    `${DEV}/VirtualPMem/Devices/${d}/Mappings/${o}`,
  );
}
/** `VirtualMachine/Devices/VirtualSmb/Shares`. */
export function vsmbSharesPath(): ResourcePathDescriptor<'VsmbShare'> {
  return makeDescriptor('VsmbShare', {}, `${DEV}/VirtualSmb/Shares`);
}
/** `VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/<serviceId>` (lower-cased GUID). */
export function hvSocketServicePath(serviceId: string): ResourcePathDescriptor<'HvSocketService'> {
  const g = need('serviceId', serviceId, guid(serviceId));
  return makeDescriptor(
    'HvSocketService',
    { serviceId: g },
    `${DEV}/HvSocket/HvSocketConfig/ServiceTable/${g}`,
  );
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
  template('MemorySize', memorySizePath().path),
  template('CpuGroup', cpuGroupPath().path),
  template('ProcessorLimits', processorLimitsPath().path),
  template('IdledProcessors', idledProcessorsPath().path),
  template('CpuFrequencyPowerCap', cpuFrequencyPowerCapPath().path),
  template('Gpu', gpuPath().path),
  template('ComPort', `${DEV}/ComPorts/{index}`, { index: decimal(MAX_COM_PORT) }),
  template('FlexibleIov', `${DEV}/FlexibleIov/{name}`, { name: asIs(flexibleIovName) }),
  template('Licensing', licensingPath().path),
  template('MappedPipe', `${DEV}/MappedPipes/{hostPath}`, { hostPath: asIs(pipePath) }),
  template('NetworkAdapter', `${DEV}/NetworkAdapters/{nicId}`, { nicId: asIs(guid) }),
  template('Plan9Share', plan9SharesPath().path),
  template('ScsiAttachment', `${DEV}/Scsi/{controller}/Attachments/{lun}`, {
    controller: asIs(scsiControllerKey),
    lun: decimal(MAX_LUN),
  }),
  template('SharedMemoryRegion', sharedMemoryRegionsPath().path),
  template('VirtualPci', `${DEV}/VirtualPci/{vmbusGuid}`, { vmbusGuid: asIs(guid) }),
  template('VPMemDevice', `${DEV}/VirtualPMem/Devices/{deviceNumber}`, {
    deviceNumber: decimal(MAX_VPMEM_DEVICE),
  }),
  template('VPMemMapping', `${DEV}/VirtualPMem/Devices/{deviceNumber}/Mappings/{offset}`, {
    deviceNumber: decimal(MAX_VPMEM_DEVICE),
    offset: decimal(Number.MAX_SAFE_INTEGER),
  }),
  template('VsmbShare', vsmbSharesPath().path),
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
