/**
 * Network adapters in the guest (gcs-protocol.md §5). LCOW: `LCOWNetworkAdapter` Add/Remove.
 * WCOW: `NetworkModifyRequest` — the host sends the inner `PreAdd` before `Add`, both with an
 * outer RequestType of `Add` — and network namespaces.
 */
import type { CallOptions } from '@uvmkit/hcs-core';
import { invalidArgument } from '@uvmkit/hcs-core/manager';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';
import * as v from './validate.js';

/** LCOW `LCOWNetworkAdapter`. */
export interface LcowNetworkAdapter {
  NamespaceID: string;
  ID: string;
  MacAddress?: string;
  DNSSuffix?: string;
  DNSServerList?: string;
  EncapOverhead?: number;
  VPCIAssigned?: boolean;
  IPConfigs?: { IPAddress: string; PrefixLength: number }[];
  Routes?: { NextHop: string; DestinationPrefix: string; Metric?: number }[];
  PolicyBasedRouting?: boolean;
  EnableLowMetric?: boolean;
}

function checkLcow(op: string, a: LcowNetworkAdapter): Record<string, unknown> {
  v.object(op, 'adapter', a);
  v.guid(op, 'adapter.NamespaceID', a.NamespaceID);
  v.guid(op, 'adapter.ID', a.ID);
  if (a.MacAddress !== undefined && !/^([0-9a-fA-F]{2}[-:]){5}[0-9a-fA-F]{2}$/.test(a.MacAddress)) {
    throw invalidArgument(
      op,
      `adapter.MacAddress must be six hex octets, got ${JSON.stringify(a.MacAddress)}`,
    );
  }
  v.str(op, 'adapter.DNSSuffix', a.DNSSuffix, true);
  v.str(op, 'adapter.DNSServerList', a.DNSServerList, true);
  v.uint(op, 'adapter.EncapOverhead', a.EncapOverhead, 0xffff, true);
  v.bool(op, 'adapter.VPCIAssigned', a.VPCIAssigned);
  v.bool(op, 'adapter.PolicyBasedRouting', a.PolicyBasedRouting);
  v.bool(op, 'adapter.EnableLowMetric', a.EnableLowMetric);
  a.IPConfigs?.forEach((c, i) => {
    v.str(op, `adapter.IPConfigs.${i}.IPAddress`, c.IPAddress);
    v.uint(op, `adapter.IPConfigs.${i}.PrefixLength`, c.PrefixLength, 128);
  });
  a.Routes?.forEach((r, i) => {
    v.str(op, `adapter.Routes.${i}.NextHop`, r.NextHop);
    v.str(op, `adapter.Routes.${i}.DestinationPrefix`, r.DestinationPrefix);
    v.uint(op, `adapter.Routes.${i}.Metric`, r.Metric, 0xffff, true);
  });
  return v.defined({ ...a });
}

/** LCOW: add an adapter to namespace NamespaceID. */
export async function addNetworkInterface(
  guest: Guest,
  adapter: LcowNetworkAdapter,
  options?: CallOptions,
): Promise<void> {
  await send(guest, GuestResources.LcowNetwork, 'Add', checkLcow('addNetworkInterface', adapter), options);
}

/** LCOW: remove it. */
export async function removeNetworkInterface(
  guest: Guest,
  adapter: LcowNetworkAdapter,
  options?: CallOptions,
): Promise<void> {
  await send(
    guest,
    GuestResources.LcowNetwork,
    'Remove',
    checkLcow('removeNetworkInterface', adapter),
    options,
  );
}

/** WCOW `NetworkModifyRequest`. `Settings` is an HCN endpoint document (passed through). */
export interface WcowNetworkModifyRequest {
  AdapterId: string;
  RequestType: 'PreAdd' | 'Add' | 'Remove';
  Settings?: Record<string, unknown>;
}

async function wcow(
  guest: Guest,
  op: string,
  inner: WcowNetworkModifyRequest['RequestType'],
  adapterId: string,
  endpoint: Record<string, unknown> | undefined,
  options?: CallOptions,
): Promise<void> {
  v.guid(op, 'adapterId', adapterId);
  if (endpoint !== undefined) v.object(op, 'endpoint', endpoint);
  const outer = inner === 'Remove' ? 'Remove' : 'Add';
  await send(
    guest,
    GuestResources.WcowNetwork,
    outer,
    v.defined({ AdapterId: adapterId, RequestType: inner, Settings: endpoint }),
    options,
  );
}

/** WCOW: the PreAdd step (outer RequestType `Add`, inner `PreAdd`). */
export function preAddNetworkInterfaceWcow(
  guest: Guest,
  adapterId: string,
  endpoint: Record<string, unknown>,
  options?: CallOptions,
): Promise<void> {
  return wcow(guest, 'preAddNetworkInterfaceWcow', 'PreAdd', adapterId, endpoint, options);
}

/** WCOW: add the adapter (after PreAdd). */
export function addNetworkInterfaceWcow(
  guest: Guest,
  adapterId: string,
  endpoint: Record<string, unknown>,
  options?: CallOptions,
): Promise<void> {
  return wcow(guest, 'addNetworkInterfaceWcow', 'Add', adapterId, endpoint, options);
}

/** WCOW: remove the adapter. */
export function removeNetworkInterfaceWcow(
  guest: Guest,
  adapterId: string,
  endpoint?: Record<string, unknown>,
  options?: CallOptions,
): Promise<void> {
  return wcow(guest, 'removeNetworkInterfaceWcow', 'Remove', adapterId, endpoint, options);
}

/** WCOW: add an HCN namespace document (`hcn.HostComputeNamespace`, passed through; `ID` must be a GUID). */
export async function addNetworkNamespace(
  guest: Guest,
  namespace: Record<string, unknown>,
  options?: CallOptions,
): Promise<void> {
  v.object('addNetworkNamespace', 'namespace', namespace);
  v.guid('addNetworkNamespace', 'namespace.ID', namespace.ID);
  await send(guest, GuestResources.NetworkNamespace, 'Add', namespace, options);
}

/** WCOW: remove it. */
export async function removeNetworkNamespace(
  guest: Guest,
  namespace: Record<string, unknown>,
  options?: CallOptions,
): Promise<void> {
  v.object('removeNetworkNamespace', 'namespace', namespace);
  v.guid('removeNetworkNamespace', 'namespace.ID', namespace.ID);
  await send(guest, GuestResources.NetworkNamespace, 'Remove', namespace, options);
}
