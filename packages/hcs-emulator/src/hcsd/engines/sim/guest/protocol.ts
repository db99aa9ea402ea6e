/** Message types, capabilities and HRESULTs of the Linux / Windows GCS (gcs-protocol.md §2–§4, §8). */
import { GcsServiceIds } from '@uvmkit/hcs-schema';

export const MSG_TYPE_MASK = 0xf0000000;
export const MSG_REQUEST = 0x10000000;
export const MSG_RESPONSE = 0x20000000;
export const MSG_NOTIFY = 0x30000000;

/** Request message types (RPCProc with the Request nibble). */
export const GcsRequest = {
  Create: 0x10100101,
  Start: 0x10100201,
  ShutdownGraceful: 0x10100301,
  ShutdownForced: 0x10100401,
  ExecuteProcess: 0x10100501,
  WaitForProcess: 0x10100601,
  SignalProcess: 0x10100701,
  ResizeConsole: 0x10100801,
  GetProperties: 0x10100901,
  ModifySettings: 0x10100a01,
  NegotiateProtocol: 0x10100b01,
  DumpStacks: 0x10100c01,
  DeleteContainerState: 0x10100d01,
  UpdateContainer: 0x10100e01,
  LifecycleNotification: 0x10100f01,
  ModifyServiceSettings: 0x10200101,
} as const;
export type GcsRequestName = keyof typeof GcsRequest;

const NAMES = new Map<number, GcsRequestName>(
  (Object.entries(GcsRequest) as [GcsRequestName, number][]).map(([k, v]) => [v, k]),
);
export function requestName(type: number): GcsRequestName | undefined {
  return NAMES.get(type >>> 0);
}

/** The response type of a request type: top nibble 2, low 28 bits copied. */
export function responseType(requestType: number): number {
  return (MSG_RESPONSE | (requestType & 0x0fffffff)) >>> 0;
}

/** The container exit notification, the only notification the host accepts. */
export const CONTAINER_NOTIFICATION = 0x30100101;

export const NULL_CONTAINER_ID = '00000000-0000-0000-0000-000000000000';
export const ZERO_GUID = NULL_CONTAINER_ID;
export const PROTOCOL_VERSION = 4;

/** The Linux GCS bridge's service id (`GcsServiceIds.LinuxGcs` of `@uvmkit/hcs-schema`, its one home). */
export const LINUX_GCS_SERVICE_ID = GcsServiceIds.LinuxGcs;
/** The Windows GCS bridge's service id (`GcsServiceIds.WindowsGcs` of `@uvmkit/hcs-schema`). */
export const WINDOWS_GCS_SERVICE_ID = GcsServiceIds.WindowsGcs;

/** HRESULTs the emulated guest answers (unsigned form; sent signed). */
export const GHR = {
  E_NOTIMPL: 0x80004001,
  E_FAIL: 0x80004005,
  E_INVALIDARG: 0x80070057,
  ERROR_NOT_FOUND: 0x80070490,
  /** HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS 183): not a Linux GCS code, the emulator's choice */
  ERROR_ALREADY_EXISTS: 0x800700b7,
  VMCOMPUTE_TIMEOUT: 0xc0370109,
  UNKNOWN_MESSAGE: 0xc037010b,
  UNSUPPORTED_PROTOCOL_VERSION: 0xc037010c,
  INVALID_JSON: 0xc037010d,
  SYSTEM_NOT_FOUND: 0xc037010e,
  SYSTEM_ALREADY_EXISTS: 0xc037010f,
  SYSTEM_ALREADY_STOPPED: 0xc0370110,
  /** invalid state as the Linux GCS spells it (0x8…, not HCS's 0xC0370105) */
  INVALID_STATE: 0x80370105,
} as const;

/** A failed guest request: HRESULT + message (becomes Result, ErrorMessage, one ErrorRecord). */
export class GuestFailure extends Error {
  readonly code = 'GcsFailure' as const;
  readonly hresult: number;
  constructor(hresult: number, message: string) {
    super(message);
    this.name = 'GuestFailure';
    this.hresult = hresult >>> 0;
  }
}

export function gfail(hresult: number, message: string): never {
  throw new GuestFailure(hresult, message);
}

export type GuestOs = 'Linux' | 'Windows';

/** NegotiateProtocol `Capabilities` as the Linux / Windows GCS report them (§4.4). */
export function capabilities(os: GuestOs): Record<string, unknown> {
  if (os === 'Linux') {
    return {
      SupportedSchemaVersions: [{ Major: 2, Minor: 1 }],
      RuntimeOsType: 'Linux',
      GuestDefinedCapabilities: {
        NamespaceAddRequestSupported: true,
        SignalProcessSupported: true,
        DumpStacksSupported: true,
        DeleteContainerStateSupported: true,
      },
    };
  }
  return {
    SendHostCreateMessage: true,
    SendHostStartMessage: true,
    HvSocketConfigOnStartup: true,
    SupportedSchemaVersions: [{ Major: 2, Minor: 1 }],
    RuntimeOsType: 'Windows',
    GuestDefinedCapabilities: {
      NamespaceAddRequestSupported: true,
      SignalProcessSupported: true,
      DumpStacksSupported: true,
      DeleteContainerStateSupported: true,
      UpdateContainerSupported: true,
      LogForwardingSupported: true,
      HostProcessContainerSupported: true,
    },
  };
}
