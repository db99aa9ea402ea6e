/** Argument checks shared by the request builders: everything is validated before sending. */

import { isGuid } from '@uvmkit/hcs-core/hvsocket';
import { invalidArgument } from '@uvmkit/hcs-core/manager';

export function object(op: string, name: string, v: unknown): asserts v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw invalidArgument(op, `${name} must be an object`);
}

export function uint(op: string, name: string, v: unknown, max: number, optional = false): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw invalidArgument(op, `${name} must be an integer 0..${max}, got ${JSON.stringify(v)}`);
  }
}

/** A bigint-free u64: a safe non-negative integer. */
export function u64(op: string, name: string, v: unknown, optional = false): void {
  uint(op, name, v, Number.MAX_SAFE_INTEGER, optional);
}

export function int32(op: string, name: string, v: unknown, optional = false): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    throw invalidArgument(op, `${name} must be a 32-bit integer, got ${JSON.stringify(v)}`);
  }
}

export function guid(op: string, name: string, v: unknown, optional = false): void {
  if (v === undefined && optional) return;
  if (!isGuid(v)) throw invalidArgument(op, `${name} must be a GUID, got ${JSON.stringify(v)}`);
}

export function str(op: string, name: string, v: unknown, optional = false): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'string' || v === '')
    throw invalidArgument(op, `${name} must be a non-empty string, got ${JSON.stringify(v)}`);
  if (v.includes('\0')) throw invalidArgument(op, `${name} must not contain NUL`);
}

export function bool(op: string, name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean')
    throw invalidArgument(op, `${name} must be a boolean, got ${JSON.stringify(v)}`);
}

export function strings(op: string, name: string, v: unknown): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
    throw invalidArgument(op, `${name} must be an array of strings`);
}

/** An absolute guest Linux path: starts with `/`, no `..` segment, no NUL. */
export function linuxPath(op: string, name: string, v: unknown, optional = false): void {
  if (v === undefined && optional) return;
  str(op, name, v);
  const p = v as string;
  if (!p.startsWith('/'))
    throw invalidArgument(op, `${name} must be an absolute path, got ${JSON.stringify(p)}`);
  if (p.split('/').includes('..'))
    throw invalidArgument(op, `${name} must not contain '..', got ${JSON.stringify(p)}`);
}

/** An absolute Windows path (`C:\…`, `\\?\…`, `\\server\…`), no `..` segment. */
export function windowsPath(op: string, name: string, v: unknown, optional = false): void {
  if (v === undefined && optional) return;
  str(op, name, v);
  const p = v as string;
  if (!/^([A-Za-z]:\\|\\\\)/.test(p))
    throw invalidArgument(op, `${name} must be an absolute Windows path, got ${JSON.stringify(p)}`);
  if (p.split(/[\\/]/).includes('..'))
    throw invalidArgument(op, `${name} must not contain '..', got ${JSON.stringify(p)}`);
}

export function oneOf(
  op: string,
  name: string,
  v: unknown,
  values: readonly string[],
  optional = false,
): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'string' || !values.includes(v)) {
    throw invalidArgument(
      op,
      `${name} must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
}

/** Copy `v` without undefined fields. */
export function defined<T extends object>(v: T): T {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as T;
}

/** Go `omitempty`: drop undefined, false, 0, '' and empty arrays. */
export function omitEmpty<T extends object>(v: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(v).filter(
      ([, x]) =>
        x !== undefined && x !== false && x !== 0 && x !== '' && !(Array.isArray(x) && x.length === 0),
    ),
  ) as Partial<T>;
}
