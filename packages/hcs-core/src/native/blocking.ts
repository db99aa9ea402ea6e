/**
 * @internal
 * The blocking exports (HcsOpenComputeSystem, HcsCloseComputeSystem, HcsGetServiceProperties,
 * HcsModifyServiceSettings) run on hcs-core's own threads: a few worker threads that load the same
 * library, never the libuv pool (a call that waits for a hung service must not stall `fs`, `dns`
 * or `zlib` of the whole process). Up to MAX_WORKERS calls run at once; more wait in line. Idle
 * workers do not keep the process alive.
 *
 * A caller may stop waiting (deadline, abort): the call goes on in its worker, and what it still
 * produces is undone there (a handle an abandoned Open returns is closed).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { abortedError, timeoutError } from '../options.js';

/** Worker threads at most (each runs one blocking call at a time). */
export const MAX_WORKERS = 4;

export type BlockingRequest =
  | { kind: 'open'; id: string; access: number }
  | { kind: 'close'; handle: bigint }
  | { kind: 'service'; name: 'HcsGetServiceProperties' | 'HcsModifyServiceSettings'; doc: string | null };

export interface BlockingResult {
  readonly hr: number;
  /** Open: the handle (or null). */
  readonly handle?: bigint | null;
  /** service calls: the result document. */
  readonly result?: string | undefined;
  /** set when the call threw in the worker */
  readonly error?: string;
}

/** Runs in each worker (CommonJS, evaluated): load koffi and the library, answer requests in order. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const koffi = require(workerData.koffi);
const lib = koffi.load(workerData.library);
const freeLib = workerData.freeLibrary === workerData.library ? lib : koffi.load(workerData.freeLibrary);
const open = lib.func('int32_t HcsOpenComputeSystem(const char16_t *id, uint32_t access, _Out_ void **cs)');
const close = lib.func('void HcsCloseComputeSystem(void *cs)');
const svc = {
  HcsGetServiceProperties: lib.func('int32_t HcsGetServiceProperties(const char16_t *q, _Out_ void **r)'),
  HcsModifyServiceSettings: lib.func('int32_t HcsModifyServiceSettings(const char16_t *s, _Out_ void **r)'),
};
const localFree = freeLib.func('void *LocalFree(void *p)');
function take(p) {
  if (p === null || p === undefined || p === 0n) return undefined;
  try { return koffi.decode(p, 'char16_t', -1); } finally { localFree(p); }
}
parentPort.on('message', ({ seq, req }) => {
  let out;
  try {
    if (req.kind === 'open') {
      const cell = [null];
      const hr = open(req.id, req.access, cell);
      out = { hr, handle: cell[0] === null ? null : typeof cell[0] === 'bigint' ? cell[0] : BigInt(koffi.address(cell[0])) };
    } else if (req.kind === 'close') {
      close(req.handle);
      out = { hr: 0 };
    } else {
      const cell = [null];
      const hr = svc[req.name](req.doc, cell);
      out = { hr, result: take(cell[0]) };
    }
  } catch (e) {
    out = { hr: -1, error: String(e && e.stack || e) };
  }
  parentPort.postMessage({ seq, out });
});
`;

/**
 * The parent's Node options minus those that would make the evaluated worker source an ES module
 * (`node --input-type=module -e …`, `--experimental-default-type=module`): it is CommonJS.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.split('=', 1)[0];
    if (name === '--input-type' || name === '--experimental-default-type') {
      if (!arg.includes('=')) i++; // the value is the next argument
      continue;
    }
    out.push(arg);
  }
  return out;
}

interface Job {
  readonly req: BlockingRequest;
  readonly resolve: (r: BlockingResult) => void;
}

interface Slot {
  readonly worker: Worker;
  busy: Job | undefined;
}

export interface BlockingRunnerOptions {
  library: string;
  freeLibrary: string;
}

export class BlockingRunner {
  readonly #options: BlockingRunnerOptions & { koffi: string };
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #seq = 0;

  constructor(options: BlockingRunnerOptions) {
    const koffi = createRequire(import.meta.url).resolve('koffi');
    this.#options = { ...options, koffi };
  }

  /** Calls running or waiting. */
  get inflight(): number {
    return this.#queue.length + this.#slots.filter((s) => s.busy !== undefined).length;
  }

  /** Run `req` on a worker; resolves with what the export returned (never rejects). */
  run(req: BlockingRequest): Promise<BlockingResult> {
    return new Promise<BlockingResult>((resolve) => {
      this.#queue.push({ req, resolve });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.busy === undefined);
      if (slot === undefined) {
        if (this.#slots.length >= MAX_WORKERS) return;
        slot = this.#spawn();
      }
      const job = this.#queue.shift()!;
      slot.busy = job;
      slot.worker.ref();
      slot.worker.postMessage({ seq: ++this.#seq, req: job.req });
    }
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: workerExecArgv(),
      workerData: this.#options,
    });
    const slot: Slot = { worker, busy: undefined };
    worker.on('message', (m: { out: BlockingResult }) => {
      const job = slot.busy;
      slot.busy = undefined;
      worker.unref();
      job?.resolve(m.out);
      this.#pump();
    });
    const lost = (why: string): void => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      slot.busy?.resolve({ hr: -1, error: why });
      slot.busy = undefined;
      this.#pump();
    };
    worker.on('error', (e) => lost(`blocking-call worker failed: ${e.message}`));
    worker.on('exit', (code) => lost(`blocking-call worker exited (${code})`));
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }
}

/**
 * Wait for `work` at most until `options.timeout` passes or `options.signal` aborts: then reject
 * with `Timeout` / `Aborted` at once while the call goes on in its worker; `undo` gets what it
 * produces after all (close a handle nobody will own).
 */
export function withinDeadline<T>(
  work: Promise<T>,
  op: string,
  id: string | undefined,
  options: { signal?: AbortSignal | undefined; timeout?: number | undefined },
  undo: (late: T) => void,
): Promise<T> {
  const { signal, timeout } = options;
  if (signal === undefined && timeout === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): void => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (err: unknown): void => {
      if (done) return;
      finish();
      void work.then(undo, () => {});
      reject(err);
    };
    const onAbort = (): void => giveUp(abortedError(op, signal?.reason, id));
    const timer =
      timeout === undefined ? undefined : setTimeout(() => giveUp(timeoutError(op, timeout, id)), timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        if (done) return;
        finish();
        resolve(v);
      },
      (e: unknown) => {
        if (done) return;
        finish();
        reject(e);
      },
    );
  });
}
