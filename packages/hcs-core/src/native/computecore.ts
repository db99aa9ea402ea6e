/**
 * Internal module (not a package export; not tagged internal: that would strip its imports).
 * The one module that declares computecore's exports to koffi (hcs-api.md §1, all 60), with
 * branded handle types. Every koffi type name carries the `uvmkit_` prefix and is declared at most
 * once per process (koffi type names are process-global; a second load or a second copy of
 * hcs-core reuses the existing types instead of throwing `Duplicate type name`).
 *
 * An export the loaded library lacks (older Windows builds: live migration, HcsCancelOperation,
 * HcsGetOperationProperties, …) is replaced by a stub that throws a `NotSupported` HcsError when
 * called; `available` lists what was found.
 */
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import { HcsError, HRESULT, LocalCode } from '../errors.js';

/** A native pointer as koffi 3 represents it. */
export type Pointer = bigint;
/** `HCS_SYSTEM` */
export type SystemHandle = bigint & { readonly __brand: 'HCS_SYSTEM' };
/** `HCS_PROCESS` */
export type ProcessHandle = bigint & { readonly __brand: 'HCS_PROCESS' };
/** `HCS_OPERATION` */
export type OperationHandle = bigint & { readonly __brand: 'HCS_OPERATION' };
/** A koffi-registered callback pointer. */
export type CallbackPointer = bigint & { readonly __brand: 'KOFFI_CALLBACK' };
/** A UTF-16 string in, or NULL. */
type Str = string | null;
/** `_Out_` cell (koffi writes element 0). */
export type Out<T> = [T | null];
type HR = number;

/** `HCS_EVENT` as decoded by koffi. */
export interface HcsEventStruct {
  Type: number;
  EventData: string | null;
  Operation: Pointer | null;
}

/** `HCS_PROCESS_INFORMATION` as decoded by koffi. */
export interface ProcessInformationStruct {
  ProcessId: number;
  Reserved: number;
  StdInput: Pointer | null;
  StdOutput: Pointer | null;
  StdError: Pointer | null;
}

