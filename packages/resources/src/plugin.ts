/** The resources plugin object: install once with `UtilityVM.use(resources)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import { setCPUGroup } from './cpu-group.js';
import { updateCPULimits } from './cpu-limits.js';
import { updateMemory } from './memory.js';

/** The implementation: plain functions taking the VM first. */
export const resourcesMethods = {
  setCPUGroup,
  updateCPULimits,
  updateMemory,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(resources)` adds (derived from the implementation: `vm` dropped). */
export type ResourcesMethods = InstalledMethods<typeof resourcesMethods>;

/** The plugin: `UtilityVM.use(resources)`. */
export const resources = definePlugin<UtilityVM, typeof resourcesMethods>({
  name: 'resources',
  packageName: '@uvmkit/resources',
  coreRange: '^1.0.0',
  methods: resourcesMethods,
});
