/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the vsmb methods on UtilityVM, with types derived from the implementation.
 */
import { UtilityVM } from '@uvmkit/hcs-core';
import { type VSMBMethods, vsmb } from '@uvmkit/vsmb';

declare const vm: UtilityVM;

UtilityVM.use(vsmb);

// positive: the methods exist with the `vm` parameter dropped
const added: Promise<void> = vm.addVSMB({ Name: 's1', Path: 'C:\\x', Options: { ReadOnly: true } });
const updated: Promise<void> = vm.updateVSMB({ Name: 's1', AllowedFiles: ['a'] }, { timeout: 1000 });
const removed: Promise<void> = vm.removeVSMB({ Name: 's1' }, { signal: AbortSignal.timeout(5) });
const fromType: VSMBMethods['addVSMB'] = vm.addVSMB;
void [added, updated, removed, fromType];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped
vm.addVSMB(vm, { Name: 's1' });
// @ts-expect-error Name is required
vm.addVSMB({ Path: 'C:\\x' });
// @ts-expect-error unknown share option
vm.addVSMB({ Name: 's1', Options: { Turbo: true } });
// @ts-expect-error remove takes a share object, not a bare name
vm.removeVSMB('s1');
// @ts-expect-error AllowedFiles is a list
vm.updateVSMB({ Name: 's1', AllowedFiles: 'a' });
// @ts-expect-error no such method
vm.addSMBShare({ Name: 's1' });
