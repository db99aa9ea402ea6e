/**
 * Fault injection for the emulated guest agent (per VM, armed through HcsdControl.guestFault):
 * never dial, panic like the real GCS on a Create without `linux`, drop the connection (now or on the next request), delay / withhold / fail replies,
 * reply out of order, send garbage or oversized frames.
 */
import { GcsRequest, type GcsRequestName, GHR, gfail } from './protocol.js';
import type { Obj } from './settings.js';

/** What happens to one incoming request instead of (or on top of) a normal reply. */
export type RequestAction =
  | { readonly action: 'fail'; readonly hresult: number; readonly message: string }
  | { readonly action: 'silent' }
  | { readonly action: 'drop' }
  | { readonly action: 'garbage'; readonly variant: GarbageVariant }
  | { readonly action: 'oversized'; readonly size: number };

export type GarbageVariant = 'size' | 'json' | 'unknownId' | 'notification';

interface Rule {
  readonly act: RequestAction;
  remaining: number;
  readonly procedure: GcsRequestName | undefined;
  readonly resourceType: string | undefined;
}

interface DelayRule {
  readonly ms: number;
  remaining: number;
  readonly procedure: GcsRequestName | undefined;
}

export interface GuestFaultsSnapshot {
  neverDial: boolean;
  gcsPanics: boolean;
  rules: { action: string; remaining: number; procedure: string | null; resourceType: string | null }[];
  delays: { ms: number; remaining: number; procedure: string | null }[];
  reorder: number;
}

function count(v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    gfail(GHR.E_INVALIDARG, 'count must be a positive integer');
  return v;
}

function procedure(v: unknown): GcsRequestName | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !Object.hasOwn(GcsRequest, v))
    gfail(GHR.E_INVALIDARG, `unknown guest procedure ${JSON.stringify(v)}`);
  return v as GcsRequestName;
}

export class GuestFaults {
  neverDial = false;
  /** a Create whose OCI spec has no `linux` makes the agent panic (drop the bridge, stop) as the real GCS */
  gcsPanics = false;
  /** replies still to hold back before releasing them all in reverse order */
  reorder = 0;
  #rules: Rule[] = [];
  #delays: DelayRule[] = [];

  /** Arm a rule from a control document. Immediate faults ('drop', 'now' frames) are the agent's. */
  add(doc: Obj): void {
    const proc = procedure(doc.procedure);
    const resourceType = typeof doc.resourceType === 'string' ? doc.resourceType : undefined;
    const push = (act: RequestAction): void => {
      this.#rules.push({ act, remaining: count(doc.count, 1), procedure: proc, resourceType });
    };
    switch (doc.kind) {
      case 'neverDial':
        this.neverDial = doc.enabled !== false;
        return;
      case 'gcsPanics':
        this.gcsPanics = doc.enabled !== false;
        return;
      case 'fail': {
        const hr = doc.hresult;
        if (typeof hr !== 'number' || !Number.isInteger(hr) || hr < -0x80000000 || hr > 0xffffffff)
          gfail(GHR.E_INVALIDARG, 'fail needs an HRESULT');
        push({
          action: 'fail',
          hresult: hr >>> 0,
          message: typeof doc.message === 'string' ? doc.message : 'injected guest fault',
        });
        return;
      }
      case 'silent':
        push({ action: 'silent' });
        return;
      case 'dropOnRequest':
        push({ action: 'drop' });
        return;
      case 'garbage':
        push({ action: 'garbage', variant: garbageVariant(doc.variant) });
        return;
      case 'oversized':
        push({ action: 'oversized', size: oversizedSize(doc.size) });
        return;
      case 'delay': {
        const ms = doc.ms;
        if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
          gfail(GHR.E_INVALIDARG, 'delay needs ms >= 0');
        this.#delays.push({ ms, remaining: count(doc.count, Number.POSITIVE_INFINITY), procedure: proc });
        return;
      }
      case 'reorder':
        this.reorder = count(doc.count, 2);
        return;
      default:
        gfail(GHR.E_INVALIDARG, `unknown guest fault kind ${JSON.stringify(doc.kind)}`);
    }
  }

  clear(): void {
    this.neverDial = false;
    this.gcsPanics = false;
    this.reorder = 0;
    this.#rules = [];
    this.#delays = [];
  }

  /** The action for this request (consumes one use), or `undefined`. */
  takeAction(name: GcsRequestName | undefined, resourceType: string | undefined): RequestAction | undefined {
    const i = this.#rules.findIndex(
      (r) =>
        (r.procedure === undefined || r.procedure === name) &&
        (r.resourceType === undefined || r.resourceType === resourceType),
    );
    if (i < 0) return undefined;
    const r = this.#rules[i]!;
    if (--r.remaining <= 0) this.#rules.splice(i, 1);
    return r.act;
  }

  /** Milliseconds to wait before answering this request, or 0. */
  takeDelay(name: GcsRequestName | undefined): number {
    const i = this.#delays.findIndex((r) => r.procedure === undefined || r.procedure === name);
    if (i < 0) return 0;
    const r = this.#delays[i]!;
    if (--r.remaining <= 0) this.#delays.splice(i, 1);
    return r.ms;
  }

  snapshot(): GuestFaultsSnapshot {
    return {
      neverDial: this.neverDial,
      gcsPanics: this.gcsPanics,
      rules: this.#rules.map((r) => ({
        action: r.act.action,
        remaining: r.remaining,
        procedure: r.procedure ?? null,
        resourceType: r.resourceType ?? null,
      })),
      delays: this.#delays.map((d) => ({
        ms: d.ms,
        remaining: Number.isFinite(d.remaining) ? d.remaining : -1,
        procedure: d.procedure ?? null,
      })),
      reorder: this.reorder,
    };
  }
}

export function garbageVariant(v: unknown): GarbageVariant {
  if (v === undefined) return 'json';
  if (v === 'size' || v === 'json' || v === 'unknownId' || v === 'notification') return v;
  return gfail(GHR.E_INVALIDARG, `unknown garbage variant ${JSON.stringify(v)}`);
}

/** Total frame size of an oversized frame (default 0x10001, header included). */
export function oversizedSize(v: unknown): number {
  if (v === undefined) return 0x10001;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0x10000 || v > 16 * 1024 * 1024)
    gfail(GHR.E_INVALIDARG, 'oversized size must be an integer in 0x10001..16 MiB');
  return v;
}
