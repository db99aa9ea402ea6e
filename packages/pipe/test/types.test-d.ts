/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the pipe methods on UtilityVM, with types derived from the implementation.
 */
import { UtilityVM } from '@uvmkit/hcs-core';
import { addPipe, type PipeMethods, pipe } from '@uvmkit/pipe';

declare const vm: UtilityVM;
const hostPath = '\\\\.\\pipe\\docker_engine';

UtilityVM.use(pipe);

// positive: the methods exist with the `vm` parameter dropped
const added: Promise<void> = vm.addPipe(hostPath);
const removed: Promise<void> = vm.removePipe(hostPath, { signal: AbortSignal.timeout(10), timeout: 5 });
const plain: Promise<void> = addPipe(vm, hostPath, { timeout: 1000 });
const fromType: PipeMethods['removePipe'] = vm.removePipe;
void [added, removed, plain, fromType];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped
vm.addPipe(vm, hostPath);
// @ts-expect-error the host path is required
vm.addPipe();
// @ts-expect-error pipes take no settings
vm.addPipe(hostPath, { Settings: {} });
// @ts-expect-error the host path is a string
vm.removePipe(1);
// @ts-expect-error the methods resolve with nothing
const wrong: Promise<string> = vm.addPipe(hostPath);
void wrong;
