/** VPMemDevice mounts (must name a host VPMem device, and mapping when MappingInfo is given). */
import { GHR, gfail } from '../protocol.js';
import { checkGuestPath, type Fields, normalizePath } from '../settings.js';
import { freeMountPath, type ModifyContext, notInUse, type RequestType } from './common.js';

export function vpmemDevice(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const n = s.u32('DeviceNumber');
  const mountPath = s.string('MountPath');
  const mapping = s.object('MappingInfo');
  const offset = mapping?.u64('DeviceOffsetInBytes') ?? 0;
  const size = mapping?.u64('DeviceSizeInBytes') ?? 0;
  s.object('VerityInfo');
  checkGuestPath(mountPath, 'MountPath');
  const path = normalizePath(mountPath);
  const t = ctx.table;
  if (rt === 'Add') {
    let hostObject = ctx.host.vpmemDevice(n);
    if (hostObject === undefined) gfail(GHR.ERROR_NOT_FOUND, `no VPMem device ${n} was added to this VM`);
    if (mapping !== undefined) {
      hostObject = ctx.host.vpmemMapping(n, offset);
      if (hostObject === undefined)
        gfail(GHR.ERROR_NOT_FOUND, `VPMem device ${n} has no mapping at offset ${offset}`);
    }
    freeMountPath(t, path);
    t.vpmem.set(path, {
      DeviceNumber: n,
      MountPath: path,
      MappingInfo: mapping === undefined ? null : { DeviceOffsetInBytes: offset, DeviceSizeInBytes: size },
      hostObject,
    });
    return;
  }
  const m = t.vpmem.get(path);
  // Remove of a VPMem device that is not mounted succeeds on the Linux GCS (§10)
  if (m === undefined) return;
  if (m.DeviceNumber !== n) gfail(GHR.ERROR_NOT_FOUND, `${path} is VPMem device ${m.DeviceNumber}, not ${n}`);
  notInUse(t, path);
  t.vpmem.delete(path);
}
