/**
 * Live-migration calls (hcs-api.md §1c). Builds that lack these exports (and the emulator, which
 * answers E_NOTIMPL) reject with a NotSupported-class HcsError (`isNotSupported(err)`).
 */
import { type CallOptions, systemOf, type UtilityVM } from '@uvmkit/hcs-core';
import { wrap } from './start.js';

type MigrationOptions = Record<string, unknown>;

async function call(
  vm: UtilityVM,
  verb: string,
  fn:
    | 'initializeLiveMigrationOnSource'
    | 'startLiveMigrationOnSource'
    | 'startLiveMigrationTransfer'
    | 'finalizeLiveMigration'
    | 'cancelLiveMigration',
  migrationOptions: MigrationOptions | undefined,
  options: CallOptions | undefined,
): Promise<void> {
  try {
    await systemOf(vm)[fn](migrationOptions, options);
  } catch (err) {
    throw wrap(err, verb, vm);
  }
}

/** `HcsInitializeLiveMigrationOnSource` (MigrationInitializeOptions). */
export function initializeLiveMigrationOnSource(
  vm: UtilityVM,
  o?: MigrationOptions,
  options?: CallOptions,
): Promise<void> {
  return call(vm, 'initialize live migration of', 'initializeLiveMigrationOnSource', o, options);
}
/** `HcsStartLiveMigrationOnSource` (MigrationStartOptions). */
export function startLiveMigrationOnSource(
  vm: UtilityVM,
  o?: MigrationOptions,
  options?: CallOptions,
): Promise<void> {
  return call(vm, 'start live migration of', 'startLiveMigrationOnSource', o, options);
}
/** `HcsStartLiveMigrationTransfer` (MigrationTransferOptions). */
export function startLiveMigrationTransfer(
  vm: UtilityVM,
  o?: MigrationOptions,
  options?: CallOptions,
): Promise<void> {
  return call(vm, 'start the live-migration transfer of', 'startLiveMigrationTransfer', o, options);
}
/** `HcsFinalizeLiveMigration` (MigrationFinalizedOptions). */
export function finalizeLiveMigration(
  vm: UtilityVM,
  o?: MigrationOptions,
  options?: CallOptions,
): Promise<void> {
  return call(vm, 'finalize live migration of', 'finalizeLiveMigration', o, options);
}
/** `HcsCancelLiveMigration` (MigrationCancelOptions). */
export function cancelLiveMigration(
  vm: UtilityVM,
  o?: MigrationOptions,
  options?: CallOptions,
): Promise<void> {
  return call(vm, 'cancel live migration of', 'cancelLiveMigration', o, options);
}
