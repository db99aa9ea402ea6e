/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the request methods on Guest with the `guest` parameter dropped.
 */

import {
  BridgeClosedError,
  type ContainerExit,
  type ContainerNotification,
  type Guest,
  type GuestCapabilities,
  GuestConnectionUnavailable,
  type GuestContainer,
  type GuestProcess,
  type GuestRequestMethods,
  guestOf,
} from '@uvmkit/guestmanager';
import type { UtilityVM } from '@uvmkit/hcs-core';

declare const vm: UtilityVM;
const guest: Guest = guestOf(vm);
const prepared: Promise<void> = guest.prepareConnection();
const caps: Promise<GuestCapabilities> = guest.createConnection({ coldStart: false, timeout: 1000 });
const mounted: Promise<void> = guest.addMappedVirtualDisk(
  { MountPath: '/m', Controller: 0, Lun: 1 },
  { timeout: 5 },
);
const stacks: Promise<string> = guest.dumpStacks();
const sub = guest.onNotification((n: ContainerNotification) => void n.ContainerId);
const fromType: GuestRequestMethods['removeSCSIDevice'] = guest.removeSCSIDevice;
const unavailable: boolean =
  new Error() instanceof GuestConnectionUnavailable || new Error() instanceof BridgeClosedError;
void [prepared, caps, mounted, stacks, sub, fromType, unavailable];

async function processes(): Promise<void> {
  await using p: GuestProcess = await guest.execIntoUVM(
    { CommandArgs: ['echo', 'hi'] },
    { signal: undefined },
  );
  const code: number = await p.wait();
  const delivered: boolean = await p.signal('SIGTERM');
  await p.resize(80, 24);
  await using c: GuestContainer = await guest.createContainer('c1', { linux: {}, process: { args: ['sh'] } });
  const init: GuestProcess = await c.start();
  const exit: ContainerExit = await c.shutdown({ gracePeriod: 1000 });
  const opened: GuestContainer = guest.openContainer('c1');
  void [code, delivered, init, exit.exitType, opened, p.stdout?.read()];
  // @ts-expect-error an exec needs params
  void c.exec();
  // @ts-expect-error signal names are a closed set
  void p.signal('SIGFOO');
}
void processes;

// @ts-expect-error Controller is required
void guest.addMappedVirtualDisk({ MountPath: '/m', Lun: 1 });
// @ts-expect-error RequestType is a closed set
void guest.modify({ ResourceType: 'X', RequestType: 'Delete' });
