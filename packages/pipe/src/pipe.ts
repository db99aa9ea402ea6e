/**
 * Mapped named pipes: `VirtualMachine/Devices/MappedPipes/<hostPath>`, the host pipe path
 * (`\\.\pipe\<name>`) spliced in as is. Add and Remove carry no Settings (the path says it all),
 * as hcsshim sends them.
 */
import type { CallOptions, UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import { describeValue, mappedPipePath, modifySettingRequest } from '@uvmkit/hcs-schema';

function pipe(
  vm: UtilityVM,
  op: string,
  verb: string,
  requestType: 'Add' | 'Remove',
  hostPath: string,
  options: CallOptions | undefined,
): Promise<void> {
  return modifyResource(
    vm,
    op,
    `${verb} mapped pipe ${describeValue(hostPath)}`,
    () => modifySettingRequest(mappedPipePath(hostPath), { RequestType: requestType }),
    options,
  );
}

/** Map the host named pipe `hostPath` (`\\.\pipe\<name>`) into the VM. */
export function addPipe(vm: UtilityVM, hostPath: string, options?: CallOptions): Promise<void> {
  return pipe(vm, 'addPipe', 'add', 'Add', hostPath, options);
}

/** Remove the mapping of the host named pipe `hostPath`. */
export function removePipe(vm: UtilityVM, hostPath: string, options?: CallOptions): Promise<void> {
  return pipe(vm, 'removePipe', 'remove', 'Remove', hostPath, options);
}
