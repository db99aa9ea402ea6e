/**
 * The GCS bridge request messages (gcs-protocol.md §4): the base every request carries
 * (`ContainerId`, `ActivityId`) and the process messages — NegotiateProtocol, WaitForProcess,
 * SignalProcess, ResizeConsole — as the guest's Go structs type them (see wire.ts: every field
 * optional, unknown fields ignored, wrong types fail with the Go type named).
 */
import type { Static } from '@sinclair/typebox';
import { GoAny, GoString, GoStruct, GoUInt16, GoUInt32, wire } from './wire.js';

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
