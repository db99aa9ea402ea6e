/** Option documents of the lifecycle calls (Start, Save, Pause, Shutdown, Crash). */
import { type Static, Type } from '@sinclair/typebox';
import { AnyObject, literals, open, strict, UInt32 } from './common.js';

export const SaveType = literals('ToFile', 'AsTemplate');
export type SaveType = Static<typeof SaveType>;

export const SaveOptions = strict(
  {
    SaveType: Type.Optional(SaveType),
    SaveStateFilePath: Type.Optional(Type.String()),
  },
  'SaveOptions',
);
export type SaveOptions = Static<typeof SaveOptions>;

export const SuspensionLevel = literals('Suspend', 'MemoryLow', 'MemoryMedium', 'MemoryHigh');
export type SuspensionLevel = Static<typeof SuspensionLevel>;

export const PauseReason = literals('None', 'Save', 'Template');
export type PauseReason = Static<typeof PauseReason>;

export const PauseOptions = strict(
  {
    SuspensionLevel: Type.Optional(SuspensionLevel),
    /** e.g. `{Reason: "Save"}` before HcsSaveComputeSystem */
    HostedNotification: Type.Optional(strict({ Reason: Type.Optional(PauseReason) }, 'PauseNotification')),
  },
  'PauseOptions',
);
export type PauseOptions = Static<typeof PauseOptions>;

export const ShutdownMechanism = literals('GuestConnection', 'IntegrationService');
export type ShutdownMechanism = Static<typeof ShutdownMechanism>;
export const ShutdownType = literals('Shutdown', 'Hibernate', 'Reboot');
export type ShutdownType = Static<typeof ShutdownType>;

/**
 * Options of HcsShutDownComputeSystem (schema 2.5: Mechanism, Type, Force, Reason). Kept open
 * (unknown keys accepted) because the shape is young; `TimeoutSeconds` (seconds, uint32) is
 * accepted too.
 */
export const ShutdownOptions = open(
  {
    Mechanism: Type.Optional(ShutdownMechanism),
    Type: Type.Optional(ShutdownType),
    Force: Type.Optional(Type.Boolean()),
    TimeoutSeconds: Type.Optional(UInt32),
    Reason: Type.Optional(Type.String()),
  },
  'ShutdownOptions',
);
export type ShutdownOptions = Static<typeof ShutdownOptions>;

/** Options of HcsCrashComputeSystem. */
export const CrashOptions = strict({ Type: literals('CrashGuest') }, 'CrashOptions');
export type CrashOptions = Static<typeof CrashOptions>;

/** Options of HcsStartComputeSystem: no keys are documented; any object is accepted. */
export const StartOptions = AnyObject;
export type StartOptions = Static<typeof StartOptions>;
