/**
 * ModifySettings on the emulated guest: routing by ResourceType / RequestType (gcs-protocol.md §5)
 * and the host/guest consistency rules (a mount must name what the host attached to this VM).
 * Every rejection throws a `GuestFailure` and leaves the table untouched.
 */
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import type { DeviceTable } from '../devices.js';
import { GHR, type GuestOs, gfail, NULL_CONTAINER_ID } from './protocol.js';
import { checkGuestPath, Fields, isObj, normalizePath } from './settings.js';
import type { GuestTable } from './table.js';

export interface ModifyContext {
  readonly os: GuestOs;
  readonly table: GuestTable;
  readonly host: DeviceTable;
}

type RequestType = 'Add' | 'Remove' | 'Update' | 'PreAdd';

type Handler = (ctx: ModifyContext, rt: RequestType, s: Fields) => void;

interface Resource {
  readonly requestTypes: readonly RequestType[];
  readonly handler: Handler;
}

/** The `Request` of a ModifySettings message, routed and applied. */
export function modifySettings(ctx: ModifyContext, containerId: string, request: unknown): void {
  if (!isObj(request)) gfail(GHR.INVALID_JSON, 'ModifySettings: Request must be a JSON object');
  const req = new Fields(request, 'Request');
  const resourceType = req.string('ResourceType');
  const rtText = req.string('RequestType');
  const rt = (rtText === '' ? 'Add' : rtText) as RequestType;
  const table = ctx.os === 'Linux' ? LINUX : WINDOWS;
  if (containerId !== NULL_CONTAINER_ID) {
    gfail(
      GHR.E_FAIL,
      `modify for container ${containerId}: resource type ${JSON.stringify(resourceType)} is not supported`,
    );
  }
  const res = Object.hasOwn(table, resourceType) ? table[resourceType] : undefined;
  if (res === undefined) {
    gfail(GHR.E_FAIL, `invalid ResourceType ${JSON.stringify(resourceType)}`);
  }
  if (!res.requestTypes.includes(rt)) {
    gfail(GHR.E_FAIL, `invalid RequestType ${JSON.stringify(rtText)} for ResourceType ${resourceType}`);
  }
  res.handler(ctx, rt, new Fields(request.Settings, 'Settings'));
}

// ---- SCSI ----

function mappedVirtualDiskLinux(ctx: ModifyContext, rt: RequestType, s: Fields): void {
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
  checkGuestPath(mountPath, 'MountPath');
  const path = normalizePath(mountPath);
  const t = ctx.table;
  if (rt === 'Add') {
    if (controller >= ScsiControllerGuids.length)
      gfail(
        GHR.E_INVALIDARG,
        `SCSI controller index ${controller} is out of range (0..${ScsiControllerGuids.length - 1})`,
      );
    if (lun > 63) gfail(GHR.E_INVALIDARG, `SCSI LUN ${lun} is out of range (0..63)`);
    const att = t.attachment(ctx.host, controller, lun);
    if (att === undefined)
      gfail(
        GHR.ERROR_NOT_FOUND,
        `no SCSI disk at controller ${controller} (${ScsiControllerGuids[controller]}) LUN ${lun}: the host has not attached one to this VM`,
      );
    if (t.disks.has(path)) gfail(GHR.ERROR_ALREADY_EXISTS, `mount path ${path} is already in use`);
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
      attachment: att,
    });
    return;
  }
  const d = t.disks.get(path);
  if (d === undefined) gfail(GHR.ERROR_NOT_FOUND, `nothing is mounted at ${path}`);
  if (d.Controller !== controller || d.Lun !== lun)
    gfail(
      GHR.ERROR_NOT_FOUND,
      `${path} is controller ${d.Controller} LUN ${d.Lun}, not controller ${controller} LUN ${lun}`,
    );
  t.disks.delete(path);
}

function scsiDeviceRemove(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const controller = s.u8('Controller');
  const lun = s.u8('Lun');
  if (controller >= ScsiControllerGuids.length)
    gfail(
      GHR.E_INVALIDARG,
      `SCSI controller index ${controller} is out of range (0..${ScsiControllerGuids.length - 1})`,
    );
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

const LINUX: Record<string, Resource> = {
  MappedVirtualDisk: { requestTypes: ['Add', 'Remove'], handler: mappedVirtualDiskLinux },
  SCSIDevice: { requestTypes: ['Remove'], handler: scsiDeviceRemove },
};

const WINDOWS: Record<string, Resource> = {};
