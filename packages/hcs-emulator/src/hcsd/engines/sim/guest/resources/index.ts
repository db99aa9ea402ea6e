/**
 * ModifySettings on the emulated guest: routing by ResourceType / RequestType (gcs-protocol.md §5)
 * and the host/guest consistency rules (a mount must name what the host attached to this VM, a
 * mount in use by combined layers cannot go away, …). Every rejection throws a `GuestFailure`
 * and leaves the table untouched.
 */
import { GHR, type GuestOs, gfail, NULL_CONTAINER_ID } from '../protocol.js';
import { Fields, isObj } from '../settings.js';
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

/** The `Request` of a ModifySettings message, routed and applied. */

export function modifySettings(ctx: ModifyContext, containerId: string, request: unknown): void {
  if (!isObj(request)) gfail(GHR.INVALID_JSON, 'ModifySettings: Request must be a JSON object');
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
    const s = new Fields(request.Settings, 'Settings');
    s.object('Linux');
    s.object('Windows');
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
  res.handler(ctx, rt, new Fields(request.Settings, 'Settings'));
}

const LINUX: Record<string, Resource> = {
  MappedVirtualDisk: { requestTypes: ['Add', 'Remove'], handler: mappedVirtualDiskLinux },
  SCSIDevice: { requestTypes: ['Remove'], handler: scsiDeviceRemove },
  MappedDirectory: { requestTypes: ['Add', 'Remove'], handler: mappedDirectoryLinux },
  VPMemDevice: { requestTypes: ['Add', 'Remove'], handler: vpmemDevice },
  VPCIDevice: { requestTypes: ['Add'], handler: vpciDevice },
  Network: { requestTypes: ['Add', 'Remove'], handler: networkLinux },
  CombinedLayers: { requestTypes: ['Add', 'Remove'], handler: (c, r, s) => combinedLayers(c, r, s) },
  SecurityPolicy: { requestTypes: ['Add'], handler: securityPolicy },
  SecurityPolicyFragment: { requestTypes: ['Add'], handler: securityPolicyFragment },
  PodCgroupMemoryLimit: { requestTypes: ['Update'], handler: podCgroupMemoryLimit },
};

const WINDOWS: Record<string, Resource> = {
  MappedVirtualDisk: { requestTypes: ['Add', 'Remove'], handler: mappedVirtualDiskWindows(false) },
  MappedVirtualDiskForContainerScratch: { requestTypes: ['Add'], handler: mappedVirtualDiskWindows(true) },
  MappedDirectory: { requestTypes: ['Add', 'Remove'], handler: mappedDirectoryWindows },
  Network: { requestTypes: ['Add', 'Remove'], handler: networkWindows },
  NetworkNamespace: { requestTypes: ['Add', 'Remove'], handler: networkNamespace },
  CombinedLayers: { requestTypes: ['Add', 'Remove'], handler: (c, r, s) => combinedLayers(c, r, s) },
  CWCOWCombinedLayers: { requestTypes: ['Add', 'Remove'], handler: cwcowCombinedLayers },
  WCOWBlockCims: { requestTypes: ['Add', 'Remove'], handler: blockCims },
  HvSocket: { requestTypes: ['Update'], handler: hvSocket },
  SecurityPolicy: { requestTypes: ['Add'], handler: securityPolicy },
  SecurityPolicyFragment: { requestTypes: ['Add'], handler: securityPolicyFragment },
};

/** The ResourceTypes an OS's guest serves, with their RequestTypes (for docs and tests). */
export function supportedResources(os: GuestOs): Record<string, readonly string[]> {
  const table = os === 'Linux' ? LINUX : WINDOWS;
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v.requestTypes]));
}
