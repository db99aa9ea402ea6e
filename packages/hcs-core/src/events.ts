/**
 * Typed event subscriptions. `on()` returns a disposable; `once()` and `iterate()` are the
 * promise / async-iterator helpers and take `{ signal }`. There are no EventEmitter `'error'`
 * events: failures arrive as rejections. A listener that throws is caught and logged; it never
 * crashes the process or stops other listeners.
 *
 * `TypedEvents` itself is exported from `@uvmkit/hcs-core/manager` (its owner calls `emit`);
 * consumers see only `on` / `once` / `iterate`.
 */
import { HcsError, LocalCode } from './errors.js';
import { type Logger, silentLogger } from './logger.js';
import { abortedError } from './options.js';

/** What `on()` returns. `dispose()` is idempotent. */
export interface Subscription {
  dispose(): void;
  [Symbol.dispose](): void;
}

export interface WaitOptions {
  signal?: AbortSignal | undefined;
}

/** Options of `waitForExit`. */
export interface ExitWaitOptions extends WaitOptions {
  /**
   * Whether the pending wait keeps the Node process alive, as a pending socket read does (default
   * `true`): `await vm.waitForExit()` waits for the VM even when nothing else is pending. `false`
   * observes the exit without holding the process (like an unref'd timer).
   */
  ref?: boolean | undefined;
}

type Listener<T> = (payload: T) => void;

/** A set of typed events keyed by name. */
export class TypedEvents<M extends object> {
  readonly #listeners = new Map<keyof M, Set<Listener<never>>>();
  #logger: Logger;

  constructor(logger: Logger = silentLogger) {
    this.#logger = logger;
  }

  /** @internal */
  setLogger(logger: Logger): void {
    this.#logger = logger;
  }

  /** Call `listener` for every `type` event until the subscription is disposed. */
  on<K extends keyof M>(type: K, listener: (payload: M[K]) => void): Subscription {
    if (typeof listener !== 'function') {
      throw new HcsError(LocalCode.InvalidArgument, 'listener must be a function', { op: 'on' });
    }
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const entry = listener as Listener<never>;
    set.add(entry);
    const dispose = (): void => {
      this.#listeners.get(type)?.delete(entry);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /** Resolves with the next `type` event; rejects with code `Aborted` when `signal` aborts. */
  once<K extends keyof M>(type: K, options: WaitOptions = {}): Promise<M[K]> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortedError(`once(${String(type)})`, signal.reason));
    return new Promise<M[K]>((resolve, reject) => {
      const sub = this.on(type, (payload) => {
        cleanup();
        resolve(payload);
      });
      const onAbort = (): void => {
        cleanup();
        reject(abortedError(`once(${String(type)})`, signal?.reason));
      };
      const cleanup = (): void => {
        sub.dispose();
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * An async iterator over `type` events (buffered, in order). It ends when `signal` aborts or
   * the consumer breaks out of the loop.
   */
  iterate<K extends keyof M>(type: K, options: WaitOptions = {}): AsyncIterableIterator<M[K]> {
    const { signal } = options;
    const buffer: M[K][] = [];
    let wake: (() => void) | undefined;
    let done = signal?.aborted === true;
    const sub = this.on(type, (payload) => {
      buffer.push(payload);
      wake?.();
    });
    const finish = (): void => {
      done = true;
      sub.dispose();
      signal?.removeEventListener('abort', finish);
      wake?.();
    };
    signal?.addEventListener('abort', finish, { once: true });
    if (done) finish();
    const iterator: AsyncIterableIterator<M[K]> = {
      async next(): Promise<IteratorResult<M[K]>> {
        while (buffer.length === 0 && !done) {
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = undefined;
        }
        if (buffer.length > 0) return { value: buffer.shift() as M[K], done: false };
        return { value: undefined, done: true };
      },
      async return(): Promise<IteratorResult<M[K]>> {
        finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Number of listeners for `type`. */
  listenerCount(type: keyof M): number {
    return this.#listeners.get(type)?.size ?? 0;
  }

  /** Deliver `payload` to every listener; a throwing listener is logged and skipped (the owner calls this). */
  emit<K extends keyof M>(type: K, payload: M[K]): void {
    const set = this.#listeners.get(type);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<M[K]>)(payload);
      } catch (err) {
        this.#logger.error(`a ${String(type)} listener threw`, { err });
      }
    }
  }
}
