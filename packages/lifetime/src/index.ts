/**
 * @packageDocumentation
 * `@uvmkit/lifetime` — the lifecycle manager for `UtilityVM`: start, shutdown, terminate (both
 * wait for the exit and resolve with the exit status), pause, resume, save, crash, wait,
 * properties (V2 PropertyTypes) and propertiesV3 (PropertyQuery), startedTime, stoppedTime,
 * exitError, and the live-migration calls.
 *
 * Install once at the composition root: `UtilityVM.use(lifetime)`. Importing this package
 * changes nothing. Every function is also exported on its own (`start(vm)`), for tree-shaking
 * and tests.
 *
 * Does not own: creating/opening/closing the VM, modify and events (hcs-core), device changes
 * (resource managers), guest-side actions (guestmanager).
 */
import type { LifetimeMethods } from './plugin.js';

declare module '@uvmkit/hcs-core' {
  interface UtilityVM extends LifetimeMethods {}
}

export {
  cancelLiveMigration,
  finalizeLiveMigration,
  initializeLiveMigrationOnSource,
  startLiveMigrationOnSource,
  startLiveMigrationTransfer,
} from './migration.js';
export { pause, resume } from './pause.js';
export { type LifetimeMethods, lifetime, lifetimeMethods } from './plugin.js';
export { properties, propertiesV3 } from './properties.js';
export { save } from './save.js';
export { start } from './start.js';
export { startedTime } from './started.js';
export { crash, exitError, shutdown, stoppedTime, terminate, wait } from './stop.js';
