/** The scsi plugin object: install once with `UtilityVM.use(scsi)`. */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { definePlugin, type InstalledMethods } from '@uvmkit/hcs-core/manager';
import { addSCSIDisk, removeSCSIDisk } from './disk.js';

/** The implementation: plain functions taking the VM first. */
export const scsiMethods = {
  addSCSIDisk,
  removeSCSIDisk,
  // biome-ignore lint/suspicious/noExplicitAny: every method takes the VM first, then anything
} satisfies Record<string, (vm: UtilityVM, ...args: any[]) => unknown>;

/** The members `UtilityVM.use(scsi)` adds (derived from the implementation: `vm` dropped). */
export type ScsiMethods = InstalledMethods<typeof scsiMethods>;

/** The plugin: `UtilityVM.use(scsi)`. */
export const scsi = definePlugin<UtilityVM, typeof scsiMethods>({
  name: 'scsi',
  packageName: '@uvmkit/scsi',
  coreRange: '^1.0.0',
  methods: scsiMethods,
});
