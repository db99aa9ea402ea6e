/**
 * Host-wide service calls (hcs-api.md §1e): `HcsGetServiceProperties` and
 * `HcsModifyServiceSettings`. Both are synchronous exports, so they run on hcs-core's own worker
 * threads (native/blocking.ts), never on the JS thread nor the libuv pool. They cannot be
 * cancelled in HCS; `timeout` is a deadline and an abort stops waiting (`Timeout` / `Aborted` at
 * once; the call finishes in its worker).
 */
import { HcsError, invalidArgument, LocalCode } from './errors.js';
import { withinDeadline } from './native/blocking.js';
import { operationEngine, parseResultError } from './operation.js';
import { abortedError, checkCallOptions } from './options.js';

export interface ServiceCallOptions {
  signal?: AbortSignal | undefined;
  /** Milliseconds to wait at most (a deadline: `Timeout`). */
  timeout?: number | undefined;
}

function toJson(op: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object') throw invalidArgument(op, 'the document must be an object');
  return JSON.stringify(value);
}

async function call(
  op: 'HcsGetServiceProperties' | 'HcsModifyServiceSettings',
  doc: string | null,
  options: ServiceCallOptions,
): Promise<string | undefined> {
  checkCallOptions(op, options);
  const { native } = await operationEngine();
  if (options.signal?.aborted) throw abortedError(op, options.signal.reason);
  const res = await withinDeadline(
    native.blocking.run({ kind: 'service', name: op, doc }),
    op,
    undefined,
    options,
    () => {},
  );
  if (res.error !== undefined) throw new HcsError(LocalCode.UnexpectedResult, `${op}: ${res.error}`, { op });
  const hr = res.hr >>> 0;
  const result = res.result;
  if ((hr | 0) < 0) throw HcsError.fromHresult(hr, op, { result: parseResultError(result) });
  return result;
}

/** The compute service itself. */
export const HcsService = {
  /** `HcsGetServiceProperties` with a ServicePropertyQuery (e.g. `{ PropertyTypes: ['Basic'] }`). */
  async getProperties(query?: object, options: ServiceCallOptions = {}): Promise<Record<string, unknown>> {
    const op = 'HcsGetServiceProperties';
    const doc = await call(op, toJson(op, query), options);
    try {
      const parsed: unknown = JSON.parse(doc ?? '');
      if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new HcsError(LocalCode.UnexpectedResult, `${op} returned no ServiceProperties document`, { op });
  },

  /** `HcsModifyServiceSettings` with a ModificationRequest. */
  async modifySettings(settings: object, options: ServiceCallOptions = {}): Promise<void> {
    const op = 'HcsModifyServiceSettings';
    const doc = toJson(op, settings);
    if (doc === null) throw invalidArgument(op, 'settings are required');
    await call(op, doc, options);
  },
} as const;
