/**
 * Bridge message identifiers (gcs-protocol.md §2.2, §3): `TTTT CCCCCCCC IIIIIIIIIIII VVVVVVVV`.
 */

export const MessageKind = {
  Request: 0x10000000,
  Response: 0x20000000,
  Notification: 0x30000000,
} as const;

export const KIND_MASK = 0xf0000000;

/** RPC procedures (`category | n << 8 | version 1`). */
export const RpcProc = {
  Create: 0x00100101,
  Start: 0x00100201,
  ShutdownGraceful: 0x00100301,
  ShutdownForced: 0x00100401,
  ExecuteProcess: 0x00100501,
  WaitForProcess: 0x00100601,
  SignalProcess: 0x00100701,
  ResizeConsole: 0x00100801,
  GetProperties: 0x00100901,
  ModifySettings: 0x00100a01,
  NegotiateProtocol: 0x00100b01,
  DumpStacks: 0x00100c01,
  DeleteContainerState: 0x00100d01,
  UpdateContainer: 0x00100e01,
  LifecycleNotification: 0x00100f01,
  ModifyServiceSettings: 0x00200101,
} as const;
export type RpcProc = (typeof RpcProc)[keyof typeof RpcProc];

const PROC_NAMES = new Map<number, string>(Object.entries(RpcProc).map(([k, v]) => [v, k]));

/** `NegotiateProtocol` etc., or `0x00100b01` style for an unknown procedure. */
export function procName(proc: number): string {
  return PROC_NAMES.get(proc) ?? `0x${(proc >>> 0).toString(16).padStart(8, '0')}`;
}

/** The request type of a procedure. */
export function requestType(proc: number): number {
  return (MessageKind.Request | proc) >>> 0;
}

/** The response type the Linux GCS sends for a request type (top nibble → 2). */
export function responseType(requestTypeOrProc: number): number {
  return (MessageKind.Response | (requestTypeOrProc & 0x0fffffff)) >>> 0;
}

/** The container (exited) notification: the only notification the host accepts. */
export const CONTAINER_NOTIFICATION = 0x30100101;

/** The protocol version the host negotiates (min = max = 4). */
export const PROTOCOL_VERSION = 4;

/** The null container: the UVM itself. */
export const NULL_CONTAINER_ID = '00000000-0000-0000-0000-000000000000';
/** The ActivityId the host sends (it never sets one). */
export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** Encode a value as an "AnyInString" field: JSON text carried as a JSON string (§4.1). */
export function anyInString(value: unknown): string {
  return JSON.stringify(value);
}

/** Decode an "AnyInString" field; `undefined` for an absent or empty field. Throws on bad JSON. */
export function fromAnyInString(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new TypeError('an AnyInString field must be a string');
  return JSON.parse(value);
}
