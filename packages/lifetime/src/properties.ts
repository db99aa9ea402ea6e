/** properties (V2: PropertyTypes) and propertiesV3 (full PropertyQuery with Queries), hcs-api.md §7. */
import { type CallOptions, systemOf, type UtilityVM } from '@uvmkit/hcs-core';
import type { Properties, PropertyQuery, PropertyType } from '@uvmkit/hcs-schema';
import { wrap } from './start.js';

/** `Properties` for the given property types (`[]` → the basic document: Id, State, RuntimeId…). */
export async function properties(
  vm: UtilityVM,
  types: readonly PropertyType[] = [],
  options?: CallOptions,
): Promise<Properties> {
  try {
    return (await systemOf(vm).getProperties({ PropertyTypes: [...types] }, options)) as Properties;
  } catch (err) {
    throw wrap(err, 'get properties of', vm);
  }
}

/** `Properties` for a full PropertyQuery (V3: `Queries` → `PropertyResponses`). */
export async function propertiesV3(
  vm: UtilityVM,
  query: PropertyQuery,
  options?: CallOptions,
): Promise<Properties> {
  try {
    return (await systemOf(vm).getProperties(query, options)) as Properties;
  } catch (err) {
    throw wrap(err, 'get properties of', vm);
  }
}
