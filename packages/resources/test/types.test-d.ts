/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the resources methods on UtilityVM, with types derived from the implementation.
 */
import { UtilityVM } from '@uvmkit/hcs-core';
import { type ResourcesMethods, resources } from '@uvmkit/resources';

declare const vm: UtilityVM;

UtilityVM.use(resources);

// positive: the methods exist with the `vm` parameter dropped
const grouped: Promise<void> = vm.setCPUGroup('8f1b3c3e-6f1a-4a6e-9b7e-2d3c4b5a6f70');
const groupedDoc: Promise<void> = vm.setCPUGroup(
  { Id: '8f1b3c3e-6f1a-4a6e-9b7e-2d3c4b5a6f70' },
  { timeout: 1000 },
);
const limited: Promise<void> = vm.updateCPULimits({ Limit: 50000, Weight: 200 });
const resized: Promise<void> = vm.updateMemory(2048, { signal: AbortSignal.timeout(5) });
const fromType: ResourcesMethods['updateMemory'] = vm.updateMemory;
void [grouped, groupedDoc, limited, resized, fromType];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped
vm.updateMemory(vm, 2048);
// @ts-expect-error the size is a number of MB
vm.updateMemory('2048');
// @ts-expect-error ProcessorLimits has no Count
vm.updateCPULimits({ Count: 4 });
// @ts-expect-error a CpuGroup document needs Id
vm.setCPUGroup({});
// @ts-expect-error no such method
vm.updateCPUCount(4);
