/**
 * The one place hcsd validates documents: JSON parsing (→ HCS_E_INVALID_JSON) and schema checks
 * with @uvmkit/hcs-schema's compiled validators (→ E_INVALIDARG naming the dotted field path).
 */
import { check, type ValidationIssue } from '@uvmkit/hcs-schema';
import { fail, HR } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';

type TSchema = Parameters<typeof check>[0];

/**
 * Parse a JSON document argument; unparsable, or nested deeper than `maxDepth` (a scan before
 * parsing, so a deep document never reaches the parser) → HCS_E_INVALID_JSON.
 */
export function parseJson(
  text: string,
  what: string,
  maxDepth: number = DEFAULT_LIMITS.maxJsonDepth,
): unknown {
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) fail(HR.HCS_E_INVALID_JSON, `${what} is nested deeper than ${maxDepth} levels`);
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

/** Nesting depth of JSON text (brackets outside strings); stops counting past `stopAbove`. */
export function jsonDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
