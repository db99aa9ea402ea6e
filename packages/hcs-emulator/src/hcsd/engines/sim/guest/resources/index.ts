/**
 * ModifySettings on the emulated guest: routing by ResourceType / RequestType (gcs-protocol.md §5)
 * and the host/guest consistency rules (a mount must name what the host attached to this VM, a
 * mount in use by combined layers cannot go away, …). Every rejection throws a `GuestFailure`
 * and leaves the table untouched.
 */
import {
  BlockCimsSettings,
  CombinedLayersSettings,
  ContainerConstraintsSettings,
  CwcowCombinedLayersSettings,
  GuestModificationRequestWire,
  HvSocketAddressSettings,
  LcowMappedDirectorySettings,
  LcowMappedVirtualDiskSettings,
  LcowNetworkAdapterSettings,
  NetworkNamespaceSettings,
  PodCgroupMemoryLimitSettings,
  ScsiDeviceSettings,
  SecurityPolicyFragmentSettings,
  SecurityPolicySettings,
  VpciDeviceSettings,
  VpmemDeviceSettings,
  WcowMappedDirectorySettings,
  WcowMappedVirtualDiskSettings,
  WcowNetworkModifySettings,
} from '@uvmkit/hcs-schema';
import { GHR, type GuestOs, gfail, NULL_CONTAINER_ID } from '../protocol.js';
import { decodeOrFail, Fields, isObj } from '../settings.js';
import { blockCims } from './block-cims.js';
import type { ModifyContext, RequestType, Resource } from './common.js';
import { hvSocket } from './hvsocket.js';
import { combinedLayers, cwcowCombinedLayers } from './layers.js';
import { podCgroupMemoryLimit } from './memory.js';
import { networkLinux, networkNamespace, networkWindows } from './network.js';
import { mappedDirectoryLinux, mappedDirectoryWindows } from './plan9.js';
import { mappedVirtualDiskLinux, mappedVirtualDiskWindows, scsiDeviceRemove } from './scsi.js';
import { securityPolicy, securityPolicyFragment } from './security-policy.js';
import { vpciDevice } from './vpci.js';
import { vpmemDevice } from './vpmem.js';

export type { ModifyContext } from './common.js';

/**
 * The `Request` of a ModifySettings message, routed and applied. The envelope and each
 * resource's Settings are checked against their `@uvmkit/hcs-schema` schema first.
 */
export function modifySettings(ctx: ModifyContext, containerId: string, request: unknown): void {
  if (!isObj(request)) gfail(GHR.INVALID_JSON, 'ModifySettings: Request must be a JSON object');
  decodeOrFail(GuestModificationRequestWire, request, 'Request');
  const req = new Fields(request, 'Request');
  const resourceType = req.string('ResourceType');
  const rtText = req.string('RequestType');
  const rt = (rtText === '' ? 'Add' : rtText) as RequestType;
  if (containerId.toLowerCase() !== NULL_CONTAINER_ID) {
    if (resourceType !== 'ContainerConstraints')
      gfail(
        GHR.E_FAIL,
        `modify for container ${containerId}: resource type ${JSON.stringify(resourceType)} is not supported (only ContainerConstraints)`,
      );
    if (rt !== 'Update')
      gfail(GHR.E_FAIL, `invalid RequestType ${JSON.stringify(rtText)} for ContainerConstraints`);
    const c = ctx.table.containers.get(containerId);
    if (c === undefined) gfail(GHR.SYSTEM_NOT_FOUND, `container ${containerId} does not exist`);
    decodeOrFail(ContainerConstraintsSettings, request.Settings, 'Settings');
    const s = new Fields(request.Settings, 'Settings');
    c.constraints.push(structuredClone(s.raw));
    return;
  }
  const table = ctx.os === 'Linux' ? LINUX : WINDOWS;
  const res = Object.hasOwn(table, resourceType) ? table[resourceType] : undefined;
  if (res === undefined) {
    gfail(GHR.E_FAIL, `invalid ResourceType ${JSON.stringify(resourceType)} for a ${ctx.os} guest`);
  }
  if (!res.requestTypes.includes(rt)) {
    gfail(GHR.E_FAIL, `invalid RequestType ${JSON.stringify(rtText)} for ResourceType ${resourceType}`);
  }
  decodeOrFail(res.settings, request.Settings, 'Settings');
  res.handler(ctx, rt, new Fields(request.Settings, 'Settings'));
}

