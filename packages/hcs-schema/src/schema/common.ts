/** Building blocks shared by the schema files (numeric ranges, GUIDs, maps, strict objects). */
import { type TLiteral, type TProperties, type TSchema, type TUnion, Type } from '@sinclair/typebox';
import { GUID_PATTERN } from '../guid.js';

/** Object that rejects unknown keys (HCS request documents, settings, devices). */
export function strict<T extends TProperties>(properties: T, description?: string) {
  return Type.Object(properties, {
    additionalProperties: false,
    ...(description === undefined ? {} : { description }),
  });
}

/** Object that tolerates unknown keys (documents HCS produces; newer builds add keys). */
export function open<T extends TProperties>(properties: T, description?: string) {
  return Type.Object(properties, description === undefined ? {} : { description });
}

/** Map keyed by strings matching `keyPattern`; other keys are rejected. */
export function mapOf<T extends TSchema>(keyPattern: string, value: T, description?: string) {
  return Type.Record(Type.String({ pattern: keyPattern }), value, {
    additionalProperties: false,
    ...(description === undefined ? {} : { description }),
  });
}

export const UInt8 = Type.Integer({ minimum: 0, maximum: 0xff });
export const UInt16 = Type.Integer({ minimum: 0, maximum: 0xffff });
export const UInt32 = Type.Integer({ minimum: 0, maximum: 0xffffffff });
/** uint64: non-negative integer (values above 2^53 cannot be represented exactly in JSON.parse). */
export const UInt64 = Type.Integer({ minimum: 0 });
export const Int32 = Type.Integer({ minimum: -0x80000000, maximum: 0x7fffffff });
/** HRESULT: int32 per the schema; the unsigned spelling (e.g. 2151088389) is accepted too. */
export const HResult = Type.Integer({ minimum: -0x80000000, maximum: 0xffffffff });

/** Bare GUID string, case-insensitive. */
export const Guid = Type.String({ pattern: GUID_PATTERN });
export const NonEmptyString = Type.String({ minLength: 1 });

/** Any JSON object whose content this package does not model. */
export const AnyObject = Type.Record(Type.String(), Type.Unknown());
/** `{}` exactly (Keyboard, Mouse). */
export const EmptyObject = Type.Object({}, { additionalProperties: false });

/** Map key patterns. */
export const KeyPatterns = {
  /** decimal uint without leading zeros */
  uint: '^(0|[1-9][0-9]*)$',
  /** SCSI LUN 0..63 */
  lun: '^([0-9]|[1-5][0-9]|6[0-3])$',
  /** VPMem device number 0..127 */
  vpmemDevice: '^([0-9]|[1-9][0-9]|1[01][0-9]|12[0-7])$',
  /** ComPort index 0..1 */
  comPort: '^[01]$',
  guid: GUID_PATTERN,
  /** any non-empty key */
  name: '^.+$',
} as const;

/** Union of string literals, e.g. `literals('A', 'B')`. */
export function literals<const T extends [string, ...string[]]>(
  ...values: T
): TUnion<{ [K in keyof T]: TLiteral<T[K]> }> {
  return Type.Union(values.map((v) => Type.Literal(v))) as never;
}
