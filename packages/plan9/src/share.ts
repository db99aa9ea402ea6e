/**
 * Plan 9 shares: `VirtualMachine/Devices/Plan9/Shares`. Add sends the whole `Plan9Share`; Remove
 * sends only what identifies the share — `{Name, AccessName, Port}` — as hcsshim does.
 *
 * The share's `Name` (its identity in HCS and the name the guest mounts) is checked before
 * anything is sent: a non-empty string without `/`, `\`, `%` or control characters, and not `.`
 * or `..` (argument `share.Name`).
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import {
  checkShareName,
  describeValue,
  InvalidArgumentError,
  modifySettingRequest,
  type Plan9Share,
  plan9SharesPath,
} from '@uvmkit/hcs-schema';

function nameOf(share: unknown): unknown {
  return typeof share === 'object' && share !== null ? (share as { Name?: unknown }).Name : undefined;
}

/** Throws InvalidArgumentError unless `share` is an object with an acceptable `Name` (hcs-schema's `checkShareName`). */
function checkShare(share: unknown): void {
  if (typeof share !== 'object' || share === null || Array.isArray(share)) {
    throw new InvalidArgumentError('share', share, 'must be a Plan9Share object');
  }
  checkShareName(nameOf(share), 'share.Name');
}

/** Share a host directory (`Path`) with the guest as `Name` (Flags, Port, AllowedFiles as given). */
export function addPlan9(vm: UtilityVM, share: Plan9Share, options?: CallOptions): Promise<void> {
  return modifyResource(
    vm,
    'addPlan9',
    `add Plan 9 share ${describeValue(nameOf(share))}`,
    () => {
      checkShare(share);
      return modifySettingRequest(plan9SharesPath(), { RequestType: 'Add', Settings: share });
    },
    options,
  );
}

/** Remove the share named `share.Name`; sends `{Name, AccessName, Port}` (those present). */
export function removePlan9(vm: UtilityVM, share: Plan9Share, options?: CallOptions): Promise<void> {
  return modifyResource(
    vm,
    'removePlan9',
    `remove Plan 9 share ${describeValue(nameOf(share))}`,
    () => {
      checkShare(share);
      const settings: Pick<Plan9Share, 'Name' | 'AccessName' | 'Port'> = { Name: share.Name };
      if (share.AccessName !== undefined) settings.AccessName = share.AccessName;
      if (share.Port !== undefined) settings.Port = share.Port;
      return modifySettingRequest(plan9SharesPath(), { RequestType: 'Remove', Settings: settings });
    },
    options,
  );
}
