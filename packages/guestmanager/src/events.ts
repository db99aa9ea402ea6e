/**
 * A small typed listener set (core's `TypedEvents.emit` is internal to hcs-core). Listeners that
 * throw are logged and skipped; subscriptions are `Subscription`s as in core.
 */
import type { Logger, Subscription } from '@uvmkit/hcs-core';

export class Listeners<M extends object> {
  readonly #sets = new Map<keyof M, Set<(payload: never) => void>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  on<K extends keyof M>(type: K, listener: (payload: M[K]) => void): Subscription {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    let set = this.#sets.get(type);
    if (set === undefined) {
      set = new Set();
      this.#sets.set(type, set);
    }
    const entry = listener as (payload: never) => void;
    set.add(entry);
    const dispose = (): void => {
      this.#sets.get(type)?.delete(entry);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  emit<K extends keyof M>(type: K, payload: M[K]): void {
    const set = this.#sets.get(type);
    if (set === undefined) return;
    for (const l of [...set]) {
      try {
        (l as (p: M[K]) => void)(payload);
      } catch (err) {
        this.#logger.error(`a ${String(type)} listener threw`, { err });
      }
    }
  }
}