const LINUX: Record<string, Resource> = {
  MappedVirtualDisk: {
    settings: LcowMappedVirtualDiskSettings,
    requestTypes: ['Add', 'Remove'],
    handler: mappedVirtualDiskLinux,
  },
  SCSIDevice: { settings: ScsiDeviceSettings, requestTypes: ['Remove'], handler: scsiDeviceRemove },
  MappedDirectory: {
    settings: LcowMappedDirectorySettings,
    requestTypes: ['Add', 'Remove'],
    handler: mappedDirectoryLinux,
  },
  VPMemDevice: { settings: VpmemDeviceSettings, requestTypes: ['Add', 'Remove'], handler: vpmemDevice },
  VPCIDevice: { settings: VpciDeviceSettings, requestTypes: ['Add'], handler: vpciDevice },
  Network: { settings: LcowNetworkAdapterSettings, requestTypes: ['Add', 'Remove'], handler: networkLinux },
  CombinedLayers: {
    settings: CombinedLayersSettings,
    requestTypes: ['Add', 'Remove'],
    handler: (c, r, s) => combinedLayers(c, r, s),
  },
  SecurityPolicy: { settings: SecurityPolicySettings, requestTypes: ['Add'], handler: securityPolicy },
  SecurityPolicyFragment: {
    settings: SecurityPolicyFragmentSettings,
    requestTypes: ['Add'],
    handler: securityPolicyFragment,
  },
  PodCgroupMemoryLimit: {
    settings: PodCgroupMemoryLimitSettings,
    requestTypes: ['Update'],
    handler: podCgroupMemoryLimit,
  },
};

const WINDOWS: Record<string, Resource> = {
  MappedVirtualDisk: {
    settings: WcowMappedVirtualDiskSettings,
    requestTypes: ['Add', 'Remove'],
    handler: mappedVirtualDiskWindows(false),
  },
  MappedVirtualDiskForContainerScratch: {
    settings: WcowMappedVirtualDiskSettings,
    requestTypes: ['Add'],
    handler: mappedVirtualDiskWindows(true),
  },
  MappedDirectory: {
    settings: WcowMappedDirectorySettings,
    requestTypes: ['Add', 'Remove'],
    handler: mappedDirectoryWindows,
  },
  Network: { settings: WcowNetworkModifySettings, requestTypes: ['Add', 'Remove'], handler: networkWindows },
  NetworkNamespace: {
    settings: NetworkNamespaceSettings,
    requestTypes: ['Add', 'Remove'],
    handler: networkNamespace,
  },
  CombinedLayers: {
    settings: CombinedLayersSettings,
    requestTypes: ['Add', 'Remove'],
    handler: (c, r, s) => combinedLayers(c, r, s),
  },
  CWCOWCombinedLayers: {
    settings: CwcowCombinedLayersSettings,
    requestTypes: ['Add', 'Remove'],
    handler: cwcowCombinedLayers,
  },
  WCOWBlockCims: { settings: BlockCimsSettings, requestTypes: ['Add', 'Remove'], handler: blockCims },
  HvSocket: { settings: HvSocketAddressSettings, requestTypes: ['Update'], handler: hvSocket },
  SecurityPolicy: { settings: SecurityPolicySettings, requestTypes: ['Add'], handler: securityPolicy },
  SecurityPolicyFragment: {
    settings: SecurityPolicyFragmentSettings,
    requestTypes: ['Add'],
    handler: securityPolicyFragment,
  },
};

/** The ResourceTypes an OS's guest serves, with their RequestTypes (for docs and tests). */
export function supportedResources(os: GuestOs): Record<string, readonly string[]> {
  const table = os === 'Linux' ? LINUX : WINDOWS;
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v.requestTypes]));
}
