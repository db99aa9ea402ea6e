/** Combined (overlay / union) layers for a container root (gcs-protocol.md §5). */
import type { CallOptions } from '@uvmkit/hcs-core';
import { invalidArgument } from '@uvmkit/hcs-core/manager';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';
import * as v from './validate.js';

/** LCOW `LCOWCombinedLayers` (layers carry only `Path`). */
export interface LcowCombinedLayers {
  ContainerID: string;
  ContainerRootPath: string;
  Layers: { Path: string }[];
  ScratchPath?: string;
}

/** WCOW `WCOWCombinedLayers`. */
export interface WcowCombinedLayers {
  ContainerRootPath: string;
  Layers: { Id: string; Path: string; PathType?: string; Cache?: string }[];
  ScratchPath?: string;
  FilterType?: 'UnionFS' | 'WCIFS';
}

function checkLcow(op: string, l: LcowCombinedLayers): Record<string, unknown> {
  v.object(op, 'layers', l);
  v.str(op, 'layers.ContainerID', l.ContainerID);
  v.linuxPath(op, 'layers.ContainerRootPath', l.ContainerRootPath);
  if (!Array.isArray(l.Layers)) throw invalidArgument(op, 'layers.Layers must be an array');
  l.Layers.forEach((x, i) => {
    v.linuxPath(op, `layers.Layers.${i}.Path`, x?.Path);
  });
  v.linuxPath(op, 'layers.ScratchPath', l.ScratchPath, true);
  return v.defined({
    ContainerID: l.ContainerID,
    ContainerRootPath: l.ContainerRootPath,
    Layers: l.Layers.map((x) => ({ Path: x.Path })),
    ScratchPath: l.ScratchPath,
  });
}

function checkWcow(op: string, l: WcowCombinedLayers): Record<string, unknown> {
  v.object(op, 'layers', l);
  v.windowsPath(op, 'layers.ContainerRootPath', l.ContainerRootPath);
  if (!Array.isArray(l.Layers)) throw invalidArgument(op, 'layers.Layers must be an array');
  l.Layers.forEach((x, i) => {
    v.guid(op, `layers.Layers.${i}.Id`, x?.Id);
    v.windowsPath(op, `layers.Layers.${i}.Path`, x?.Path);
  });
  v.windowsPath(op, 'layers.ScratchPath', l.ScratchPath, true);
  v.oneOf(op, 'layers.FilterType', l.FilterType, ['UnionFS', 'WCIFS'], true);
  return v.defined({
    ContainerRootPath: l.ContainerRootPath,
    Layers: l.Layers.map((x) => v.defined({ Id: x.Id, Path: x.Path, PathType: x.PathType, Cache: x.Cache })),
    ScratchPath: l.ScratchPath,
    FilterType: l.FilterType,
  });
}

export async function addCombinedLayers(
  guest: Guest,
  layers: LcowCombinedLayers,
  options?: CallOptions,
): Promise<void> {
  await send(guest, GuestResources.CombinedLayers, 'Add', checkLcow('addCombinedLayers', layers), options);
}
export async function removeCombinedLayers(
  guest: Guest,
  layers: LcowCombinedLayers,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.CombinedLayers,
    'Remove',
    checkLcow('removeCombinedLayers', layers),
    options,
  );
}
export async function addCombinedLayersWcow(
  guest: Guest,
  layers: WcowCombinedLayers,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.CombinedLayers,
    'Add',
    checkWcow('addCombinedLayersWcow', layers),
    options,
  );
}
export async function removeCombinedLayersWcow(
  guest: Guest,
  layers: WcowCombinedLayers,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.CombinedLayers,
    'Remove',
    checkWcow('removeCombinedLayersWcow', layers),
    options,
  );
}
/** Confidential WCOW: `{ ContainerID, CombinedLayers }` (the sidecar rewrites it to CombinedLayers). */
export async function addCombinedLayersCwcow(
  guest: Guest,
  containerId: string,
  layers: WcowCombinedLayers,
  options?: CallOptions,
): Promise<void> {
  v.str('addCombinedLayersCwcow', 'containerId', containerId);
  const inner = checkWcow('addCombinedLayersCwcow', layers);
  await send(
    guest,
    GuestResources.CwcowCombinedLayers,
    'Add',
    { ContainerID: containerId, CombinedLayers: inner },
    options,
  );
}
export async function removeCombinedLayersCwcow(
  guest: Guest,
  containerId: string,
  layers: WcowCombinedLayers,
  options?: CallOptions,
): Promise<void> {
  v.str('removeCombinedLayersCwcow', 'containerId', containerId);
  const inner = checkWcow('removeCombinedLayersCwcow', layers);
  await send(
    guest,
    GuestResources.CwcowCombinedLayers,
    'Remove',
    { ContainerID: containerId, CombinedLayers: inner },
    options,
  );
}
