/** The lifetime plugin object: install once with `UtilityVM.use(lifetime)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import {
  cancelLiveMigration,
  finalizeLiveMigration,
  initializeLiveMigrationOnSource,
  startLiveMigrationOnSource,
  startLiveMigrationTransfer,
} from './migration.js';
import { pause, resume } from './pause.js';
import { properties, propertiesV3 } from './properties.js';
import { save } from './save.js';
import { start } from './start.js';
import { startedTime } from './started.js';
import { crash, exitError, shutdown, stoppedTime, terminate, wait } from './stop.js';

/** The implementation: plain functions taking the VM first. */
export const lifetimeMethods = {
  start,
  shutdown,
  terminate,
  pause,
  resume,
  save,
  crash,
  wait,
  properties,
  propertiesV3,
  startedTime,
  stoppedTime,
  exitError,
  initializeLiveMigrationOnSource,
  startLiveMigrationOnSource,
  startLiveMigrationTransfer,
  finalizeLiveMigration,
  cancelLiveMigration,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(lifetime)` adds (derived from the implementation: `vm` dropped). */
export type LifetimeMethods = InstalledMethods<typeof lifetimeMethods>;

/** The plugin: `UtilityVM.use(lifetime)`. */
export const lifetime = definePlugin<UtilityVM, typeof lifetimeMethods>({
  name: 'lifetime',
  packageName: '@uvmkit/lifetime',
  coreRange: '^1.0.0',
  methods: lifetimeMethods,
});
