/** Plain JSON objects as hcsd handles them (parsed documents, device maps). */

export type Obj = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Set an own, enumerable property. Unlike `map[key] = value`, a key of `__proto__` (a valid
 * FlexibleIov name, or a V3 query name) becomes an entry instead of replacing the prototype.
 */
export function setOwn(map: Obj, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}
