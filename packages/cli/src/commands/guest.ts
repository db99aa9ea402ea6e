/**
 * The guest commands: `guest mount` / `guest unmount` a SCSI disk the host attached (and the
 * connection `exec` uses). Each connects
 * to the guest agent of a running VM (listen at its HvSocket address; the agent dials while the VM
 * runs), makes the request, and closes the connection.
 */
import { guestOf } from '@uvmkit/guestmanager';
import type { UtilityVM } from '@uvmkit/hcs-core';
import type { Cli } from '../context.js';
import type { Result } from '../output.js';
import { intOption } from './vm.js';

/** How long to wait for the guest agent to connect (ms) unless `--timeout` says otherwise. */
export const GUEST_CONNECT_TIMEOUT_MS = 30_000;

/**
 * Connect to the guest agent of the running VM `vm`, run `fn`, close the connection. The agent
 * re-dials while the VM runs, so a VM another process started is reached.
 */
export async function connectGuest<T>(
  cli: Cli,
  vm: UtilityVM,
  fn: (g: ReturnType<typeof guestOf>) => Promise<T>,
): Promise<T> {
  const guest = guestOf(vm);
  try {
    await guest.prepareConnection(undefined, { signal: cli.signal });
    await cli.progress(
      `connecting to the guest of ${vm.id}`,
      guest.createConnection({
        coldStart: false,
        signal: cli.signal,
        timeout: cli.timeout ?? GUEST_CONNECT_TIMEOUT_MS,
      }),
    );
    return await fn(guest);
  } finally {
    await guest.closeConnection();
  }
}

/** Options of `guest mount` / `guest unmount`. */
export interface GuestDiskOptions {
  controller: string;
  lun: string;
  path: string;
  readOnly?: boolean;
}

/** `guest mount ID --controller N --lun N --path /mnt/x`: mount an attached SCSI disk in the guest. */
export async function guestMount(cli: Cli, id: string, o: GuestDiskOptions): Promise<Result> {
  const Controller = intOption('--controller', o.controller, 0, 3);
  const Lun = intOption('--lun', o.lun, 0, 63);
  await using vm = await cli.open(id);
  const disk = { MountPath: o.path, Controller, Lun, ...(o.readOnly ? { ReadOnly: true } : {}) };
  await connectGuest(cli, vm, (g) => g.addMappedVirtualDisk(disk, cli.call()));
  return {
    json: { id, mounted: disk },
    human: `mounted controller ${Controller} LUN ${Lun} at ${o.path} in ${id}`,
  };
}

/** `guest unmount ID --controller N --lun N --path /mnt/x`. */
export async function guestUnmount(cli: Cli, id: string, o: GuestDiskOptions): Promise<Result> {
  const Controller = intOption('--controller', o.controller, 0, 3);
  const Lun = intOption('--lun', o.lun, 0, 63);
  await using vm = await cli.open(id);
  const disk = { MountPath: o.path, Controller, Lun };
  await connectGuest(cli, vm, (g) => g.removeMappedVirtualDisk(disk, cli.call()));
  return { json: { id, unmounted: disk }, human: `unmounted ${o.path} in ${id}` };
}
