/**
 * Fault injection: fail the next N calls of a method with a chosen HRESULT, or delay the next N
 * (or all) calls of a method before they take effect. Crashing a VM and stopping the daemon are
 * handled by the service / server.
 */
import { fail, HR, hex } from './errors.js';
import { Method, methodCode } from './methods.js';

export interface FailRule {
  readonly method: number;
  /** only calls addressing this system id (by token, or Create/Open's id argument) */
  readonly id: string | undefined;
  remaining: number;
  readonly hresult: number;
  readonly message: string;
}

export interface DelayRule {
  readonly method: number;
  readonly id: string | undefined;
  /** `Infinity` = until cleared */
  remaining: number;
  readonly ms: number;
}

/** Methods faults never apply to (so tests can always inspect, cancel and stop). */
const EXEMPT = new Set<number>([Method.Hello, Method.Cancel, Method.Inspect, Method.Fault, Method.Stop]);

function intArg(doc: Record<string, unknown>, key: string, min: number, max: number, dflt?: number): number {
  const v = doc[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(HR.E_INVALIDARG, `${key} must be an integer in ${min}..${max}`);
  }
  return v;
}

function idArg(doc: Record<string, unknown>): string | undefined {
  if (doc.id === undefined) return undefined;
  if (typeof doc.id !== 'string') fail(HR.E_INVALIDARG, 'id must be a string');
  return doc.id;
}

function methodArg(doc: Record<string, unknown>): number {
  const code = methodCode(doc.method);
  if (code === undefined || EXEMPT.has(code)) {
    fail(HR.E_INVALIDARG, `method ${JSON.stringify(doc.method)} is unknown or cannot be faulted`);
  }
  return code;
}

export class FaultTable {
  readonly #fails: FailRule[] = [];
  readonly #delays: DelayRule[] = [];

  /** `{method, count?=1, hresult, message?, id?}` */
  addFailure(doc: Record<string, unknown>): FailRule {
    const method = methodArg(doc);
    const count = intArg(doc, 'count', 1, 1_000_000, 1);
    const hr = doc.hresult;
    if (typeof hr !== 'number' || !Number.isInteger(hr) || hr < -0x80000000 || hr > 0xffffffff) {
      fail(HR.E_INVALIDARG, 'hresult must be a 32-bit integer');
    }
    if ((hr | 0) >= 0) {
      // S_OK, S_FALSE and every other success code: a "failure" that succeeds would complete the
      // call with nothing done (create resolving without a system).
      fail(
        HR.E_INVALIDARG,
        `hresult ${hex(hr)} is a success code; an injected failure needs a failure HRESULT (bit 31 set)`,
      );
    }
    const message = typeof doc.message === 'string' ? doc.message : 'injected fault';
    const rule: FailRule = { method, id: idArg(doc), remaining: count, hresult: hr >>> 0, message };
    this.#fails.push(rule);
    return rule;
  }

  /** `{method, ms, count?, id?}` (no count = every call until cleared). */
  addDelay(doc: Record<string, unknown>): DelayRule {
    const method = methodArg(doc);
    const ms = intArg(doc, 'ms', 0, 3_600_000);
    const remaining = doc.count === undefined ? Number.POSITIVE_INFINITY : intArg(doc, 'count', 1, 1_000_000);
    const rule: DelayRule = { method, id: idArg(doc), ms, remaining };
    this.#delays.push(rule);
    return rule;
  }

  clear(): void {
    this.#fails.length = 0;
    this.#delays.length = 0;
  }

  /** Consume a failure for `method` on system `target()`, if one is armed. */
  takeFailure(method: number, target: () => string | undefined): FailRule | undefined {
    if (this.#fails.length === 0 || EXEMPT.has(method)) return undefined;
    const i = this.#fails.findIndex((r) => r.method === method && (r.id === undefined || r.id === target()));
    if (i < 0) return undefined;
    const rule = this.#fails[i]!;
    if (--rule.remaining <= 0) this.#fails.splice(i, 1);
    return rule;
  }

  /** Consume a delay for `method` on system `target()`: the milliseconds to wait, or `undefined`. */
  takeDelay(method: number, target: () => string | undefined): number | undefined {
    if (this.#delays.length === 0 || EXEMPT.has(method)) return undefined;
    const i = this.#delays.findIndex((r) => r.method === method && (r.id === undefined || r.id === target()));
    if (i < 0) return undefined;
    const rule = this.#delays[i]!;
    if (--rule.remaining <= 0) this.#delays.splice(i, 1);
    return rule.ms;
  }

  /** Armed rules, for inspection. */
  snapshot(): { failures: FailRule[]; delays: DelayRule[] } {
    return {
      failures: this.#fails.map((r) => ({ ...r })),
      delays: this.#delays.map((r) => ({ ...r, remaining: Number.isFinite(r.remaining) ? r.remaining : -1 })),
    };
  }
}
