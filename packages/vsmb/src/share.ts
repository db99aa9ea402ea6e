/**
 * VSMB shares: `VirtualMachine/Devices/VirtualSmb/Shares` (hcs-api.md §6a). Shares are identified
 * by `Name`. Add sends the VirtualSmbShare; Remove sends `{Name}` only (as hcsshim does); Update
 * sends the whole share, and HCS changes only its `AllowedFiles` — and only for a share added with
 * `Options.RestrictFileAccess: true` (otherwise HCS rejects the Update).
 *
 * The name is checked before anything is sent: a non-empty string that is one share name, not a
 * path (no `/`, `\`, `%`, control characters, nor `.`/`..`).
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import {
  checkShareName,
  InvalidArgumentError,
  modifySettingRequest,
  type VirtualSmbShare,
  vsmbSharesPath,
} from '@uvmkit/hcs-schema';

/** The share's `Name`, checked (hcs-schema's `checkShareName`); throws InvalidArgumentError. */
function nameOf(share: unknown): string {
  if (typeof share !== 'object' || share === null || Array.isArray(share)) {
    throw new InvalidArgumentError('share', share, 'must be a VirtualSmbShare object');
  }
  return checkShareName((share as { Name?: unknown }).Name, 'share.Name');
}

function label(share: unknown): string {
  const name = typeof share === 'object' && share !== null ? (share as { Name?: unknown }).Name : undefined;
  return typeof name === 'string' ? `VSMB share ${JSON.stringify(name)}` : 'VSMB share';
}

/** Add a VSMB share (`RequestType: "Add"`, Settings = `share`). */
export function addVSMB(vm: UtilityVM, share: VirtualSmbShare, options?: CallOptions): Promise<void> {
  return modifyResource(
    vm,
    'addVSMB',
    `add ${label(share)}`,
    () => {
      nameOf(share);
      return modifySettingRequest(vsmbSharesPath(), { RequestType: 'Add', Settings: share });
    },
    options,
  );
}

/** Remove the VSMB share named `share.Name` (`RequestType: "Remove"`, Settings = `{Name}`). */
export function removeVSMB(
  vm: UtilityVM,
  share: Pick<VirtualSmbShare, 'Name'>,
  options?: CallOptions,
): Promise<void> {
  return modifyResource(
    vm,
    'removeVSMB',
    `remove ${label(share)}`,
    () =>
      modifySettingRequest(vsmbSharesPath(), { RequestType: 'Remove', Settings: { Name: nameOf(share) } }),
    options,
  );
}

/**
 * Update a VSMB share (`RequestType: "Update"`, Settings = `share`): HCS replaces the share's
 * `AllowedFiles` with `share.AllowedFiles`; the share must have been added with
 * `Options.RestrictFileAccess: true`.
 */
export function updateVSMB(vm: UtilityVM, share: VirtualSmbShare, options?: CallOptions): Promise<void> {
  return modifyResource(
    vm,
    'updateVSMB',
    `update ${label(share)}`,
    () => {
      nameOf(share);
      return modifySettingRequest(vsmbSharesPath(), { RequestType: 'Update', Settings: share });
    },
    options,
  );
}
