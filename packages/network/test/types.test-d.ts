/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the network methods on UtilityVM, with types derived from the implementation.
 */
import { UtilityVM } from '@uvmkit/hcs-core';
import type { NetworkAdapter } from '@uvmkit/hcs-schema';
import { addNIC, type NetworkMethods, network } from '@uvmkit/network';

declare const vm: UtilityVM;
declare const adapter: NetworkAdapter;
const nicId = '8e3c2f6a-1b4d-4c5e-9f70-a1b2c3d4e5f6';

UtilityVM.use(network);

// positive: the methods exist with the `vm` parameter dropped
const added: Promise<void> = vm.addNIC(nicId, {
  EndpointId: '5c2d4f1e-7a8b-4c9d-8e0f-112233445566',
  MacAddress: '00-15-5D-52-C0-01',
});
const updated: Promise<void> = vm.updateNIC(nicId, { ...adapter, ConnectionState: 'Disabled' });
const removed: Promise<void> = vm.removeNIC(nicId, adapter, { signal: AbortSignal.timeout(10), timeout: 5 });
const plain: Promise<void> = addNIC(vm, nicId, adapter);
const fromType: NetworkMethods['removeNIC'] = vm.removeNIC;
void [added, updated, removed, plain, fromType];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped
vm.addNIC(vm, nicId, adapter);
// @ts-expect-error EndpointId is required
vm.addNIC(nicId, { MacAddress: '00-15-5D-52-C0-01' });
// @ts-expect-error removeNIC sends the settings too: they are required
vm.removeNIC(nicId);
// @ts-expect-error ConnectionState is one of Default/Disabled/Enabled
vm.updateNIC(nicId, { ...adapter, ConnectionState: 'Up' });
// @ts-expect-error the NIC id is a string
vm.updateNIC(1, adapter);
// @ts-expect-error the methods resolve with nothing
const wrong: Promise<string> = vm.addNIC(nicId, adapter);
void wrong;
