/**
 * Container resource constraints (gcs-protocol.md §5 `ContainerConstraints` / Update), sent to
 * the CONTAINER's id, not the null container. LCOW: `LCOWContainerConstraints`.
 */
import type { CallOptions } from '@uvmkit/hcs-core';
import { invalidArgument } from '@uvmkit/hcs-core/manager';
import type { Guest } from '../guest.js';
import { ResourceType } from './send.js';
import * as v from './validate.js';

/** `LCOWContainerConstraints`: OCI `WindowsResources` / `LinuxResources` (passed through). */
export interface ContainerConstraints {
  Windows?: Record<string, unknown>;
  Linux?: Record<string, unknown>;
}

export async function updateContainerConstraints(
  guest: Guest,
  containerId: string,
  constraints: ContainerConstraints,
  options?: CallOptions,
): Promise<void> {
  const op = 'updateContainerConstraints';
  v.str(op, 'containerId', containerId);
  if (containerId === '00000000-0000-0000-0000-000000000000') {
    throw invalidArgument(op, 'containerId must name a container, not the null container (the UVM)');
  }
  v.object(op, 'constraints', constraints);
  if (constraints.Linux !== undefined) v.object(op, 'constraints.Linux', constraints.Linux);
  if (constraints.Windows !== undefined) v.object(op, 'constraints.Windows', constraints.Windows);
  await guest.modifyContainer(
    containerId,
    {
      ResourceType: ResourceType.ContainerConstraints,
      RequestType: 'Update',
      Settings: v.defined({ Windows: constraints.Windows, Linux: constraints.Linux }),
    },
    options,
  );
}
