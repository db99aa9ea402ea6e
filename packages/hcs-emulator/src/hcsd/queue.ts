/**
 * The per-system call queue: calls on one compute system run one at a time, in arrival order,
 * while calls on other systems (and other clients) go on. A task that is next in line starts at
 * once, in the caller's turn, so an idle system adds no latency.
 */
export class SerialQueue {
  #running = false;
  readonly #waiting: (() => Promise<void>)[] = [];

  /** Calls waiting or running. */
  get length(): number {
    return this.#waiting.length + (this.#running ? 1 : 0);
  }

  /** Run `task` after every task queued before it has settled. `task` must not throw. */
  push(task: () => Promise<void>): void {
    this.#waiting.push(task);
    if (!this.#running) this.#next();
  }

  #next(): void {
    const task = this.#waiting.shift();
    if (task === undefined) {
      this.#running = false;
      return;
    }
    this.#running = true;
    void task().finally(() => this.#next());
  }
}
