/**
 * Checking a guest request document against its schema the way the guest's Go decoder treats it
 * (wire.ts): null fields count as absent, unknown fields are ignored, and the first field of the
 * wrong type (in the schema's field order, the order the guest reads them) is reported with its
 * dotted path and Go type. Each schema is compiled once (TypeCompiler) and cached.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { GO_TYPE, GO_WHOLE } from './wire.js';

/** Why a guest request document does not decode: the field and the Go type it is not. */
export interface GuestDecodeFailure {
  readonly ok: false;
  /** Dotted path of the field (`Options`, `Layers.0.Path`); `''` for the document itself. */
  readonly path: string;
  /** The Go type the value could not unmarshal into (`uint8`, `[]string`, `object`, …). */
  readonly goType: string;
  /**
   * True when the failing value is the document itself or an element of a slice (a decoder
   * reports "expected a JSON object" there), false for a named field.
   */
  readonly element: boolean;
}

/** The outcome of {@link decodeGuestRequest}: the document without its null fields, or the failure. */
export type GuestDecodeResult<T extends TSchema> =
  | { readonly ok: true; readonly value: Static<T> }
  | GuestDecodeFailure;

const compiled = new WeakMap<TSchema, ReturnType<typeof TypeCompiler.Compile>>();

function checker(schema: TSchema): ReturnType<typeof TypeCompiler.Compile> {
  let c = compiled.get(schema);
  if (c === undefined) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function goType(schema: TSchema | undefined): string | undefined {
  const t = (schema as Record<string, unknown> | undefined)?.[GO_TYPE];
  return typeof t === 'string' ? t : undefined;
}

/**
 * A copy as Go's decoder sees it: null fields dropped (zero values), and a null element of a
 * slice of structs an empty struct (the elements of a scalar slice are kept as they are).
 */
function normalize(schema: TSchema | undefined, v: unknown): unknown {
  const s = schema as { properties?: Record<string, TSchema>; items?: TSchema } | undefined;
  if (Array.isArray(v)) {
    const items = s?.items;
    return v.map((e) => (e === null && goType(items) === 'object' ? {} : normalize(items, e)));
  }
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = normalize(s?.properties?.[k], x);
  return out;
}

function child(schema: TSchema, segment: string): TSchema | undefined {
  const s = schema as {
    properties?: Record<string, TSchema>;
    items?: TSchema;
    patternProperties?: Record<string, TSchema>;
  };
  if (s.properties !== undefined) return s.properties[segment];
  if (s.items !== undefined) return s.items;
  if (s.patternProperties !== undefined) return Object.values(s.patternProperties)[0];
  return undefined;
}

/**
 * Decode `value` (an absent or null document is `{}`) against the guest request `schema`.
 * Unknown fields are ignored only when the schema allows them (the wire schemas do).
 */
export function decodeGuestRequest<T extends TSchema>(schema: T, value: unknown): GuestDecodeResult<T> {
  const doc = value === undefined || value === null ? {} : normalize(schema, value);
  const c = checker(schema);
  if (c.Check(doc)) return { ok: true, value: doc as Static<T> };
  const first = c.Errors(doc).First();
  const segments = first === undefined || first.path === '' ? [] : first.path.slice(1).split('/');
  let node: TSchema | undefined = schema;
  let element = false;
  const path: string[] = [];
  for (const raw of segments) {
    if ((node as Record<string, unknown> | undefined)?.[GO_WHOLE] === true) break;
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    element = (node as { items?: unknown } | undefined)?.items !== undefined;
    node = node === undefined ? undefined : child(node, seg);
    path.push(seg);
  }
  return {
    ok: false,
    path: path.join('.'),
    goType: goType(node) ?? 'value',
    element: element || path.length === 0,
  };
}
