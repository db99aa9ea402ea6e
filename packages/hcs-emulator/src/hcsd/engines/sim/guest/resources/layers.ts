/** CombinedLayers (LCOW / WCOW) and CWCOWCombinedLayers. */
import { GHR, gfail } from '../protocol.js';
import { checkGuestPath, Fields, isUnder, normalizePath } from '../settings.js';
import { freeMountPath, type ModifyContext, type RequestType, windowsPath } from './common.js';

export function combinedLayers(
  ctx: ModifyContext,
  rt: RequestType,
  s: Fields,
  containerIdKey = 'ContainerID',
): void {
  const windows = windowsPath(ctx);
  const containerId = s.string(containerIdKey);
  const root = s.string('ContainerRootPath');
  const layers = s.array('Layers').map((l) => {
    l.string('Id');
    l.string('PathType');
    return l.string('Path');
  });
  const scratch = s.string('ScratchPath');
  const filterType = s.string('FilterType');
  checkGuestPath(root, 'ContainerRootPath', windows);
  const rootKey = normalizePath(root);
  const t = ctx.table;
  if (rt === 'Remove') {
    if (!t.layers.has(rootKey)) {
      // Remove of layers that are not combined succeeds on the Linux GCS (§10); WCOW refuses
      if (windows) gfail(GHR.ERROR_NOT_FOUND, `no combined layers at ${rootKey}`);
      return;
    }
    t.layers.delete(rootKey);
    return;
  }
  if (windows && filterType !== '' && filterType !== 'UnionFS' && filterType !== 'WCIFS')
    gfail(GHR.E_INVALIDARG, `FilterType ${JSON.stringify(filterType)} is not UnionFS or WCIFS`);
  if (layers.length === 0) gfail(GHR.E_INVALIDARG, 'Layers must name at least one layer');
  const mounts = [...t.mountPaths()];
  const onMount = (p: string): boolean => mounts.some((m) => isUnder(p, m));
  for (const [i, p] of layers.entries()) {
    checkGuestPath(p, `Layers.${i}.Path`, windows);
    if (!windows && !onMount(p))
      gfail(
        GHR.ERROR_NOT_FOUND,
        `layer ${p} is not on a mapped virtual disk, VPMem device or mapped directory`,
      );
  }
  if (scratch !== '') {
    checkGuestPath(scratch, 'ScratchPath', windows);
    if (!windows && !onMount(scratch))
      gfail(GHR.ERROR_NOT_FOUND, `scratch ${scratch} is not on a mapped virtual disk or mapped directory`);
  }
  freeMountPath(t, rootKey);
  t.layers.set(rootKey, {
    ContainerID: containerId,
    ContainerRootPath: rootKey,
    Layers: layers,
    ScratchPath: scratch,
    FilterType: filterType,
  });
}

export function cwcowCombinedLayers(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const containerId = s.string('ContainerID');
  const inner = s.object('CombinedLayers') ?? new Fields({}, 'Settings.CombinedLayers');
  combinedLayers(ctx, rt, new Fields({ ...inner.raw, ContainerID: containerId }, 'Settings.CombinedLayers'));
}
