/**
 * HvSocket addressing: `SOCKADDR_HV`, the well-known VM ids and service ids, and the vsock-port →
 * service-id mapping.
 *
 * `SOCKADDR_HV` (Microsoft's hvsocket.h): `{ ADDRESS_FAMILY Family; USHORT Reserved; GUID VmId;
 * GUID ServiceId }` — 2 + 2 + 16 + 16 = 36 bytes, no padding, `Family` = `AF_HYPERV` (34),
 * `Reserved` = 0, both GUIDs in Windows memory order (see {@link guidToBytes}).
 */
import { GcsServiceIds, vsockServiceIdOf } from '@uvmkit/hcs-schema';
import { invalidArgument } from '../errors.js';
import { guidFromBytes, guidToBytes, normalizeGuid } from './guid.js';

/** `AF_HYPERV`. */
export const AF_HYPERV = 34;
/** `HV_PROTOCOL_RAW`, the only HvSocket protocol. */
export const HV_PROTOCOL_RAW = 1;
/** `sizeof(SOCKADDR_HV)`. */
export const SOCKADDR_HV_SIZE = 36;

/** Well-known HvSocket VM ids and service ids. */
export const HvSocketIds = {
  /** VM id meaning "every partition" (listen on any VM). */
  Wildcard: '00000000-0000-0000-0000-000000000000',
  /** VM id meaning "the same partition". */
  Loopback: 'e0e16197-dd56-4a10-9195-5ee7a155a838',
  /** VM id meaning "the parent partition" (the host, seen from a guest). */
  Parent: 'a42e7cda-d03f-480c-9cc2-a4de20abb878',
  /** The GCS service ids, from their home (`GcsServiceIds` of `@uvmkit/hcs-schema`). */
  ...GcsServiceIds,
} as const;

/** Service id of a vsock port: the port in Data1 of `00000000-facb-11e6-bd58-64006a7986d3`. */
export function vsockServiceId(port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 0xffffffff) {
    throw invalidArgument('vsockServiceId', `port must be an integer 0..0xFFFFFFFF, got ${String(port)}`);
  }
  return vsockServiceIdOf(port);
}

/** An HvSocket address: (VM id, service id), both GUIDs. */
export interface HvSocketAddress {
  readonly vmId: string;
  readonly serviceId: string;
}

/** Encode a `SOCKADDR_HV` (36 bytes). Throws `InvalidArgument` for a non-GUID id. */
export function encodeSockaddrHv(address: HvSocketAddress): Buffer {
  const vmId = normalizeGuid(address.vmId, 'vmId', 'encodeSockaddrHv');
  const serviceId = normalizeGuid(address.serviceId, 'serviceId', 'encodeSockaddrHv');
  const out = Buffer.alloc(SOCKADDR_HV_SIZE);
  out.writeUInt16LE(AF_HYPERV, 0);
  out.writeUInt16LE(0, 2);
  guidToBytes(vmId).copy(out, 4);
  guidToBytes(serviceId).copy(out, 20);
  return out;
}

/** Decode a `SOCKADDR_HV`. Throws `InvalidArgument` for a wrong length or family. */
export function decodeSockaddrHv(bytes: Uint8Array): HvSocketAddress {
  if (bytes.length < SOCKADDR_HV_SIZE) {
    throw invalidArgument('decodeSockaddrHv', `need ${SOCKADDR_HV_SIZE} bytes, got ${bytes.length}`);
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const family = b.readUInt16LE(0);
  if (family !== AF_HYPERV) {
    throw invalidArgument('decodeSockaddrHv', `Family is ${family}, expected AF_HYPERV (${AF_HYPERV})`);
  }
  return { vmId: guidFromBytes(b, 4), serviceId: guidFromBytes(b, 20) };
}
