/** Mapped directories (gcs-protocol.md §5): LCOW Plan 9 shares the guest mounts over vsock, WCOW host directories. */
import type { CallOptions } from '@uvmkit/hcs-core';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';
import * as v from './validate.js';

/** The vsock port of the Plan 9 server. */
export const PLAN9_PORT = 564;

/** LCOW `LCOWMappedDirectory`. `ShareName` = the host Plan 9 share's Name. */
export interface LcowMappedDirectory {
  MountPath: string;
  ShareName: string;
  /** Default 564. */
  Port?: number;
  ReadOnly?: boolean;
}

/** WCOW `MappedDirectory`. */
export interface WcowMappedDirectory {
  HostPath: string;
  ContainerPath: string;
  HostPathType?: 'AbsolutePath' | 'VirtualSmbPipeName';
  ReadOnly?: boolean;
}

function checkLcow(op: string, d: LcowMappedDirectory): Record<string, unknown> {
  v.object(op, 'directory', d);
  v.linuxPath(op, 'directory.MountPath', d.MountPath);
  v.str(op, 'directory.ShareName', d.ShareName);
  v.uint(op, 'directory.Port', d.Port, 0xffffffff, true);
  v.bool(op, 'directory.ReadOnly', d.ReadOnly);
  return v.defined({
    MountPath: d.MountPath,
    Port: d.Port ?? PLAN9_PORT,
    ShareName: d.ShareName,
    ReadOnly: d.ReadOnly,
  });
}

function checkWcow(op: string, d: WcowMappedDirectory): Record<string, unknown> {
  v.object(op, 'directory', d);
  if (d.HostPathType === 'VirtualSmbPipeName') v.str(op, 'directory.HostPath', d.HostPath);
  else v.windowsPath(op, 'directory.HostPath', d.HostPath);
  v.oneOf(op, 'directory.HostPathType', d.HostPathType, ['AbsolutePath', 'VirtualSmbPipeName'], true);
  v.windowsPath(op, 'directory.ContainerPath', d.ContainerPath);
  v.bool(op, 'directory.ReadOnly', d.ReadOnly);
  return v.defined({
    HostPath: d.HostPath,
    HostPathType: d.HostPathType,
    ContainerPath: d.ContainerPath,
    ReadOnly: d.ReadOnly,
  });
}

/** LCOW: mount the Plan 9 share `ShareName` at MountPath. */
export async function addMappedDirectory(
  guest: Guest,
  directory: LcowMappedDirectory,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.LcowMappedDirectory,
    'Add',
    checkLcow('addMappedDirectory', directory),
    options,
  );
}

/** LCOW: unmount it. */
export async function removeMappedDirectory(
  guest: Guest,
  directory: LcowMappedDirectory,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.LcowMappedDirectory,
    'Remove',
    checkLcow('removeMappedDirectory', directory),
    options,
  );
}

/** WCOW: map a host directory into the guest. */
export async function addMappedDirectoryWcow(
  guest: Guest,
  directory: WcowMappedDirectory,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.WcowMappedDirectory,
    'Add',
    checkWcow('addMappedDirectoryWcow', directory),
    options,
  );
}

/** WCOW: unmap it. */
export async function removeMappedDirectoryWcow(
  guest: Guest,
  directory: WcowMappedDirectory,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.WcowMappedDirectory,
    'Remove',
    checkWcow('removeMappedDirectoryWcow', directory),
    options,
  );
}
