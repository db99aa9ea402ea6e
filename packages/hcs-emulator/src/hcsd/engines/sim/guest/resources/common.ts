/**
 * Types and rules shared by the guest resource handlers: mount-path uniqueness, mounts in use,
 * host SCSI lookups.
 */
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import type { DeviceTable } from '../../../../devices.js';
import { GHR, type GuestOs, gfail } from '../protocol.js';
import { type Fields, type GuestSchema, isUnder, normalizePath, type Obj } from '../settings.js';
import type { GuestTable } from '../table.js';

export interface ModifyContext {
  readonly os: GuestOs;
  readonly table: GuestTable;
  readonly host: DeviceTable;
  /** the VM's RuntimeId (HvSocket LocalAddress) */
  readonly runtimeId: string;
}

export type RequestType = 'Add' | 'Remove' | 'Update' | 'PreAdd';

export type Handler = (ctx: ModifyContext, rt: RequestType, s: Fields) => void;

export interface Resource {
  /** The Settings schema of `@uvmkit/hcs-schema` the router checks before the handler runs. */
  readonly settings: GuestSchema;
  readonly requestTypes: readonly RequestType[];
  readonly handler: Handler;
}

export function controllerInRange(controller: number): void {
  if (controller >= ScsiControllerGuids.length)
    gfail(
      GHR.E_INVALIDARG,
      `SCSI controller index ${controller} is out of range (0..${ScsiControllerGuids.length - 1})`,
    );
}

export function hostDisk(ctx: ModifyContext, controller: number, lun: number): Obj {
  controllerInRange(controller);
  if (lun < 0 || lun > 63) gfail(GHR.E_INVALIDARG, `SCSI LUN ${lun} is out of range (0..63)`);
  const att = ctx.table.attachment(ctx.host, controller, lun);
  if (att === undefined)
    gfail(
      GHR.ERROR_NOT_FOUND,
      `no SCSI disk at controller ${controller} (${ScsiControllerGuids[controller]}) LUN ${lun}: the host has not attached one to this VM`,
    );
  return att;
}

export function freeMountPath(t: GuestTable, path: string): void {
  const what = t.mountAt(path);
  if (what !== undefined)
    gfail(GHR.ERROR_ALREADY_EXISTS, `${normalizePath(path)} is already in use by ${what}`);
}

/** A mount that combined layers (layer or scratch) still use cannot be removed. */
export function notInUse(t: GuestTable, mountPath: string): void {
  for (const l of t.layers.values()) {
    const used =
      l.Layers.some((p) => isUnder(p, mountPath)) ||
      (l.ScratchPath !== '' && isUnder(l.ScratchPath, mountPath));
    if (used)
      gfail(GHR.INVALID_STATE, `${mountPath} is in use by the combined layers at ${l.ContainerRootPath}`);
  }
}

export const windowsPath = (ctx: ModifyContext): boolean => ctx.os === 'Windows';
