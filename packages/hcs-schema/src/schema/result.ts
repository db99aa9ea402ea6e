/**
 * Documents HCS produces on failure and exit: ResultError (§2), SystemExitStatus, ProcessStatus,
 * CrashReport (§3). They are open objects: unknown keys are tolerated (newer HCS builds add keys),
 * known keys are type-checked.
 */
import { type Static, Type } from '@sinclair/typebox';
import { AnyObject, Guid, HResult, literals, open, UInt16, UInt32, UInt64 } from './common.js';

export const EventDataType = literals(
  'Empty',
  'String',
  'AnsiString',
  'SByte',
  'Byte',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Int64',
  'UInt64',
  'Single',
  'Double',
  'Boolean',
  'Binary',
  'Guid',
);
export type EventDataType = Static<typeof EventDataType>;

export const EventData = open(
  { Type: Type.Optional(EventDataType), Value: Type.Optional(Type.String()) },
  'EventData',
);
export type EventData = Static<typeof EventData>;

export const ErrorEvent = open(
  {
    Message: Type.Optional(Type.String()),
    StackTrace: Type.Optional(Type.String()),
    Provider: Type.Optional(Guid),
    EventId: Type.Optional(UInt16),
    Flags: Type.Optional(UInt32),
    Source: Type.Optional(Type.String()),
    Data: Type.Optional(Type.Array(EventData)),
  },
  'ErrorEvent',
);
export type ErrorEvent = Static<typeof ErrorEvent>;

export const NotificationType = literals('None', 'GracefulExit', 'ForcedExit', 'UnexpectedExit', 'Unknown');
export type NotificationType = Static<typeof NotificationType>;
export const ExitInitiator = literals('None', 'GuestOS', 'Client', 'Internal', 'Unknown');
export type ExitInitiator = Static<typeof ExitInitiator>;
export const SystemExitDetail = literals(
  'Invalid',
  'HcsApiFatalError',
  'ServiceStop',
  'Shutdown',
  'Terminate',
  'UnexpectedExit',
);
export type SystemExitDetail = Static<typeof SystemExitDetail>;
export const WorkerExitType = literals(
  'None',
  'InitializationFailed',
  'Stopped',
  'Saved',
  'StoppedOnReset',
  'UnexpectedStop',
  'ResetFailed',
  'UnrecoverableError',
);
export type WorkerExitType = Static<typeof WorkerExitType>;

export const WorkerExitDetail = literals(
  'Invalid',
  'PowerOff',
  'PowerOffCritical',
  'Reset',
  'GuestCrash',
  'GuestFirmwareCrash',
  'TripleFault',
  'DeviceFatalApicRequest',
  'DeviceFatalMsrRequest',
  'DeviceFatalException',
  'DeviceFatalError',
  'DeviceMachineCheck',
  'EmulatorError',
  'VidTerminate',
  'ProcessUnexpectedExit',
  'InitializationFailure',
  'InitializationStartTimeout',
  'ColdStartFailure',
  'ResetStartFailure',
  'FastRestoreStartFailure',
  'RestoreStartFailure',
  'FastSavePreservePartition',
  'FastSavePreservePartitionHandleTransfer',
  'FastSave',
  'CloneTemplate',
  'Save',
  'Migrate',
  'MigrateFailure',
  'CannotReferenceVm',
  'MgotUnregister',
  'FastSavePreservePartitionHandleTransferStorage',
  'FastSavePreservePartitionHandleTransferNetworking',
  'FastSavePreservePartitionHandleTransferStorageAndNetworking',
  'FastSavePreservePartitionHsr',
  'FastSavePreservePartitionWithHandleTransfer',
  'FastSaveWithHandleTransfer',
);
export type WorkerExitDetail = Static<typeof WorkerExitDetail>;

export const OperationFailureDetail = literals(
  'Invalid',
  'CreateInternalError',
  'ConstructStateError',
  'RuntimeOsTypeMismatch',
  'Construct',
  'Start',
  'Pause',
  'Resume',
  'Shutdown',
  'Terminate',
  'Save',
  'GetProperties',
  'Modify',
  'Crash',
  'GuestCrash',
  'LifecycleNotify',
  'ExecuteProcess',
  'GetProcessInfo',
  'WaitForProcess',
  'SignalProcess',
  'ModifyProcess',
  'PrepareForHosting',
  'RegisterHostedSystem',
  'UnregisterHostedSystem',
  'PrepareForClone',
  'GetCloneTemplate',
);
export type OperationFailureDetail = Static<typeof OperationFailureDetail>;

