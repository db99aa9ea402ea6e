/**
 * `check` / `assertValid`: compiled TypeBox validation with dotted issue paths and readable
 * messages. Each schema is compiled once (TypeCompiler) and cached; the fast path (valid
 * document) is a single compiled check.
 */
import { Kind, type Static, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { describeValue, SchemaValidationError, type ValidationIssue } from './errors.js';
import { GUID_PATTERN } from './guid.js';
import { ComputeSystem, presentKinds } from './schema/compute-system.js';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function compile(schema: TSchema): TypeCheck<TSchema> {
  let checker = compiled.get(schema);
  if (checker === undefined) {
    checker = TypeCompiler.Compile(schema);
    compiled.set(schema, checker);
  }
  return checker;
}

/** Rules TypeBox cannot express, keyed by schema identity. */
const refinements = new WeakMap<TSchema, (value: unknown) => ValidationIssue[]>([
  [
    ComputeSystem,
    (value) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
      const kinds = presentKinds(value);
      if (kinds.length === 1) return [];
      return [
        {
          path: '',
          message:
            kinds.length === 0
              ? 'exactly one of VirtualMachine, Container, HostedSystem is required (found none)'
              : `exactly one of VirtualMachine, Container, HostedSystem is allowed (found ${kinds.join(' and ')})`,
        },
      ];
    },
  ],
]);

/** JSON pointer (`/a/b~1c`) → dotted path (`a.b/c`). The root is `""`. */
export function pointerToDotted(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function lastSegment(pointer: string): string {
  const i = pointer.lastIndexOf('/');
  return pointer
    .slice(i + 1)
    .replace(/~1/g, '/')
    .replace(/~0/g, '~');
}

function literalValues(schema: TSchema): unknown[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!Array.isArray(anyOf) || anyOf.length === 0) return undefined;
  const out: unknown[] = [];
  for (const variant of anyOf) {
    if (variant[Kind] !== 'Literal') return undefined;
    out.push((variant as unknown as { const: unknown }).const);
  }
  return out;
}

function received(value: unknown): string {
  return `got ${describeValue(value)}`;
}

function messageFor(error: ValueError): string {
  const s = error.schema as Record<string, unknown>;
  const v = error.value;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return s.patternProperties !== undefined
        ? `key ${JSON.stringify(lastSegment(error.path))} is not allowed here (keys must match ${Object.keys(s.patternProperties as object)[0]})`
        : `unknown property ${JSON.stringify(lastSegment(error.path))}`;
    case ValueErrorType.String:
      return `expected a string, ${received(v)}`;
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? 'must not be empty' : `must be at least ${String(s.minLength)} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(s.maxLength)} characters`;
    case ValueErrorType.StringPattern:
      return s.pattern === GUID_PATTERN
        ? `must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), ${received(v)}`
        : `must match ${String(s.pattern)}, ${received(v)}`;
    case ValueErrorType.Integer:
      return `expected an integer, ${received(v)}`;
    case ValueErrorType.Number:
      return `expected a number, ${received(v)}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be >= ${String(s.minimum)}, ${received(v)}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be <= ${String(s.maximum)}, ${received(v)}`;
    case ValueErrorType.Boolean:
      return `expected a boolean, ${received(v)}`;
    case ValueErrorType.Object:
      return `expected an object, ${received(v)}`;
    case ValueErrorType.Array:
      return `expected an array, ${received(v)}`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${String(s.minItems)} item(s)`;
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(s.const)}, ${received(v)}`;
    default:
      return error.message;
  }
}

/** Depth (segment count) of a JSON pointer. */
function depth(pointer: string): number {
  return pointer === '' ? 0 : pointer.split('/').length - 1;
}

function* flatten(errors: Iterable<ValueError>): Generator<ValidationIssue> {
  for (const error of errors) {
    if (error.type !== ValueErrorType.Union) {
      yield { path: pointerToDotted(error.path), message: messageFor(error) };
      continue;
    }
    const values = literalValues(error.schema);
    if (values !== undefined) {
      yield {
        path: pointerToDotted(error.path),
        message: `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, ${received(error.value)}`,
      };
      continue;
    }
    // Non-literal union: report the variant that got furthest (deepest first error, then fewest errors).
    let best: ValueError[] | undefined;
    for (const iterator of error.errors) {
      const list = [...iterator];
      if (list.length === 0) continue;
      if (
        best === undefined ||
        depth(list[0]!.path) > depth(best[0]!.path) ||
        (depth(list[0]!.path) === depth(best[0]!.path) && list.length < best.length)
      ) {
        best = list;
      }
    }
    if (best !== undefined && depth(best[0]!.path) > depth(error.path)) {
      yield* flatten(best);
    } else {
      yield {
        path: pointerToDotted(error.path),
        message: `does not match any allowed form, ${received(error.value)}`,
      };
    }
  }
}

/**
 * Validate `value` against `schema`. Returns `[]` when valid, else the issues (at most one per
 * path, in schema key order). Paths are dotted from the document root
 * (`VirtualMachine.Devices.Scsi.0.Attachments.1.Type`); the root itself is `""`; map keys are
 * segments as-is (a key containing `.` makes the dotted path ambiguous). For a union of string
 * literals the issue lists the allowed values; for other unions it reports the variant that
 * matched furthest. `ComputeSystem` also gets the one-of rule as an issue on `""`.
 */
export function check(schema: TSchema, value: unknown): ValidationIssue[] {
  const checker = compile(schema);
  const refine = refinements.get(schema);
  if (checker.Check(value)) return refine === undefined ? [] : refine(value);
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const issue of flatten(checker.Errors(value))) {
    if (seen.has(issue.path)) continue;
    seen.add(issue.path);
    issues.push(issue);
  }
  if (refine !== undefined) issues.push(...refine(value));
  return issues;
}

/** Like {@link check} but throws `SchemaValidationError` naming `what` and the first issue path. */
export function assertValid<T extends TSchema>(
  schema: T,
  value: unknown,
  what: string,
): asserts value is Static<T> {
  const issues = check(schema, value);
  if (issues.length > 0) throw new SchemaValidationError(what, issues);
}

/** Prefix every issue path with `prefix` (e.g. `Settings`). */
export function prefixIssues(prefix: string, issues: readonly ValidationIssue[]): ValidationIssue[] {
  return issues.map((i) => ({ path: i.path === '' ? prefix : `${prefix}.${i.path}`, message: i.message }));
}
