/** The one path every request builder sends through: `Guest.modify` on the null container. */
import type { CallOptions } from '@uvmkit/hcs-core';
import type { Guest, GuestModificationRequest } from '../guest.js';

/** Guest resource types (gcs-protocol.md §5). */
export const ResourceType = {
  MappedVirtualDisk: 'MappedVirtualDisk',
  MappedVirtualDiskForContainerScratch: 'MappedVirtualDiskForContainerScratch',
  SCSIDevice: 'SCSIDevice',
  MappedDirectory: 'MappedDirectory',
  VPMemDevice: 'VPMemDevice',
  VPCIDevice: 'VPCIDevice',
  Network: 'Network',
  NetworkNamespace: 'NetworkNamespace',
  CombinedLayers: 'CombinedLayers',
  CWCOWCombinedLayers: 'CWCOWCombinedLayers',
  WCOWBlockCims: 'WCOWBlockCims',
  ContainerConstraints: 'ContainerConstraints',
  HvSocket: 'HvSocket',
  SecurityPolicy: 'SecurityPolicy',
  SecurityPolicyFragment: 'SecurityPolicyFragment',
  PodCgroupMemoryLimit: 'PodCgroupMemoryLimit',
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

export function send(
  guest: Guest,
  resourceType: ResourceType,
  requestType: GuestModificationRequest['RequestType'],
  settings: unknown,
  options?: CallOptions,
): Promise<void> {
  return guest.modify(
    settings === undefined
      ? { ResourceType: resourceType, RequestType: requestType }
      : { ResourceType: resourceType, RequestType: requestType, Settings: settings },
    options,
  );
}
