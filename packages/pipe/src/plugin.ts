/** The pipe plugin object: install once with `UtilityVM.use(pipe)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import { addPipe, removePipe } from './pipe.js';

/** The implementation: plain functions taking the VM first. */
export const pipeMethods = {
  addPipe,
  removePipe,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(pipe)` adds (derived from the implementation: `vm` dropped). */
export type PipeMethods = InstalledMethods<typeof pipeMethods>;

/** The plugin: `UtilityVM.use(pipe)`. */
export const pipe = definePlugin<UtilityVM, typeof pipeMethods>({
  name: 'pipe',
  packageName: '@uvmkit/pipe',
  coreRange: '^1.0.0',
  methods: pipeMethods,
});
