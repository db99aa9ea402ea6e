/**
 * Coded errors thrown by this package. Both carry a stable `code` and are branded with a
 * `Symbol.for` key so `instanceof` also works across duplicate copies of the package.
 */

/** One problem found in a document; `path` is dotted from the document root (`""` = the root). */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

const BRAND: unique symbol = Symbol.for('@uvmkit/hcs-schema.error') as never;

function hasBrand(value: unknown, name: string): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === name;
}

/** A document failed schema validation (`assertValid`). `path` is the first issue's path. */
export class SchemaValidationError extends Error {
  readonly code = 'SchemaValidation' as const;
  readonly issues: readonly ValidationIssue[];
  readonly path: string;

  constructor(what: string, issues: readonly ValidationIssue[]) {
    const first = issues[0] ?? { path: '', message: 'invalid' };
    const where = first.path === '' ? '(root)' : first.path;
    const more =
      issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : '';
    super(`invalid ${what}: ${where}: ${first.message}${more}`);
    this.name = 'SchemaValidationError';
    this.issues = issues;
    this.path = first.path;
    Object.defineProperty(this, BRAND, { value: 'SchemaValidationError' });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, 'SchemaValidationError');
  }
}

/**
 * A builder (a resource-path builder, a manager's argument check) got an argument it must not
 * use, e.g. one it would splice into a path. Nothing was built.
 */
export class InvalidArgumentError extends Error {
  readonly code = 'InvalidArgument' as const;
  /** The parameter name, e.g. `'lun'`. */
  readonly argument: string;
  /** The rejected value, as passed. */
  readonly value: unknown;
  /** Why it was rejected, e.g. `'must be in 0..63'`. */
  readonly reason: string;
  /**
   * The refusal as one issue, the shape `SchemaValidationError.issues` has: `path` = the
   * argument's name, `message` = the reason.
   */
  readonly issues: readonly ValidationIssue[];

  constructor(argument: string, value: unknown, reason: string) {
    super(`invalid argument ${argument} (${describeValue(value)}): ${reason}`);
    this.name = 'InvalidArgumentError';
    this.argument = argument;
    this.value = value;
    this.reason = reason;
    this.issues = [{ path: argument, message: reason }];
    Object.defineProperty(this, BRAND, { value: 'InvalidArgumentError' });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, 'InvalidArgumentError');
  }
}

/** Short printable form of any value, for messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}..."` : json;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
