/**
 * The one path every request builder sends through: `Guest.modify` on the null container, with
 * a typed guest resource — its `ResourceType` and its Settings schema, both from
 * `@uvmkit/hcs-schema` (the one home of the guest request shapes, shared with hcsd's emulated
 * agent). The builders check their arguments (the API's rules: ranges, absolute paths, GUIDs,
 * with their own messages) and build the Settings; `send` then checks the built Settings against
 * the resource's schema, so what goes on the wire has the shape the guest decodes.
 */
import type { CallOptions } from '@uvmkit/hcs-core';
import { invalidArgument } from '@uvmkit/hcs-core/manager';
import {
  BlockCimsSettings,
  CombinedLayersSettings,
  CwcowCombinedLayersSettings,
  check,
  GuestResourceType,
  HvSocketAddressSettings,
  LcowMappedDirectorySettings,
  LcowMappedVirtualDiskSettings,
  LcowNetworkAdapterSettings,
  NetworkNamespaceSettings,
  PodCgroupMemoryLimitSettings,
  ScsiDeviceSettings,
  SecurityPolicyFragmentSettings,
  SecurityPolicySettings,
  type Static,
  type TSchema,
  VpciDeviceSettings,
  VpmemDeviceSettings,
  WcowMappedDirectorySettings,
  WcowMappedVirtualDiskSettings,
  WcowNetworkModifySettings,
} from '@uvmkit/hcs-schema';
import type { Guest, GuestModificationRequest } from '../guest.js';

/** Guest resource types (gcs-protocol.md §5): `GuestResourceType` of `@uvmkit/hcs-schema`. */
export const ResourceType = GuestResourceType;
/** One of {@link ResourceType}. */
export type ResourceType = GuestResourceType;

/** @internal A guest resource as the builders send it: its ResourceType and the schema of its Settings. */
export interface GuestResource<S extends TSchema> {
  readonly type: ResourceType;
  readonly settings: S;
}

/** @internal */
function resource<S extends TSchema>(type: ResourceType, settings: S): GuestResource<S> {
  return { type, settings };
}

/** @internal The resources the builders send, each with its Settings schema (LCOW and WCOW differ for three). */
export const GuestResources = {
  LcowMappedVirtualDisk: resource(ResourceType.MappedVirtualDisk, LcowMappedVirtualDiskSettings),
  WcowMappedVirtualDisk: resource(ResourceType.MappedVirtualDisk, WcowMappedVirtualDiskSettings),
  WcowContainerScratch: resource(
    ResourceType.MappedVirtualDiskForContainerScratch,
    WcowMappedVirtualDiskSettings,
  ),
  ScsiDevice: resource(ResourceType.SCSIDevice, ScsiDeviceSettings),
  LcowMappedDirectory: resource(ResourceType.MappedDirectory, LcowMappedDirectorySettings),
  WcowMappedDirectory: resource(ResourceType.MappedDirectory, WcowMappedDirectorySettings),
  VpmemDevice: resource(ResourceType.VPMemDevice, VpmemDeviceSettings),
  VpciDevice: resource(ResourceType.VPCIDevice, VpciDeviceSettings),
  LcowNetwork: resource(ResourceType.Network, LcowNetworkAdapterSettings),
  WcowNetwork: resource(ResourceType.Network, WcowNetworkModifySettings),
  NetworkNamespace: resource(ResourceType.NetworkNamespace, NetworkNamespaceSettings),
  CombinedLayers: resource(ResourceType.CombinedLayers, CombinedLayersSettings),
  CwcowCombinedLayers: resource(ResourceType.CWCOWCombinedLayers, CwcowCombinedLayersSettings),
  BlockCims: resource(ResourceType.WCOWBlockCims, BlockCimsSettings),
  HvSocket: resource(ResourceType.HvSocket, HvSocketAddressSettings),
  SecurityPolicy: resource(ResourceType.SecurityPolicy, SecurityPolicySettings),
  SecurityPolicyFragment: resource(ResourceType.SecurityPolicyFragment, SecurityPolicyFragmentSettings),
  PodCgroupMemoryLimit: resource(ResourceType.PodCgroupMemoryLimit, PodCgroupMemoryLimitSettings),
} as const;

/**
 * @internal
 * Send a typed guest modification. The Settings are checked against the resource's schema
 * first: a mismatch is an `InvalidArgument` naming the resource and the field, and nothing is sent.
 */
export function send<S extends TSchema>(
  guest: Guest,
  resource: GuestResource<S>,
  requestType: GuestModificationRequest['RequestType'],
  settings: Static<S> | undefined,
  options?: CallOptions,
): Promise<void> {
  if (settings !== undefined) {
    const issue = check(resource.settings, settings)[0];
    if (issue !== undefined) {
      return Promise.reject(
        invalidArgument(
          resource.type,
          `Settings${issue.path === '' ? '' : `.${issue.path}`} ${issue.message}`,
        ),
      );
    }
  }
  return guest.modify(
    settings === undefined
      ? { ResourceType: resource.type, RequestType: requestType }
      : { ResourceType: resource.type, RequestType: requestType, Settings: settings },
    options,
  );
}