export const VirtualDeviceFailureDetail = literals(
  'None',
  'Create',
  'Initialize',
  'StartReservingResources',
  'FinishReservingResources',
  'FreeReservedResources',
  'SaveReservedResources',
  'PowerOnCold',
  'PowerOnRestore',
  'PowerOff',
  'Save',
  'Resume',
  'Pause',
  'EnableOptimizations',
  'StartDisableOptimizations',
  'FinishDisableOptimizations',
  'Reset',
  'PostReset',
  'Teardown',
  'SaveCompatibilityInfo',
  'MetricRestore',
  'MetricEnumerate',
  'MetricEnumerateForSave',
  'MetricReset',
  'MetricEnable',
  'MetricDisable',
);
export type VirtualDeviceFailureDetail = Static<typeof VirtualDeviceFailureDetail>;

/** `ExitCode` is uint32 per the schema; a negative int32 spelling of an HRESULT is accepted too. */
export const WorkerExit = open(
  {
    ExitCode: Type.Optional(HResult),
    Type: Type.Optional(WorkerExitType),
    Detail: Type.Optional(WorkerExitDetail),
    Initiator: Type.Optional(ExitInitiator),
  },
  'WorkerExit',
);
export type WorkerExit = Static<typeof WorkerExit>;

export const SystemExit = open(
  { Detail: Type.Optional(SystemExitDetail), Initiator: Type.Optional(ExitInitiator) },
  'SystemExit',
);
export type SystemExit = Static<typeof SystemExit>;

export const VirtualDeviceFailure = open(
  {
    Detail: Type.Optional(VirtualDeviceFailureDetail),
    Name: Type.Optional(Type.String()),
    DeviceId: Type.Optional(Guid),
    InstanceId: Type.Optional(Guid),
  },
  'VirtualDeviceFailure',
);
export type VirtualDeviceFailure = Static<typeof VirtualDeviceFailure>;

/** Each record carries one of its keys, naming what caused a failure or exit (schema 2.4). */
export const AttributionRecord = open(
  {
    WorkerExit: Type.Optional(WorkerExit),
    GuestCrash: Type.Optional(open({ CrashParameters: Type.Optional(Type.Array(UInt64)) }, 'GuestCrash')),
    TripleFault: Type.Optional(open({ ErrorType: Type.Optional(UInt64) }, 'TripleFault')),
    InjectNonMaskableInterrupt: Type.Optional(AnyObject),
    OperationFailure: Type.Optional(
      open({ Detail: Type.Optional(OperationFailureDetail) }, 'OperationFailure'),
    ),
    SystemExit: Type.Optional(SystemExit),
    VirtualDeviceFailure: Type.Optional(VirtualDeviceFailure),
  },
  'AttributionRecord',
);
export type AttributionRecord = Static<typeof AttributionRecord>;

/** Failure result document of an operation. `Error` is the HRESULT (int32; unsigned spelling accepted). */
export const ResultError = open(
  {
    Error: HResult,
    ErrorMessage: Type.Optional(Type.String()),
    ErrorEvents: Type.Optional(Type.Array(ErrorEvent)),
    Attribution: Type.Optional(Type.Array(AttributionRecord)),
  },
  'ResultError',
);
export type ResultError = Static<typeof ResultError>;

/** EventData of `HcsEventSystemExited`. */
export const SystemExitStatus = open(
  {
    Status: HResult,
    ExitType: Type.Optional(NotificationType),
    Attribution: Type.Optional(Type.Array(AttributionRecord)),
  },
  'SystemExitStatus',
);
export type SystemExitStatus = Static<typeof SystemExitStatus>;

/** EventData of `HcsEventProcessExited` and result of HcsGetProcessProperties. */
export const ProcessStatus = open(
  {
    ProcessId: UInt32,
    Exited: Type.Optional(Type.Boolean()),
    ExitCode: Type.Optional(UInt32),
    LastWaitResult: Type.Optional(HResult),
  },
  'ProcessStatus',
);
export type ProcessStatus = Static<typeof ProcessStatus>;

/** EventData of `HcsEventSystemCrashInitiated` / `HcsEventSystemCrashReport`. */
export const CrashReport = open(
  {
    SystemId: Type.Optional(Type.String()),
    ActivityId: Type.Optional(Guid),
    WindowsCrashInfo: Type.Optional(AnyObject),
    CrashParameters: Type.Optional(Type.Array(UInt64)),
    CrashLog: Type.Optional(Type.String()),
    Status: Type.Optional(HResult),
    PreOSId: Type.Optional(UInt32),
    CrashStackUnavailable: Type.Optional(Type.Boolean()),
  },
  'CrashReport',
);
export type CrashReport = Static<typeof CrashReport>;
