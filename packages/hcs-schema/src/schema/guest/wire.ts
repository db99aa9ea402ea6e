/**
 * Building blocks of the GCS guest request documents (gcs-protocol.md §4–§7): each field is
 * typed as the guest's Go struct field is (`uint8`, `uint32`, `string`, `[]string`, …) and the
 * schema carries that Go type (`goType`), so that a guest decoding a request the way Go's
 * encoding/json does — absent or null fields are zero values, unknown fields are ignored, a
 * field of the wrong JSON type or out of its integer range fails the whole request — can name
 * the field and the type it could not unmarshal into. Every field is optional on the wire (Go has
 * no required fields); what a sender must set is the sender's rule.
 */
import { type TOptional, type TProperties, type TSchema, Type } from '@sinclair/typebox';

/** The schema option naming the Go type of a field (for "cannot unmarshal into <goType>"). */
export const GO_TYPE = 'goType';
/**
 * Set on an array of scalars: an element of the wrong type is reported at the array
 * (`[]string`), as encoding/json's error names the field, not the element.
 */
export const GO_WHOLE = 'goWhole';

function go<T extends TSchema>(schema: T, goType: string, extra: Record<string, unknown> = {}): T {
  return Object.assign(schema, { [GO_TYPE]: goType }, extra);
}

/** Go `uint8`. */
export const GoUInt8 = () => go(Type.Integer({ minimum: 0, maximum: 0xff }), 'uint8');
/** Go `uint16`. */
export const GoUInt16 = () => go(Type.Integer({ minimum: 0, maximum: 0xffff }), 'uint16');
/** Go `int32`. */
export const GoInt32 = () => go(Type.Integer({ minimum: -0x80000000, maximum: 0x7fffffff }), 'int32');
/** Go `uint32`. */
export const GoUInt32 = () => go(Type.Integer({ minimum: 0, maximum: 0xffffffff }), 'uint32');
/** Go `uint64` (as a safe integer: JSON.parse cannot represent more exactly). */
export const GoUInt64 = () => go(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), 'uint64');
/** Go `string`. */
export const GoString = () => go(Type.String(), 'string');
/** Go `bool`. */
export const GoBool = () => go(Type.Boolean(), 'bool');
/** Go `[]string`. */
export const GoStrings = () => go(Type.Array(Type.String()), '[]string', { [GO_WHOLE]: true });
/** Go `map[string]string` (each value is checked, and reported, by its key). */
export const GoStringMap = () => go(Type.Record(Type.String(), GoString()), 'map[string]string');
/** Go `[N]uint` / `[]uint` (an element of the wrong type is reported at the array). */
export const GoUInts = (goType: string) =>
  go(Type.Array(Type.Integer({ minimum: 0, maximum: 0xffffffff })), goType, { [GO_WHOLE]: true });
/** A nested Go struct: unknown fields ignored. */
export const GoStruct = <T extends TProperties>(properties: T, description?: string) =>
  go(Type.Object(properties, description === undefined ? {} : { description }), 'object');
/** A Go slice of structs (elements are checked, and reported, one by one). */
export const GoArray = <T extends TSchema>(items: T) => go(Type.Array(items), 'array');
/** Any JSON (a Go `interface{}` or a field this package does not model). */
export const GoAny = () => Type.Unknown();

/** `Type.Optional` of each property: on the wire every Go field may be absent. */
export function wire<T extends TProperties>(properties: T): { [K in keyof T]: TOptional<T[K]> } {
  return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof T]: TOptional<T[K]>;
  };
}
