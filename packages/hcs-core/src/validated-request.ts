/**
 * Requests `modifyResource` has already validated, so `UtilityVM.modify` sends them without
 * validating them a second time. Internal to this package: a mark is made on a fresh, frozen
 * request only `modifyResource` holds, right before it is handed to `modify`, and is taken
 * (removed) by that one `modify` call.
 */

const validated = new WeakSet<object>();

/** Mark `request` as validated for the next `UtilityVM.modify` of it. */
export function markValidated(request: object): void {
  validated.add(request);
}

/** Whether `request` was marked; the mark is removed (it serves one call). */
export function takeValidated(request: object): boolean {
  return validated.delete(request);
}
