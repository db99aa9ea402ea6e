/** HvSocket (WCOW, Update only): LocalAddress must be the VM's RuntimeId. */
import { GHR, gfail } from '../protocol.js';
import { type Fields, isGuid } from '../settings.js';
import type { ModifyContext, RequestType } from './common.js';

export function hvSocket(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const local = s.string('LocalAddress');
  const parent = s.string('ParentAddress');
  if (!isGuid(local)) gfail(GHR.E_INVALIDARG, `LocalAddress ${JSON.stringify(local)} is not a GUID`);
  if (!isGuid(parent)) gfail(GHR.E_INVALIDARG, `ParentAddress ${JSON.stringify(parent)} is not a GUID`);
  if (local.toLowerCase() !== ctx.runtimeId.toLowerCase())
    gfail(GHR.E_INVALIDARG, `LocalAddress ${local} is not this VM's RuntimeId ${ctx.runtimeId}`);
  ctx.table.hvSocket = { LocalAddress: local, ParentAddress: parent };
}
