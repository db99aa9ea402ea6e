/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the plan9 methods on UtilityVM, with types derived from the implementation.
 */
import { UtilityVM } from '@uvmkit/hcs-core';
import type { Plan9Share } from '@uvmkit/hcs-schema';
import { addPlan9, type Plan9Methods, plan9 } from '@uvmkit/plan9';

declare const vm: UtilityVM;
declare const share: Plan9Share;

UtilityVM.use(plan9);

// positive: the methods exist with the `vm` parameter dropped
const added: Promise<void> = vm.addPlan9({ Name: '1', AccessName: '1', Path: 'C:\\s', Port: 564, Flags: 4 });
const removed: Promise<void> = vm.removePlan9(share, { signal: AbortSignal.timeout(10), timeout: 5 });
const byName: Promise<void> = vm.removePlan9({ Name: '1' });
const plain: Promise<void> = addPlan9(vm, share);
const fromType: Plan9Methods['removePlan9'] = vm.removePlan9;
void [added, removed, byName, plain, fromType];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped
vm.addPlan9(vm, share);
// @ts-expect-error Name is required
vm.addPlan9({ Path: 'C:\\s' });
// @ts-expect-error Port is a number
vm.addPlan9({ Name: '1', Port: '564' });
// @ts-expect-error remove takes the share, not its name
vm.removePlan9('1');
// @ts-expect-error the methods resolve with nothing
const wrong: Promise<string> = vm.addPlan9(share);
void wrong;