/** Typed view of the 60 exports (`ctx` / handles are bigint or a small number). */
export interface ComputecoreExports {
  // 1a. operations
  HcsCreateOperation(context: number | bigint, callback: CallbackPointer | null): OperationHandle | null;
  HcsCreateOperationWithNotifications(
    eventTypes: number,
    context: number | bigint,
    callback: CallbackPointer | null,
  ): OperationHandle | null;
  HcsCloseOperation(operation: OperationHandle): void;
  HcsGetOperationContext(operation: OperationHandle): Pointer | null;
  HcsSetOperationContext(operation: OperationHandle, context: number | bigint): HR;
  HcsGetComputeSystemFromOperation(operation: OperationHandle): SystemHandle | null;
  HcsGetProcessFromOperation(operation: OperationHandle): ProcessHandle | null;
  HcsGetOperationType(operation: OperationHandle): number;
  HcsGetOperationId(operation: OperationHandle): bigint | number;
  HcsGetOperationResult(operation: OperationHandle, resultDocument: Out<Pointer>): HR;
  HcsGetOperationResultAndProcessInfo(
    operation: OperationHandle,
    processInformation: Out<ProcessInformationStruct>,
    resultDocument: Out<Pointer>,
  ): HR;
  HcsWaitForOperationResult(operation: OperationHandle, timeoutMs: number, resultDocument: Out<Pointer>): HR;
  HcsWaitForOperationResultAndProcessInfo(
    operation: OperationHandle,
    timeoutMs: number,
    processInformation: Out<ProcessInformationStruct>,
    resultDocument: Out<Pointer>,
  ): HR;
  HcsSetOperationCallback(
    operation: OperationHandle,
    context: number | bigint,
    callback: CallbackPointer | null,
  ): HR;
  HcsCancelOperation(operation: OperationHandle): HR;
  HcsGetOperationProperties(operation: OperationHandle, options: Str, resultDocument: Out<Pointer>): HR;
  HcsAddResourceToOperation(operation: OperationHandle, type: number, uri: Str, handle: Pointer | null): HR;
  HcsGetProcessorCompatibilityFromSavedState(runtimeFileName: Str, processorFeatures: Out<Pointer>): HR;
  // 1b. compute systems
  HcsEnumerateComputeSystems(query: Str, operation: OperationHandle): HR;
  HcsEnumerateComputeSystemsInNamespace(idNamespace: Str, query: Str, operation: OperationHandle): HR;
  HcsCreateComputeSystem(
    id: Str,
    configuration: Str,
    operation: OperationHandle,
    securityDescriptor: null,
    computeSystem: Out<SystemHandle>,
  ): HR;
  HcsCreateComputeSystemInNamespace(
    idNamespace: Str,
    id: Str,
    configuration: Str,
    operation: OperationHandle,
    options: Pointer | null,
    computeSystem: Out<SystemHandle>,
  ): HR;
  HcsOpenComputeSystem(id: Str, requestedAccess: number, computeSystem: Out<SystemHandle>): HR;
  HcsOpenComputeSystemInNamespace(
    idNamespace: Str,
    id: Str,
    requestedAccess: number,
    computeSystem: Out<SystemHandle>,
  ): HR;
  HcsCloseComputeSystem(computeSystem: SystemHandle): void;
  HcsStartComputeSystem(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsShutDownComputeSystem(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsTerminateComputeSystem(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsCrashComputeSystem(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsPauseComputeSystem(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsResumeComputeSystem(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsSaveComputeSystem(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsGetComputeSystemProperties(
    computeSystem: SystemHandle,
    operation: OperationHandle,
    propertyQuery: Str,
  ): HR;
  HcsModifyComputeSystem(
    computeSystem: SystemHandle,
    operation: OperationHandle,
    configuration: Str,
    identity: Pointer | null,
  ): HR;
  HcsWaitForComputeSystemExit(computeSystem: SystemHandle, timeoutMs: number, result: Out<Pointer>): HR;
  HcsSetComputeSystemCallback(
    computeSystem: SystemHandle,
    callbackOptions: number,
    context: number | bigint,
    callback: CallbackPointer | null,
  ): HR;
  // 1c. live migration
  HcsInitializeLiveMigrationOnSource(
    computeSystem: SystemHandle,
    operation: OperationHandle,
    options: Str,
  ): HR;
  HcsStartLiveMigrationOnSource(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsStartLiveMigrationTransfer(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsFinalizeLiveMigration(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  HcsCancelLiveMigration(computeSystem: SystemHandle, operation: OperationHandle, options: Str): HR;
  // 1d. processes
  HcsCreateProcess(
    computeSystem: SystemHandle,
    processParameters: Str,
    operation: OperationHandle,
    securityDescriptor: null,
    process: Out<ProcessHandle>,
  ): HR;
  HcsOpenProcess(
    computeSystem: SystemHandle,
    processId: number,
    requestedAccess: number,
    process: Out<ProcessHandle>,
  ): HR;
  HcsCloseProcess(process: ProcessHandle): void;
  HcsTerminateProcess(process: ProcessHandle, operation: OperationHandle, options: Str): HR;
  HcsSignalProcess(process: ProcessHandle, operation: OperationHandle, options: Str): HR;
  HcsGetProcessInfo(process: ProcessHandle, operation: OperationHandle): HR;
  HcsGetProcessProperties(process: ProcessHandle, operation: OperationHandle, propertyQuery: Str): HR;
  HcsModifyProcess(process: ProcessHandle, operation: OperationHandle, settings: Str): HR;
  HcsSetProcessCallback(
    process: ProcessHandle,
    callbackOptions: number,
    context: number | bigint,
    callback: CallbackPointer | null,
  ): HR;
  HcsWaitForProcessExit(process: ProcessHandle, timeoutMs: number, result: Out<Pointer>): HR;
  // 1e. service and host utilities
  HcsGetServiceProperties(propertyQuery: Str, result: Out<Pointer>): HR;
  HcsModifyServiceSettings(settings: Str, result: Out<Pointer>): HR;
  HcsSubmitWerReport(settings: Str): HR;
  HcsCreateEmptyGuestStateFile(guestStateFilePath: Str): HR;
  HcsCreateEmptyRuntimeStateFile(runtimeStateFilePath: Str): HR;
  HcsGrantVmAccess(vmId: Str, filePath: Str): HR;
  HcsRevokeVmAccess(vmId: Str, filePath: Str): HR;
  HcsGrantVmGroupAccess(filePath: Str): HR;
  HcsRevokeVmGroupAccess(filePath: Str): HR;
}

export type ExportName = keyof ComputecoreExports;

/** C prototypes (koffi syntax), one per export. */
const P = 'uvmkit_';
const SIGNATURES: Record<ExportName, string> = {
  HcsCreateOperation: `${P}HCS_OPERATION HcsCreateOperation(const void *context, ${P}HCS_OPERATION_COMPLETION *callback)`,
  HcsCreateOperationWithNotifications: `${P}HCS_OPERATION HcsCreateOperationWithNotifications(uint32_t eventTypes, const void *context, ${P}HCS_EVENT_CALLBACK *callback)`,
  HcsCloseOperation: `void HcsCloseOperation(${P}HCS_OPERATION operation)`,
  HcsGetOperationContext: `void *HcsGetOperationContext(${P}HCS_OPERATION operation)`,
  HcsSetOperationContext: `${P}HRESULT HcsSetOperationContext(${P}HCS_OPERATION operation, const void *context)`,
  HcsGetComputeSystemFromOperation: `${P}HCS_SYSTEM HcsGetComputeSystemFromOperation(${P}HCS_OPERATION operation)`,
  HcsGetProcessFromOperation: `${P}HCS_PROCESS HcsGetProcessFromOperation(${P}HCS_OPERATION operation)`,
  HcsGetOperationType: `int32_t HcsGetOperationType(${P}HCS_OPERATION operation)`,
  HcsGetOperationId: `uint64_t HcsGetOperationId(${P}HCS_OPERATION operation)`,
  HcsGetOperationResult: `${P}HRESULT HcsGetOperationResult(${P}HCS_OPERATION operation, _Out_ void **resultDocument)`,
  HcsGetOperationResultAndProcessInfo: `${P}HRESULT HcsGetOperationResultAndProcessInfo(${P}HCS_OPERATION operation, _Out_ ${P}HCS_PROCESS_INFORMATION *processInformation, _Out_ void **resultDocument)`,
  HcsWaitForOperationResult: `${P}HRESULT HcsWaitForOperationResult(${P}HCS_OPERATION operation, uint32_t timeoutMs, _Out_ void **resultDocument)`,
  HcsWaitForOperationResultAndProcessInfo: `${P}HRESULT HcsWaitForOperationResultAndProcessInfo(${P}HCS_OPERATION operation, uint32_t timeoutMs, _Out_ ${P}HCS_PROCESS_INFORMATION *processInformation, _Out_ void **resultDocument)`,
  HcsSetOperationCallback: `${P}HRESULT HcsSetOperationCallback(${P}HCS_OPERATION operation, const void *context, ${P}HCS_OPERATION_COMPLETION *callback)`,
  HcsCancelOperation: `${P}HRESULT HcsCancelOperation(${P}HCS_OPERATION operation)`,
  HcsGetOperationProperties: `${P}HRESULT HcsGetOperationProperties(${P}HCS_OPERATION operation, const char16_t *options, _Out_ void **resultDocument)`,
  HcsAddResourceToOperation: `${P}HRESULT HcsAddResourceToOperation(${P}HCS_OPERATION operation, uint32_t type, const char16_t *uri, void *handle)`,
  HcsGetProcessorCompatibilityFromSavedState: `${P}HRESULT HcsGetProcessorCompatibilityFromSavedState(const char16_t *runtimeFileName, _Out_ void **processorFeaturesString)`,
  HcsEnumerateComputeSystems: `${P}HRESULT HcsEnumerateComputeSystems(const char16_t *query, ${P}HCS_OPERATION operation)`,
  HcsEnumerateComputeSystemsInNamespace: `${P}HRESULT HcsEnumerateComputeSystemsInNamespace(const char16_t *idNamespace, const char16_t *query, ${P}HCS_OPERATION operation)`,
  HcsCreateComputeSystem: `${P}HRESULT HcsCreateComputeSystem(const char16_t *id, const char16_t *configuration, ${P}HCS_OPERATION operation, const void *securityDescriptor, _Out_ ${P}HCS_SYSTEM *computeSystem)`,
  HcsCreateComputeSystemInNamespace: `${P}HRESULT HcsCreateComputeSystemInNamespace(const char16_t *idNamespace, const char16_t *id, const char16_t *configuration, ${P}HCS_OPERATION operation, const void *options, _Out_ ${P}HCS_SYSTEM *computeSystem)`,
  HcsOpenComputeSystem: `${P}HRESULT HcsOpenComputeSystem(const char16_t *id, uint32_t requestedAccess, _Out_ ${P}HCS_SYSTEM *computeSystem)`,
  HcsOpenComputeSystemInNamespace: `${P}HRESULT HcsOpenComputeSystemInNamespace(const char16_t *idNamespace, const char16_t *id, uint32_t requestedAccess, _Out_ ${P}HCS_SYSTEM *computeSystem)`,
  HcsCloseComputeSystem: `void HcsCloseComputeSystem(${P}HCS_SYSTEM computeSystem)`,
  HcsStartComputeSystem: sysOp('HcsStartComputeSystem'),
  HcsShutDownComputeSystem: sysOp('HcsShutDownComputeSystem'),
  HcsTerminateComputeSystem: sysOp('HcsTerminateComputeSystem'),
  HcsCrashComputeSystem: sysOp('HcsCrashComputeSystem'),
  HcsPauseComputeSystem: sysOp('HcsPauseComputeSystem'),
  HcsResumeComputeSystem: sysOp('HcsResumeComputeSystem'),
  HcsSaveComputeSystem: sysOp('HcsSaveComputeSystem'),
  HcsGetComputeSystemProperties: sysOp('HcsGetComputeSystemProperties'),
  HcsModifyComputeSystem: `${P}HRESULT HcsModifyComputeSystem(${P}HCS_SYSTEM computeSystem, ${P}HCS_OPERATION operation, const char16_t *configuration, void *identity)`,
  HcsWaitForComputeSystemExit: `${P}HRESULT HcsWaitForComputeSystemExit(${P}HCS_SYSTEM computeSystem, uint32_t timeoutMs, _Out_ void **result)`,
  HcsSetComputeSystemCallback: `${P}HRESULT HcsSetComputeSystemCallback(${P}HCS_SYSTEM computeSystem, uint32_t callbackOptions, const void *context, ${P}HCS_EVENT_CALLBACK *callback)`,
  HcsInitializeLiveMigrationOnSource: sysOp('HcsInitializeLiveMigrationOnSource'),
  HcsStartLiveMigrationOnSource: sysOp('HcsStartLiveMigrationOnSource'),
  HcsStartLiveMigrationTransfer: sysOp('HcsStartLiveMigrationTransfer'),
  HcsFinalizeLiveMigration: sysOp('HcsFinalizeLiveMigration'),
  HcsCancelLiveMigration: sysOp('HcsCancelLiveMigration'),
  HcsCreateProcess: `${P}HRESULT HcsCreateProcess(${P}HCS_SYSTEM computeSystem, const char16_t *processParameters, ${P}HCS_OPERATION operation, const void *securityDescriptor, _Out_ ${P}HCS_PROCESS *process)`,
  HcsOpenProcess: `${P}HRESULT HcsOpenProcess(${P}HCS_SYSTEM computeSystem, uint32_t processId, uint32_t requestedAccess, _Out_ ${P}HCS_PROCESS *process)`,
  HcsCloseProcess: `void HcsCloseProcess(${P}HCS_PROCESS process)`,
  HcsTerminateProcess: procOp('HcsTerminateProcess'),
  HcsSignalProcess: procOp('HcsSignalProcess'),
  HcsGetProcessInfo: `${P}HRESULT HcsGetProcessInfo(${P}HCS_PROCESS process, ${P}HCS_OPERATION operation)`,
  HcsGetProcessProperties: procOp('HcsGetProcessProperties'),
  HcsModifyProcess: procOp('HcsModifyProcess'),
  HcsSetProcessCallback: `${P}HRESULT HcsSetProcessCallback(${P}HCS_PROCESS process, uint32_t callbackOptions, const void *context, ${P}HCS_EVENT_CALLBACK *callback)`,
  HcsWaitForProcessExit: `${P}HRESULT HcsWaitForProcessExit(${P}HCS_PROCESS process, uint32_t timeoutMs, _Out_ void **result)`,
  HcsGetServiceProperties: `${P}HRESULT HcsGetServiceProperties(const char16_t *propertyQuery, _Out_ void **result)`,
  HcsModifyServiceSettings: `${P}HRESULT HcsModifyServiceSettings(const char16_t *settings, _Out_ void **result)`,
  HcsSubmitWerReport: `${P}HRESULT HcsSubmitWerReport(const char16_t *settings)`,
  HcsCreateEmptyGuestStateFile: `${P}HRESULT HcsCreateEmptyGuestStateFile(const char16_t *guestStateFilePath)`,
  HcsCreateEmptyRuntimeStateFile: `${P}HRESULT HcsCreateEmptyRuntimeStateFile(const char16_t *runtimeStateFilePath)`,
  HcsGrantVmAccess: `${P}HRESULT HcsGrantVmAccess(const char16_t *vmId, const char16_t *filePath)`,
  HcsRevokeVmAccess: `${P}HRESULT HcsRevokeVmAccess(const char16_t *vmId, const char16_t *filePath)`,
  HcsGrantVmGroupAccess: `${P}HRESULT HcsGrantVmGroupAccess(const char16_t *filePath)`,
  HcsRevokeVmGroupAccess: `${P}HRESULT HcsRevokeVmGroupAccess(const char16_t *filePath)`,
};

function sysOp(name: string): string {
  return `${P}HRESULT ${name}(${P}HCS_SYSTEM computeSystem, ${P}HCS_OPERATION operation, const char16_t *options)`;
}
function procOp(name: string): string {
  return `${P}HRESULT ${name}(${P}HCS_PROCESS process, ${P}HCS_OPERATION operation, const char16_t *options)`;
}

/** Every export name, in §1 order. */
export const EXPORT_NAMES = Object.keys(SIGNATURES) as ExportName[];

/**
 * Exports that can wait inside the library (for hcsd, for running callbacks, or for a timeout).
 * The bindings only ever call these through koffi `.async` (libuv pool), never on the JS thread.
 */
export const BLOCKING_EXPORTS = [
  'HcsOpenComputeSystem',
  'HcsOpenComputeSystemInNamespace',
  'HcsCloseComputeSystem',
  'HcsWaitForOperationResult',
  'HcsWaitForOperationResultAndProcessInfo',
  'HcsWaitForComputeSystemExit',
  'HcsOpenProcess',
  'HcsCloseProcess',
  'HcsWaitForProcessExit',
  'HcsGetServiceProperties',
  'HcsModifyServiceSettings',
] as const satisfies readonly ExportName[];
export type BlockingExport = (typeof BLOCKING_EXPORTS)[number];

/** The koffi types shared by the bindings. */
export interface NativeTypes {
  event: TypeObject;
  processInformation: TypeObject;
  completionPointer: TypeObject;
  eventCallbackPointer: TypeObject;
}

function ensure(name: string, make: () => unknown): TypeObject {
  try {
    return koffi.type(name);
  } catch {
    try {
      make();
    } catch (err) {
      // A concurrent copy may have declared it in between; anything else is real.
      if (!String((err as Error).message).includes('Duplicate type name')) throw err;
    }
    return koffi.type(name);
  }
}

/** Declare (once per process) the koffi types with the `uvmkit_` prefix. */
export function declareTypes(): NativeTypes {
  ensure(`${P}HRESULT`, () => koffi.alias(`${P}HRESULT`, 'int32_t'));
  for (const h of ['HCS_SYSTEM', 'HCS_PROCESS', 'HCS_OPERATION', 'HCS_CALLBACK']) {
    ensure(`${P}${h}`, () => koffi.alias(`${P}${h}`, 'void *'));
  }
  const event = ensure(`${P}HCS_EVENT`, () =>
    koffi.struct(`${P}HCS_EVENT`, {
      Type: 'uint32_t',
      EventData: 'const char16_t *',
      Operation: `${P}HCS_OPERATION`,
    }),
  );
  const processInformation = ensure(`${P}HCS_PROCESS_INFORMATION`, () =>
    koffi.struct(`${P}HCS_PROCESS_INFORMATION`, {
      ProcessId: 'uint32_t',
      Reserved: 'uint32_t',
      StdInput: 'void *',
      StdOutput: 'void *',
      StdError: 'void *',
    }),
  );
  const completion = ensure(`${P}HCS_OPERATION_COMPLETION`, () =>
    koffi.proto(`void ${P}HCS_OPERATION_COMPLETION(${P}HCS_OPERATION operation, void *context)`),
  );
  const eventCallback = ensure(`${P}HCS_EVENT_CALLBACK`, () =>
    koffi.proto(`void ${P}HCS_EVENT_CALLBACK(${P}HCS_EVENT *event, void *context)`),
  );
  return {
    event,
    processInformation,
    completionPointer: koffi.pointer(completion),
    eventCallbackPointer: koffi.pointer(eventCallback),
  };
}

/** A declared export: callable, with koffi's `.async` (callback last). */
export type NativeFunction = ((...args: never[]) => unknown) & {
  async: (...args: unknown[]) => void;
};

export interface Declared {
  exports: ComputecoreExports;
  /** The raw koffi functions (for `.async`). */
  raw: Record<ExportName, NativeFunction>;
  available: ReadonlySet<ExportName>;
  missing: readonly ExportName[];
}

function notSupported(name: ExportName): NativeFunction {
  const fail = (): never => {
    throw new HcsError(LocalCode.NotSupported, `${name} is not exported by the loaded compute library`, {
      op: name,
      hresult: HRESULT.ERROR_PROC_NOT_FOUND,
    });
  };
  const fn = fail as unknown as NativeFunction;
  fn.async = (...args: unknown[]) => {
    const cb = args[args.length - 1] as (err: unknown, res?: unknown) => void;
    try {
      fail();
    } catch (err) {
      setImmediate(() => cb(err));
    }
  };
  return fn;
}

/** Declare every export of `lib`; missing symbols become NotSupported stubs. */
export function declareExports(lib: LibraryHandle): Declared {
  declareTypes();
  const raw = {} as Record<ExportName, NativeFunction>;
  const available = new Set<ExportName>();
  const missing: ExportName[] = [];
  for (const name of EXPORT_NAMES) {
    try {
      raw[name] = lib.func(SIGNATURES[name]) as unknown as NativeFunction;
      available.add(name);
    } catch (err) {
      if (!/Cannot find function/i.test(String((err as Error).message))) throw err;
      raw[name] = notSupported(name);
      missing.push(name);
    }
  }
  return { exports: raw as unknown as ComputecoreExports, raw, available, missing };
}

/** Call a blocking export on the libuv pool; resolves with its return value. */
export function callAsync<R>(fn: NativeFunction, ...args: unknown[]): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    fn.async(...args, (err: unknown, result: R) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
}
