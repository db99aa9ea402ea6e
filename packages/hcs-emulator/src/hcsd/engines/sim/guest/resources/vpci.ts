/** VPCIDevice (Add only; must name a host VirtualPci device). */
import { GHR, gfail } from '../protocol.js';
import { type Fields, isGuid } from '../settings.js';
import type { ModifyContext, RequestType } from './common.js';

export function vpciDevice(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const guid = s.string('VMBusGUID');
  if (!isGuid(guid)) gfail(GHR.E_INVALIDARG, `VMBusGUID ${JSON.stringify(guid)} is not a GUID`);
  if (ctx.host.virtualPci(guid) === undefined)
    gfail(GHR.ERROR_NOT_FOUND, `no virtual PCI device ${guid} was assigned to this VM`);
  const key = guid.toLowerCase();
  if (ctx.table.vpci.has(key)) gfail(GHR.ERROR_ALREADY_EXISTS, `VPCI device ${guid} is already present`);
  ctx.table.vpci.set(key, { VMBusGUID: guid });
}
