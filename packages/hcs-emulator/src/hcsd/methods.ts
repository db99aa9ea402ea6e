/** Method codes of the wire protocol (PROTOCOL.md § Methods) and HCS event types hcsd sends. */

export const Method = {
  Hello: 1,
  Create: 2,
  Open: 3,
  Close: 4,
  Start: 5,
  ShutDown: 6,
  Terminate: 7,
  Crash: 8,
  Pause: 9,
  Resume: 10,
  Save: 11,
  GetProperties: 12,
  Modify: 13,
  Enumerate: 14,
  GetServiceProperties: 15,
  ModifyServiceSettings: 16,
  Cancel: 17,
  Inspect: 64,
  Fault: 65,
  Stop: 66,
} as const;
export type MethodName = keyof typeof Method;
export type MethodCode = (typeof Method)[MethodName];

const NAMES = new Map<number, MethodName>(
  (Object.entries(Method) as [MethodName, number][]).map(([name, code]) => [code, name]),
);

/** Name of a method code, `undefined` when unknown. */
export function methodName(code: number): MethodName | undefined {
  return NAMES.get(code);
}

/** A method given by name (`'Modify'`) or code (`13`) → its code, `undefined` when unknown. */
export function methodCode(method: unknown): number | undefined {
  if (typeof method === 'number') return NAMES.has(method) ? method : undefined;
  if (typeof method === 'string' && Object.hasOwn(Method, method)) return Method[method as MethodName];
  return undefined;
}

/** `HCS_EVENT_TYPE` values hcsd produces. */
export const EventType = {
  SystemExited: 0x00000001,
  SystemCrashInitiated: 0x00000002,
  SystemCrashReport: 0x00000003,
} as const;

/** Protocol version spoken by this hcsd. */
export const PROTOCOL_VERSION = 1;
