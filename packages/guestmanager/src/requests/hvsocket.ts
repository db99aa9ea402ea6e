/** WCOW: tell the guest its HvSocket addresses (`HvSocket` / Update; step 7 of the cold start, §6.1). */
import type { CallOptions } from '@uvmkit/hcs-core';
import { HvSocketIds } from '@uvmkit/hcs-core/hvsocket';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';
import * as v from './validate.js';

/** `hcsschema.HvSocketAddress`. */
export interface HvSocketAddressSettings {
  /** The VM's runtime id. */
  LocalAddress: string;
  /** Default: the WCOW GCS host id `894cc2d6-9d79-424f-93fe-42969ae6d8d1`. */
  ParentAddress?: string;
}

export async function updateHvSocketAddress(
  guest: Guest,
  address: HvSocketAddressSettings,
  options?: CallOptions,
): Promise<void> {
  const op = 'updateHvSocketAddress';
  v.object(op, 'address', address);
  v.guid(op, 'address.LocalAddress', address.LocalAddress);
  v.guid(op, 'address.ParentAddress', address.ParentAddress, true);
  await send(
    guest,
    GuestResources.HvSocket,
    'Update',
    {
      LocalAddress: address.LocalAddress,
      ParentAddress: address.ParentAddress ?? HvSocketIds.WindowsGcsHvHost,
    },
    options,
  );
}
