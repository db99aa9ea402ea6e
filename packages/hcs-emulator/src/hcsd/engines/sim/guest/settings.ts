/**
 * Decoding of request and Settings documents the way Go's encoding/json would treat them on the
 * guest: a field of the wrong JSON type (or an integer out of its range) is an unmarshal failure
 * (0xC037010D); absent fields are zero values; unknown fields are ignored.
 *
 * The documents the GCS protocol defines are checked against their schema in `@uvmkit/hcs-schema`
 * (`schema/guest/`, the one home of the guest request shapes, which guestmanager builds from) by
 * {@link decodeOrFail}; `Fields` then reads them with Go zero values. Its own type checks remain
 * for the documents not modeled there (ExecuteProcess's ProcessParameters, a container's config).
 */
import { decodeGuestRequest } from '@uvmkit/hcs-schema';
import { GHR, gfail } from './protocol.js';

/**
 * `doc` without `ContainerId` and `ActivityId`: the emulated agent reads those two leniently
 * (a non-string ContainerId is the UVM's, a non-GUID ActivityId is left out of the reply), so they
 * are not part of what {@link decodeOrFail} checks for it.
 */
export function withoutBase(doc: Obj): Obj {
  const { ContainerId: _c, ActivityId: _a, ...rest } = doc;
  return rest;
}

/** A guest request schema of `@uvmkit/hcs-schema`. */
export type GuestSchema = Parameters<typeof decodeGuestRequest>[0];

/**
 * Check `value` against the guest request `schema` (hcs-schema), failing as the guest's decoder
 * does: `<what>.<field>: cannot unmarshal into <Go type>` (or `<what>: expected a JSON object`
 * for the document or a slice element), `0xC037010D`.
 */
export function decodeOrFail(schema: GuestSchema, value: unknown, what: string): void {
  const r = decodeGuestRequest(schema, value);
  if (r.ok) return;
  const where = r.path === '' ? what : `${what}.${r.path}`;
  gfail(
    GHR.INVALID_JSON,
    r.element && r.goType === 'object'
      ? `${where}: expected a JSON object`
      : `${where}: cannot unmarshal into ${r.goType}`,
  );
}

export { isObj, type Obj } from '../../../json.js';

import { isObj, type Obj } from '../../../json.js';

/** Reads fields of one Settings object, failing with INVALID_JSON on a type mismatch. */
export class Fields {
  readonly #o: Obj;
  readonly #what: string;

  constructor(value: unknown, what: string) {
    if (value === undefined || value === null) this.#o = {};
    else if (isObj(value)) this.#o = value;
    else gfail(GHR.INVALID_JSON, `${what}: expected a JSON object`);
    this.#what = what;
  }

  get raw(): Obj {
    return this.#o;
  }

  has(key: string): boolean {
    return this.#o[key] !== undefined && this.#o[key] !== null;
  }

  #bad(key: string, expected: string): never {
    return gfail(GHR.INVALID_JSON, `${this.#what}.${key}: cannot unmarshal into ${expected}`);
  }

  string(key: string): string {
    const v = this.#o[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') this.#bad(key, 'string');
    return v;
  }

  bool(key: string): boolean {
    const v = this.#o[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') this.#bad(key, 'bool');
    return v;
  }

  /** An integer in [min, max] (u8: 0..255, i32, u32, u64 as a safe integer). */
  int(key: string, min: number, max: number, type: string): number {
    const v = this.#o[key];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.#bad(key, type);
    return v;
  }

  u8(key: string): number {
    return this.int(key, 0, 255, 'uint8');
  }
  u16(key: string): number {
    return this.int(key, 0, 0xffff, 'uint16');
  }
  i32(key: string): number {
    return this.int(key, -0x80000000, 0x7fffffff, 'int32');
  }
  u32(key: string): number {
    return this.int(key, 0, 0xffffffff, 'uint32');
  }
  u64(key: string): number {
    return this.int(key, 0, Number.MAX_SAFE_INTEGER, 'uint64');
  }

  stringArray(key: string): string[] {
    const v = this.#o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) this.#bad(key, '[]string');
    return v as string[];
  }

  object(key: string): Fields | undefined {
    const v = this.#o[key];
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) this.#bad(key, 'object');
    return new Fields(v, `${this.#what}.${key}`);
  }

  array(key: string): Fields[] {
    const v = this.#o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.#bad(key, 'array');
    return v.map((e, i) => new Fields(e, `${this.#what}.${key}.${i}`));
  }
}

/** An absolute guest path without `..` segments (Linux `/…`, Windows `C:\…` when `windows`). */
export function checkGuestPath(path: string, what: string, windows = false): void {
  if (path === '') gfail(GHR.E_INVALIDARG, `${what} is required`);
  const absolute = windows ? /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\') : path.startsWith('/');
  if (!absolute) gfail(GHR.E_INVALIDARG, `${what} ${JSON.stringify(path)} is not an absolute path`);
  if (path.split(/[\\/]/).includes('..'))
    gfail(GHR.E_INVALIDARG, `${what} ${JSON.stringify(path)} contains ".."`);
  if (path.includes('\0')) gfail(GHR.E_INVALIDARG, `${what} contains a NUL character`);
}

/** `/a/b/` → `/a/b` (a lone `/` stays). */
export function normalizePath(path: string): string {
  const p = path.replace(/\/+/g, '/');
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** Whether `path` is `base` or lies under it. */
export function isUnder(path: string, base: string): boolean {
  const p = normalizePath(path);
  const b = normalizePath(base);
  return p === b || p.startsWith(b.endsWith('/') ? b : `${b}/`);
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isGuid(s: string): boolean {
  return GUID_RE.test(s);
}
