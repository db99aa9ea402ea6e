/** DumpStacks (the guest's goroutine/thread stacks) and DeleteContainerState (gcs-protocol.md §3, §4.5). */
import type { CallOptions } from '@uvmkit/hcs-core';
import type { ResponseBase } from '../bridge/bridge.js';
import { RpcProc } from '../bridge/protocol.js';
import type { Guest } from '../guest.js';
import * as v from './validate.js';

/**
 * The guest's stacks (`GuestStacks`). Note: a response over the 64 KiB inbound limit closes the
 * bridge (hcsshim's rule) — the call then rejects with `BridgeClosed` (cause `OversizedFrame`).
 */
export async function dumpStacks(guest: Guest, options?: CallOptions): Promise<string> {
  const r = await guest.rpc<ResponseBase & { GuestStacks?: string }>(RpcProc.DumpStacks, {}, options);
  return typeof r.GuestStacks === 'string' ? r.GuestStacks : '';
}

/** Remove what the guest keeps for container `containerId` after it exited. */
export async function deleteContainerState(
  guest: Guest,
  containerId: string,
  options?: CallOptions,
): Promise<void> {
  v.str('deleteContainerState', 'containerId', containerId);
  await guest.rpc(RpcProc.DeleteContainerState, {}, { ...options, containerId });
}
