/**
 * The one place hcsd validates documents: JSON parsing (→ HCS_E_INVALID_JSON) and schema checks
 * with @uvmkit/hcs-schema's compiled validators (→ E_INVALIDARG naming the dotted field path).
 */
import { check, type ValidationIssue } from '@uvmkit/hcs-schema';
import { fail, HR } from './errors.js';

type TSchema = Parameters<typeof check>[0];

/** Parse a JSON document argument; unparsable → HCS_E_INVALID_JSON. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(HR.HCS_E_INVALID_JSON, `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** `"<what>: <path>: <message>"` for the first issue (the root path is written `(root)`). */
export function issueMessage(what: string, issues: readonly ValidationIssue[]): string {
  const first = issues[0] ?? { path: '', message: 'invalid' };
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `invalid ${what}: ${first.path === '' ? '(root)' : first.path}: ${first.message}${more}`;
}

/** Validate against a schema; failure → E_INVALIDARG whose message names the dotted path. */
export function validate<T>(schema: TSchema, value: unknown, what: string): T {
  const issues = check(schema, value);
  if (issues.length > 0) fail(HR.E_INVALIDARG, issueMessage(what, issues));
  return value as T;
}

/** Optional JSON options argument: absent (or empty string) → `undefined`. */
export function optionalDocument<T>(
  text: string | null | undefined,
  schema: TSchema,
  what: string,
): T | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  return validate<T>(schema, parseJson(text, what), what);
}
