/**
 * Every request function, installed as a `Guest` method (`guest.addMappedVirtualDisk(disk)` ≡
 * `addMappedVirtualDisk(guest, disk)`), the same shape as the host managers' plugins.
 */
import type { InstalledMethods } from '@uvmkit/hcs-core/manager';
import { createContainer, openContainer } from './container.js';
import { execIntoUVM } from './process.js';
import { addBlockCIMs, removeBlockCIMs } from './requests/block-cims.js';
import { updateContainerConstraints } from './requests/container.js';
import { deleteContainerState, dumpStacks } from './requests/diagnostics.js';
import { updateHvSocketAddress } from './requests/hvsocket.js';
import {
  addCombinedLayers,
  addCombinedLayersCwcow,
  addCombinedLayersWcow,
  removeCombinedLayers,
  removeCombinedLayersCwcow,
  removeCombinedLayersWcow,
} from './requests/layers.js';
import { updateCgroupMemoryLimits } from './requests/memory.js';
import {
  addNetworkInterface,
  addNetworkInterfaceWcow,
  addNetworkNamespace,
  preAddNetworkInterfaceWcow,
  removeNetworkInterface,
  removeNetworkInterfaceWcow,
  removeNetworkNamespace,
} from './requests/network.js';
import {
  addMappedDirectory,
  addMappedDirectoryWcow,
  removeMappedDirectory,
  removeMappedDirectoryWcow,
} from './requests/plan9.js';
import {
  addMappedVirtualDisk,
  addMappedVirtualDiskForContainerScratch,
  addMappedVirtualDiskWcow,
  removeMappedVirtualDisk,
  removeMappedVirtualDiskWcow,
  removeSCSIDevice,
} from './requests/scsi.js';
import { addSecurityPolicy, injectPolicyFragment } from './requests/security-policy.js';
import { addVPCIDevice } from './requests/vpci.js';
import { addVPMemDevice, removeVPMemDevice } from './requests/vpmem.js';

export const guestRequestMethods = {
  addMappedVirtualDisk,
  removeMappedVirtualDisk,
  addMappedVirtualDiskWcow,
  removeMappedVirtualDiskWcow,
  addMappedVirtualDiskForContainerScratch,
  removeSCSIDevice,
  addMappedDirectory,
  removeMappedDirectory,
  addMappedDirectoryWcow,
  removeMappedDirectoryWcow,
  addVPMemDevice,
  removeVPMemDevice,
  addVPCIDevice,
  addNetworkInterface,
  removeNetworkInterface,
  preAddNetworkInterfaceWcow,
  addNetworkInterfaceWcow,
  removeNetworkInterfaceWcow,
  addNetworkNamespace,
  removeNetworkNamespace,
  addCombinedLayers,
  removeCombinedLayers,
  addCombinedLayersWcow,
  removeCombinedLayersWcow,
  addCombinedLayersCwcow,
  removeCombinedLayersCwcow,
  updateHvSocketAddress,
  addSecurityPolicy,
  injectPolicyFragment,
  addBlockCIMs,
  removeBlockCIMs,
  updateCgroupMemoryLimits,
  updateContainerConstraints,
  dumpStacks,
  deleteContainerState,
  execIntoUVM,
  createContainer,
  openContainer,
} as const;

/** The request methods of `Guest` (the functions with `guest` dropped). */
export type GuestRequestMethods = InstalledMethods<typeof guestRequestMethods>;
