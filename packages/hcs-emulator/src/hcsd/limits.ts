/**
 * Every bound hcsd enforces, with its default (README § Limits). A daemon takes its limits from
 * `serve({ limits })`, or from the CLI's `$UVMKIT_HCSD_LIMITS` (a JSON object of overrides, e.g.
 * `{"partialFrameTimeoutMs":500}`; tests use it to reach a bound quickly).
 */
import { MAX_FRAME } from './codec.js';

export interface Limits {
  /** Largest frame hcsd writes (the protocol's limit, which the shim enforces): a bigger answer is refused with an error answer. */
  readonly maxAnswerFrame: number;
  /** Largest request frame hcsd accepts; a longer declared length closes that connection. */
  readonly maxRequestFrame: number;
  /** Largest JSON document argument (UTF-8 bytes): a Create configuration, a Modify request, options. */
  readonly maxDocumentBytes: number;
  /** Deepest nesting of a JSON document (the shim refuses deeper ones too). */
  readonly maxJsonDepth: number;
  /** Longest `Owner` of a compute system (UTF-16 code units). */
  readonly maxOwnerLength: number;
  /** ModifySettingRequest bytes kept in one system's modify log (the oldest entries go first). */
  readonly modifyLogBytes: number;
  /** Unsent answer bytes of one connection above which hcsd stops reading that client. */
  readonly maxUnsentBytes: number;
  /** Requests of one connection in flight above which hcsd stops reading that client. */
  readonly maxPendingPerConnection: number;
  /** A frame whose first bytes arrived must be complete within this (else the connection closes). */
  readonly partialFrameTimeoutMs: number;
  /** Bytes buffered towards incomplete frames, all connections together; beyond it reading pauses. */
  readonly partialFrameBudget: number;
  /** Connections served at once (each socket counted); more are refused with an error frame. */
  readonly maxConnections: number;
  /** File descriptors kept free under RLIMIT_NOFILE: new connections are refused inside the headroom. */
  readonly fdHeadroom: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxAnswerFrame: MAX_FRAME,
  maxRequestFrame: 16 * 1024 * 1024,
  maxDocumentBytes: 4 * 1024 * 1024,
  maxJsonDepth: 512,
  maxOwnerLength: 128 * 1024,
  modifyLogBytes: 4 * 1024 * 1024,
  maxUnsentBytes: 8 * 1024 * 1024,
  maxPendingPerConnection: 4096,
  partialFrameTimeoutMs: 30_000,
  partialFrameBudget: 64 * 1024 * 1024,
  maxConnections: 256,
  fdHeadroom: 64,
};

/** The env var of the CLI's limit overrides. */
export const LIMITS_ENV = 'UVMKIT_HCSD_LIMITS';

/** `DEFAULT_LIMITS` with `overrides` (each a positive integer; the answer frame never above MAX_FRAME). */
export function resolveLimits(overrides: Partial<Record<keyof Limits, unknown>> = {}): Limits {
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(overrides)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, k)) throw new Error(`unknown limit ${JSON.stringify(k)}`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw new Error(`limit ${k} must be a non-negative integer`);
    out[k] = v;
  }
  if ((out.maxAnswerFrame ?? 0) > MAX_FRAME) throw new Error(`maxAnswerFrame cannot exceed ${MAX_FRAME}`);
  if ((out.maxRequestFrame ?? 0) > MAX_FRAME) throw new Error(`maxRequestFrame cannot exceed ${MAX_FRAME}`);
  return out as unknown as Limits;
}

/** Limits from `$UVMKIT_HCSD_LIMITS` (absent or empty: the defaults). */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): Limits {
  const text = env[LIMITS_ENV];
  if (text === undefined || text === '') return DEFAULT_LIMITS;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`$${LIMITS_ENV} is not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error(`$${LIMITS_ENV} must be a JSON object`);
  return resolveLimits(v as Record<keyof Limits, unknown>);
}
