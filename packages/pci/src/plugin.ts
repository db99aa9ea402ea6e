/** The pci plugin object: install once with `UtilityVM.use(pci)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import { addDevice, removeDevice } from './device.js';

/** The implementation: plain functions taking the VM first. */
export const pciMethods = {
  addDevice,
  removeDevice,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(pci)` adds (derived from the implementation: `vm` dropped). */
export type PciMethods = InstalledMethods<typeof pciMethods>;

/** The plugin: `UtilityVM.use(pci)`. */
export const pci = definePlugin<UtilityVM, typeof pciMethods>({
  name: 'pci',
  packageName: '@uvmkit/pci',
  coreRange: '^1.0.0',
  methods: pciMethods,
});
