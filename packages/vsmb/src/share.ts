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
import { InvalidArgumentError, type VirtualSmbShare, vsmbSharesPath } from '@uvmkit/hcs-schema';
import { send, validated } from './errors.js';

function nameOf(share: unknown): string {
  if (typeof share !== 'object' || share === null || Array.isArray(share)) {
    throw new InvalidArgumentError('share', share, 'must be a VirtualSmbShare object');
  }
  const name = (share as { Name?: unknown }).Name;
  const bad = (reason: string): never => {
    throw new InvalidArgumentError('share.Name', name, reason);
  };
  if (typeof name !== 'string') return bad('must be a string');
  if (name === '') return bad('must not be empty');
  if (name === '.' || name === '..') return bad('must not be "." or ".."');
  for (const c of ['/', '\\', '%']) if (name.includes(c)) bad(`must not contain ${JSON.stringify(c)}`);
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) bad('must not contain control characters');
  }
  return name;
}

function label(share: unknown): string {
  const name = typeof share === 'object' && share !== null ? (share as { Name?: unknown }).Name : undefined;
  return typeof name === 'string' ? `VSMB share ${JSON.stringify(name)}` : 'VSMB share';
}

/** Add a VSMB share (`RequestType: "Add"`, Settings = `share`). */
export async function addVSMB(vm: UtilityVM, share: VirtualSmbShare, options?: CallOptions): Promise<void> {
  const what = `add ${label(share)}`;
  validated(() => nameOf(share), what, 'addVSMB', vm);
  await send(
    vm,
    { ResourcePath: vsmbSharesPath(), RequestType: 'Add', Settings: share },
    what,
    'addVSMB',
    options,
  );
}

/** Remove the VSMB share named `share.Name` (`RequestType: "Remove"`, Settings = `{Name}`). */
export async function removeVSMB(
  vm: UtilityVM,
  share: Pick<VirtualSmbShare, 'Name'>,
  options?: CallOptions,
): Promise<void> {
  const what = `remove ${label(share)}`;
  const name = validated(() => nameOf(share), what, 'removeVSMB', vm);
  await send(
    vm,
    { ResourcePath: vsmbSharesPath(), RequestType: 'Remove', Settings: { Name: name } },
    what,
    'removeVSMB',
    options,
  );
}

/**
 * Update a VSMB share (`RequestType: "Update"`, Settings = `share`): HCS replaces the share's
 * `AllowedFiles` with `share.AllowedFiles`; the share must have been added with
 * `Options.RestrictFileAccess: true`.
 */
export async function updateVSMB(
  vm: UtilityVM,
  share: VirtualSmbShare,
  options?: CallOptions,
): Promise<void> {
  const what = `update ${label(share)}`;
  validated(() => nameOf(share), what, 'updateVSMB', vm);
  await send(
    vm,
    { ResourcePath: vsmbSharesPath(), RequestType: 'Update', Settings: share },
    what,
    'updateVSMB',
    options,
  );
}
