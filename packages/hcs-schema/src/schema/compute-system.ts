/** The top-level `HcsCreateComputeSystem` document. */
import { type Static, Type } from '@sinclair/typebox';
import { AnyObject, strict } from './common.js';
import { Version, VirtualMachine } from './virtual-machine.js';

/**
 * `ComputeSystem`. Exactly one of `VirtualMachine` / `Container` / `HostedSystem` must be present;
 * TypeBox cannot say that, so `check(ComputeSystem, doc)` adds an issue on path `""` (see
 * {@link systemKind}). `Container` and `HostedSystem` are not modelled and accept any JSON object /
 * value, as HCS does.
 */
export const ComputeSystem = strict(
  {
    Owner: Type.Optional(Type.String()),
    SchemaVersion: Version,
    HostingSystemId: Type.Optional(Type.String()),
    HostedSystem: Type.Optional(Type.Unknown()),
    Container: Type.Optional(AnyObject),
    VirtualMachine: Type.Optional(VirtualMachine),
    ShouldTerminateOnLastHandleClosed: Type.Optional(Type.Boolean()),
  },
  'ComputeSystem',
);
export type ComputeSystem = Static<typeof ComputeSystem>;

export type SystemKind = 'VirtualMachine' | 'Container' | 'HostedSystem';
const KINDS: readonly SystemKind[] = ['VirtualMachine', 'Container', 'HostedSystem'];

/**
 * Which kind of system a ComputeSystem document describes: the one of `VirtualMachine`,
 * `Container`, `HostedSystem` that is present (not `undefined`/`null`). `undefined` if none or
 * more than one is present, or `doc` is not an object.
 */
export function systemKind(doc: unknown): SystemKind | undefined {
  const present = presentKinds(doc);
  return present.length === 1 ? present[0] : undefined;
}

/** @internal kinds present in `doc`, in declaration order. */
export function presentKinds(doc: unknown): SystemKind[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [];
  const rec = doc as Record<string, unknown>;
  return KINDS.filter((k) => rec[k] !== undefined && rec[k] !== null);
}
