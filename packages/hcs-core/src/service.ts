/**
 * Host-wide service calls (hcs-api.md §1e): `HcsGetServiceProperties` and
 * `HcsModifyServiceSettings`. Both are synchronous exports, so they run on the libuv pool
 * (koffi `.async`), never on the JS thread. They cannot be cancelled: an abort waits for the call
 * to return, then rejects with `Aborted`.
 */
import { HcsError, invalidArgument, LocalCode } from './errors.js';
import type { Out, Pointer } from './native/computecore.js';
import { operationEngine, parseResultError } from './operation.js';
import { abortedError, checkCallOptions } from './options.js';

export interface ServiceCallOptions {
  signal?: AbortSignal | undefined;
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
  const out: Out<Pointer> = [null];
  const hr = (await native.callAsync<number>(op, doc, out)) >>> 0;
  const result = native.takeString(out[0]);
  if (options.signal?.aborted) throw abortedError(op, options.signal.reason, undefined, hr);
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
