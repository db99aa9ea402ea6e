/**
 * The GCS bridge request messages (gcs-protocol.md §4): the base every request carries
 * (`ContainerId`, `ActivityId`) and the process messages — NegotiateProtocol, WaitForProcess,
 * SignalProcess, ResizeConsole — as the guest's Go structs type them (see wire.ts: every field
 * optional, unknown fields ignored, wrong types fail with the Go type named).
 */
import type { Static } from '@sinclair/typebox';
import {
  GoAny,
  GoBool,
  GoString,
  GoStringMap,
  GoStrings,
  GoStruct,
  GoUInt16,
  GoUInt32,
  GoUInts,
  wire,
} from './wire.js';

const base = {
  ContainerId: GoString(),
  ActivityId: GoString(),
};

/** The fields every bridge request carries: `ContainerId` (the null GUID = the UVM) and `ActivityId`. */
export const GcsRequestBase = GoStruct(wire(base), 'RequestBase');
/** Static type of {@link GcsRequestBase}. */
export type GcsRequestBase = Static<typeof GcsRequestBase>;

/** `NegotiateProtocol` (§4.4): the version range the host speaks (uvmkit sends 4..4). */
export const NegotiateProtocolRequest = GoStruct(
  wire({ ...base, MinimumVersion: GoUInt32(), MaximumVersion: GoUInt32() }),
  'NegotiateProtocolRequest',
);
/** Static type of {@link NegotiateProtocolRequest}. */
export type NegotiateProtocolRequest = Static<typeof NegotiateProtocolRequest>;

/**
 * The `ProcessParameters` of ExecuteProcess (HCS schema 2 plus the LCOW extras), the JSON document
 * carried as a string (AnyInString, §4.1) in `Settings.ProcessParameters`. `OciProcess` (an exec
 * in a container) is an OCI `process` object, checked by the guest's OCI rules.
 */
export const ProcessParametersDocument = GoStruct(
  wire({
    CommandLine: GoString(),
    CommandArgs: GoStrings(),
    WorkingDirectory: GoString(),
    Environment: GoStringMap(),
    User: GoString(),
    EmulateConsole: GoBool(),
    ConsoleSize: GoUInts('[2]uint'),
    CreateStdInPipe: GoBool(),
    CreateStdOutPipe: GoBool(),
    CreateStdErrPipe: GoBool(),
    CreateInUtilityVM: GoBool(),
    OciProcess: GoStruct({}),
  }),
  'ProcessParameters',
);
/** Static type of {@link ProcessParametersDocument}. */
export type ProcessParametersDocument = Static<typeof ProcessParametersDocument>;

const relayPorts = wire({ StdIn: GoUInt32(), StdOut: GoUInt32(), StdErr: GoUInt32() });
const relayServices = wire({ StdIn: GoString(), StdOut: GoString(), StdErr: GoString() });

/**
 * The `Settings` of ExecuteProcess (§4.5): the ProcessParameters document as a string, and where
 * the guest dials the stdio relays — vsock ports (LCOW, 0 = none) or service ids (WCOW).
 */
export const ExecuteProcessSettings = GoStruct(
  wire({
    ProcessParameters: GoString(),
    VsockStdioRelaySettings: GoStruct(relayPorts),
    StdioRelaySettings: GoStruct(relayServices),
  }),
  'ExecuteProcessSettings',
);
/** Static type of {@link ExecuteProcessSettings}. */
export type ExecuteProcessSettings = Static<typeof ExecuteProcessSettings>;

/** `ExecuteProcess` (§4.5): start a process in the UVM or a container; the reply has `ProcessId`. */
export const ExecuteProcessRequest = GoStruct(
  wire({ ...base, Settings: ExecuteProcessSettings }),
  'ExecuteProcess',
);
/** Static type of {@link ExecuteProcessRequest}. */
export type ExecuteProcessRequest = Static<typeof ExecuteProcessRequest>;

/**
 * The container configuration of a Linux `Create` (§4.5: the hosted-system document, schema 2.1),
 * carried as a string (AnyInString) in `ContainerConfig`. `OciSpecification` is an OCI runtime
 * spec, checked by the guest's OCI rules.
 */
export const LinuxContainerConfigDocument = GoStruct(
  wire({
    SchemaVersion: GoStruct(wire({ Major: GoUInt32(), Minor: GoUInt32() })),
    OciBundlePath: GoString(),
    OciSpecification: GoStruct({}),
    ScratchDirPath: GoString(),
  }),
  'LinuxHostedSystem',
);
/** Static type of {@link LinuxContainerConfigDocument}. */
export type LinuxContainerConfigDocument = Static<typeof LinuxContainerConfigDocument>;

/** `Create` (§4.5): a container (or, on Windows, the null container) from `ContainerConfig` (a JSON string). */
export const CreateRequest = GoStruct(wire({ ...base, ContainerConfig: GoString() }), 'ContainerCreate');
/** Static type of {@link CreateRequest}. */
export type CreateRequest = Static<typeof CreateRequest>;

/** `WaitForProcess` (§4.5): `TimeoutInMs` 0xFFFFFFFF (or absent) = no timeout. */
export const WaitForProcessRequest = GoStruct(
  wire({ ...base, ProcessId: GoUInt32(), TimeoutInMs: GoUInt32() }),
  'WaitForProcessRequest',
);
/** Static type of {@link WaitForProcessRequest}. */
export type WaitForProcessRequest = Static<typeof WaitForProcessRequest>;

/**
 * `SignalProcess` (§4.5): `Options.Signal` is a Linux signal number (absent or 0 = SIGKILL) or,
 * for a Windows guest, a name (`CtrlC`, …): left to the guest to interpret.
 */
export const SignalProcessRequest = GoStruct(
  wire({ ...base, ProcessId: GoUInt32(), Options: GoStruct(wire({ Signal: GoAny() })) }),
  'SignalProcessRequest',
);
/** Static type of {@link SignalProcessRequest}. */
export type SignalProcessRequest = Static<typeof SignalProcessRequest>;

/** `ResizeConsole` (§4.5): `Height` = rows, `Width` = columns. */
export const ResizeConsoleRequest = GoStruct(
  wire({ ...base, ProcessId: GoUInt32(), Height: GoUInt16(), Width: GoUInt16() }),
  'ResizeConsoleRequest',
);
/** Static type of {@link ResizeConsoleRequest}. */
export type ResizeConsoleRequest = Static<typeof ResizeConsoleRequest>;

/** `ModifySettings` (§5): a `GuestModificationRequest` in `Request` (resources.ts). */
export const ModifySettingsMessage = GoStruct(wire({ ...base, Request: GoAny() }), 'ModifySettingsRequest');
/** Static type of {@link ModifySettingsMessage}. */
export type ModifySettingsMessage = Static<typeof ModifySettingsMessage>;
