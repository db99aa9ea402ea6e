/** MappedDirectory: LCOW Plan 9 mounts (must name a host Plan 9 share) and WCOW mapped directories. */
import { GHR, gfail } from '../protocol.js';
import { checkGuestPath, type Fields, normalizePath } from '../settings.js';
import { freeMountPath, type ModifyContext, notInUse, type RequestType } from './common.js';

export function mappedDirectoryLinux(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const mountPath = s.string('MountPath');
  const port = s.i32('Port');
  const shareName = s.string('ShareName');
  const readOnly = s.bool('ReadOnly');
  checkGuestPath(mountPath, 'MountPath');
  const path = normalizePath(mountPath);
  const t = ctx.table;
  if (rt === 'Add') {
    if (shareName === '') gfail(GHR.E_INVALIDARG, 'ShareName is required');
    const share = ctx.host.plan9Share(shareName);
    if (share === undefined)
      gfail(GHR.ERROR_NOT_FOUND, `no Plan 9 share named ${JSON.stringify(shareName)} was added to this VM`);
    const sharePort = typeof share.Port === 'number' ? share.Port : 564;
    if (port !== sharePort)
      gfail(
        GHR.ERROR_NOT_FOUND,
        `nothing serves Plan 9 share ${JSON.stringify(shareName)} on vsock port ${port} (the share uses ${sharePort})`,
      );
    freeMountPath(t, path);
    t.directories.set(path, {
      MountPath: path,
      ShareName: shareName,
      Port: port,
      HostPath: '',
      ReadOnly: readOnly,
    });
    return;
  }
  // Remove of a directory that is not mounted succeeds on the Linux GCS (§10)
  if (!t.directories.has(path)) return;
  notInUse(t, path);
  t.directories.delete(path);
}

export function mappedDirectoryWindows(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const hostPath = s.string('HostPath');
  s.string('HostPathType');
  const containerPath = s.string('ContainerPath');
  const readOnly = s.bool('ReadOnly');
  checkGuestPath(containerPath, 'ContainerPath', true);
  const path = normalizePath(containerPath);
  const t = ctx.table;
  if (rt === 'Add') {
    if (hostPath === '') gfail(GHR.E_INVALIDARG, 'HostPath is required');
    freeMountPath(t, path);
    t.directories.set(path, {
      MountPath: path,
      ShareName: '',
      Port: 0,
      HostPath: hostPath,
      ReadOnly: readOnly,
    });
    return;
  }
  if (!t.directories.has(path)) gfail(GHR.ERROR_NOT_FOUND, `no mapped directory at ${path}`);
  notInUse(t, path);
  t.directories.delete(path);
}
