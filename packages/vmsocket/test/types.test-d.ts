/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the vmsocket methods on UtilityVM, with types derived from the implementation.
 */
import { UtilityVM } from '@uvmkit/hcs-core';
import { type VMSocketMethods, vmsocket } from '@uvmkit/vmsocket';

declare const vm: UtilityVM;

UtilityVM.use(vmsocket);

const sid = '0000006d-facb-11e6-bd58-64006a7986d3';
// positive: the methods exist with the `vm` parameter dropped
const updated: Promise<void> = vm.updateHvSocketService(sid, {
  BindSecurityDescriptor: 'D:P(A;;FA;;;SY)',
  AllowWildcardBinds: true,
});
const disabled: Promise<void> = vm.updateHvSocketService(sid, { Disabled: true }, { timeout: 1000 });
const removed: Promise<void> = vm.removeHvSocketService(sid, { signal: AbortSignal.timeout(5) });
const fromType: VMSocketMethods['removeHvSocketService'] = vm.removeHvSocketService;
void [updated, disabled, removed, fromType];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped
vm.removeHvSocketService(vm, sid);
// @ts-expect-error the config is required
vm.updateHvSocketService(sid);
// @ts-expect-error descriptors are SDDL strings
vm.updateHvSocketService(sid, { BindSecurityDescriptor: 1 });
// @ts-expect-error unknown config key
vm.updateHvSocketService(sid, { Sddl: 'D:' });
// @ts-expect-error no such method
vm.addHvSocketService(sid, {});
