/** MappedVirtualDisk (LCOW and WCOW), MappedVirtualDiskForContainerScratch, SCSIDevice. */
import { GHR, gfail } from '../protocol.js';
import { checkGuestPath, type Fields, normalizePath } from '../settings.js';
import type { GuestTable } from '../table.js';
import {
  controllerInRange,
  freeMountPath,
  type Handler,
  hostDisk,
  type ModifyContext,
  notInUse,
  type RequestType,
} from './common.js';

export function mappedVirtualDiskLinux(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const mountPath = s.string('MountPath');
  const controller = s.u8('Controller');
  const lun = s.u8('Lun');
  const partition = s.u64('Partition');
  const readOnly = s.bool('ReadOnly');
  const encrypted = s.bool('Encrypted');
  const options = s.stringArray('Options');
  const blockDev = s.bool('BlockDev');
  const ensureFs = s.bool('EnsureFilesystem');
  const filesystem = s.string('Filesystem');
  s.object('VerityInfo');
  checkGuestPath(mountPath, 'MountPath');
  const path = normalizePath(mountPath);
  const t = ctx.table;
  if (rt === 'Add') {
    const att = hostDisk(ctx, controller, lun);
    freeMountPath(t, path);
    t.disks.set(path, {
      MountPath: path,
      Controller: controller,
      Lun: lun,
      Partition: partition,
      ReadOnly: readOnly,
      Encrypted: encrypted,
      Options: options,
      BlockDev: blockDev,
      EnsureFilesystem: ensureFs,
      Filesystem: filesystem,
      Scratch: false,
      attachment: att,
    });
    return;
  }
  // the Linux GCS unmounts the path: nothing mounted there is not an error (§10)
  if (!t.disks.has(path)) return;
  removeDisk(t, path, controller, lun);
}

export function removeDisk(t: GuestTable, path: string, controller: number, lun: number): void {
  const d = t.disks.get(path);
  if (d === undefined) gfail(GHR.ERROR_NOT_FOUND, `no mapped virtual disk is mounted at ${path}`);
  if (d.Controller !== controller || d.Lun !== lun)
    gfail(
      GHR.ERROR_NOT_FOUND,
      `${path} is controller ${d.Controller} LUN ${d.Lun}, not controller ${controller} LUN ${lun}`,
    );
  notInUse(t, path);
  t.disks.delete(path);
}

export function mappedVirtualDiskWindows(scratch: boolean): Handler {
  return (ctx, rt, s) => {
    const containerPath = s.string('ContainerPath');
    const lun = s.i32('Lun');
    const controller = s.u8('Controller');
    if (controller !== 0)
      gfail(GHR.E_INVALIDARG, `a Windows guest maps disks of controller 0 only, not ${controller}`);
    checkGuestPath(containerPath, 'ContainerPath', true);
    const t = ctx.table;
    if (rt === 'Add') {
      const att = hostDisk(ctx, 0, lun);
      freeMountPath(t, containerPath);
      t.disks.set(normalizePath(containerPath), {
        MountPath: normalizePath(containerPath),
        Controller: 0,
        Lun: lun,
        Partition: 0,
        ReadOnly: false,
        Encrypted: false,
        Options: [],
        BlockDev: false,
        EnsureFilesystem: scratch,
        Filesystem: scratch ? 'ReFS' : '',
        Scratch: scratch,
        attachment: att,
      });
      return;
    }
    removeDisk(t, normalizePath(containerPath), 0, lun);
  };
}

export function scsiDeviceRemove(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const controller = s.u8('Controller');
  const lun = s.u8('Lun');
  controllerInRange(controller);
  const t = ctx.table;
  const att = t.attachment(ctx.host, controller, lun);
  if (att === undefined)
    gfail(GHR.ERROR_NOT_FOUND, `no SCSI device at controller ${controller} LUN ${lun} in the guest`);
  for (const d of t.disks.values()) {
    if (d.Controller === controller && d.Lun === lun)
      gfail(
        GHR.INVALID_STATE,
        `SCSI device controller ${controller} LUN ${lun} is still mounted at ${d.MountPath}`,
      );
  }
  t.unplugged.set(`${controller}:${lun}`, att);
}
