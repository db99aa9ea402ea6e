/** WCOWBlockCims (each CIM on a SCSI disk of controller 0). */
import { GHR, gfail } from '../protocol.js';
import { type Fields, isGuid } from '../settings.js';
import { hostDisk, type ModifyContext, type RequestType } from './common.js';

export function blockCims(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const volume = s.string('VolumeGUID');
  const containerId = s.string('ContainerID');
  const flags = s.u32('MountFlags');
  const cims = s.array('BlockCIMs').map((c) => ({ CimName: c.string('CimName'), Lun: c.i32('Lun') }));
  if (!isGuid(volume)) gfail(GHR.E_INVALIDARG, `VolumeGUID ${JSON.stringify(volume)} is not a GUID`);
  const key = volume.toLowerCase();
  const t = ctx.table;
  if (rt === 'Remove') {
    if (!t.blockCims.has(key)) gfail(GHR.ERROR_NOT_FOUND, `no block CIMs are mounted as volume ${volume}`);
    t.blockCims.delete(key);
    return;
  }
  if (cims.length === 0) gfail(GHR.E_INVALIDARG, 'BlockCIMs must name at least one CIM');
  for (const c of cims) {
    if (c.CimName === '') gfail(GHR.E_INVALIDARG, 'BlockCIMs: CimName is required');
    hostDisk(ctx, 0, c.Lun);
  }
  if (t.blockCims.has(key)) gfail(GHR.ERROR_ALREADY_EXISTS, `volume ${volume} is already mounted`);
  t.blockCims.set(key, { VolumeGUID: volume, ContainerID: containerId, MountFlags: flags, BlockCIMs: cims });
}
