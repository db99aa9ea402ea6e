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

export const PauseOptions = strict(
  {
    SuspensionLevel: Type.Optional(SuspensionLevel),
    /** e.g. `{Reason: "Save"}` before HcsSaveComputeSystem */
    HostedNotification: Type.Optional(strict({ Reason: Type.Optional(Type.String()) })),
  },
  'PauseOptions',
);
export type PauseOptions = Static<typeof PauseOptions>;

/**
 * Options of HcsShutDownComputeSystem (schema 2.5). Not fully documented, so this stays open:
 * unknown keys are accepted and `Mechanism` (e.g. "GuestConnection", "IntegrationService"),
 * `Type` (e.g. "Shutdown", "Hibernate", "Reboot") and `Reason` are free strings.
 */
export const ShutdownOptions = open(
  {
    Mechanism: Type.Optional(Type.String()),
    Type: Type.Optional(Type.String()),
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
