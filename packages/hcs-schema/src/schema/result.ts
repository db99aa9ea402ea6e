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

export const AttributionRecord = open(
  {
    WorkerExit: Type.Optional(
      open({
        ExitCode: Type.Optional(HResult),
        Type: Type.Optional(WorkerExitType),
        Detail: Type.Optional(Type.String()),
        Initiator: Type.Optional(ExitInitiator),
      }),
    ),
    GuestCrash: Type.Optional(AnyObject),
    TripleFault: Type.Optional(AnyObject),
    InjectNonMaskableInterrupt: Type.Optional(AnyObject),
    OperationFailure: Type.Optional(open({ Detail: Type.Optional(Type.String()) })),
    SystemExit: Type.Optional(
      open({ Detail: Type.Optional(SystemExitDetail), Initiator: Type.Optional(ExitInitiator) }),
    ),
    VirtualDeviceFailure: Type.Optional(
      open({
        Detail: Type.Optional(Type.String()),
        Name: Type.Optional(Type.String()),
        DeviceId: Type.Optional(Type.String()),
        InstanceId: Type.Optional(Type.String()),
      }),
    ),
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
