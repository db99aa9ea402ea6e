/**
 * The `sim` engine: nothing runs, every change the service validated is realized by being
 * committed to the device table. A VM whose configuration asks for a guest connection gets the
 * emulated guest agent, which dials the host's GCS listener after start and powers the VM off when
 * asked to shut the null container down. The default engine: no VMM needed.
 */
import type { Engine, EngineHost, EngineStatistics, EngineVm, Logger, SystemView } from '../../engine.js';
import { fail, HcsdFailure, HR } from '../../errors.js';
import { isObj, type Obj } from '../../json.js';
import { GuestAgent } from './guest/agent.js';
import { GuestFailure } from './guest/protocol.js';

export class SimEngine implements Engine {
  readonly name = 'sim' as const;
  readonly description: Obj = { engine: 'sim' };
  readonly #log: Logger;
  readonly #vms = new Set<SimVm>();

  constructor(logger: Logger) {
    this.#log = logger;
  }

  async create(system: SystemView, host: EngineHost): Promise<EngineVm> {
    const vm = new SimVm(system, host, this.#log, () => this.#vms.delete(vm));
    this.#vms.add(vm);
    return vm;
  }

  async close(): Promise<void> {
    for (const vm of [...this.#vms]) await vm.dispose();
  }
}

/** The engine calls a sim engine fault can target. */
const CALLS = ['start', 'pause', 'resume', 'save', 'shutdown', 'crash', 'modify'] as const;
type Call = (typeof CALLS)[number];

/** An armed fault of the sim engine: the next `count` realizations of `call` wait or fail. */
interface RealizeFault {
  readonly call: Call;
  readonly ms: number;
  readonly failure: HcsdFailure | undefined;
  remaining: number;
}

function realizeFault(doc: Obj): RealizeFault {
  const call = doc.call;
  if (typeof call !== 'string' || !(CALLS as readonly string[]).includes(call))
    fail(HR.E_INVALIDARG, `engine fault call must be one of ${CALLS.join(', ')}`);
  const int = (key: string, dflt: number, max: number): number => {
    const v = doc[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
      fail(HR.E_INVALIDARG, `engine fault ${key} must be an integer in 0..${max}`);
    return v;
  };
  if (doc.kind === 'delay')
    return {
      call: call as Call,
      ms: int('ms', 0, 600_000),
      failure: undefined,
      remaining: int('count', 1, 1e6),
    };
  if (doc.kind !== 'fail') fail(HR.E_INVALIDARG, 'engine fault kind must be "delay" or "fail"');
  const hresult = int('hresult', HR.E_FAIL, 0xffffffff);
  if ((hresult & 0x80000000) === 0) fail(HR.E_INVALIDARG, 'engine fault hresult must be a failure code');
  const message = typeof doc.message === 'string' ? doc.message : 'injected realization failure';
  return {
    call: call as Call,
    ms: 0,
    failure: new HcsdFailure(hresult, `sim engine: ${message}`),
    remaining: int('count', 1, 1e6),
  };
}

class SimVm implements EngineVm {
  readonly #system: SystemView;
  readonly #faults: RealizeFault[] = [];
  /** The emulated guest agent, for a VM whose configuration has `VirtualMachine.GuestConnection`. */
  readonly #guest: GuestAgent | undefined;
  readonly #onDispose: () => void;

  constructor(system: SystemView, host: EngineHost, logger: Logger, onDispose: () => void) {
    this.#system = system;
    this.#onDispose = onDispose;
    if (system.kind === 'VirtualMachine' && GuestAgent.wanted(system.config)) {
      // The guest powering itself off reaches the service on a later turn, after the reply path.
      this.#guest = new GuestAgent(system, logger, (exitType) => setImmediate(() => host.exited(exitType)));
    }
  }

  /** An armed fault of `call` takes effect: wait (abortable), then fail if it says so. */
  async #realize(call: Call, signal: AbortSignal): Promise<void> {
    const i = this.#faults.findIndex((f) => f.call === call);
    const f = this.#faults[i];
    if (f === undefined) return;
    if (--f.remaining === 0) this.#faults.splice(i, 1);
    if (f.ms > 0) await abortableDelay(f.ms, signal);
    if (f.failure !== undefined) throw f.failure;
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.#realize('start', signal);
    this.#guest?.start();
  }

  async pause(signal: AbortSignal): Promise<void> {
    await this.#realize('pause', signal);
    this.#guest?.pause();
  }

  async resume(signal: AbortSignal): Promise<void> {
    await this.#realize('resume', signal);
    this.#guest?.resume();
  }

  async save(_call: unknown, signal: AbortSignal): Promise<void> {
    await this.#realize('save', signal);
  }

  async shutdown(signal: AbortSignal): Promise<void> {
    await this.#realize('shutdown', signal);
    this.#guest?.stop();
  }

  async terminate(): Promise<void> {
    this.#guest?.stop();
  }

  async crash(signal: AbortSignal): Promise<void> {
    await this.#realize('crash', signal);
    this.#guest?.stop();
  }

  async modify(_call: unknown, signal: AbortSignal): Promise<void> {
    await this.#realize('modify', signal);
  }

  async statistics(): Promise<EngineStatistics | undefined> {
    return undefined;
  }

  async inspect(what: string): Promise<unknown> {
    if (what === 'guest') return this.#agent().inspect();
    if (what === 'faults')
      return this.#faults.map((f) => ({
        call: f.call,
        ms: f.ms,
        hresult: f.failure?.hresult ?? null,
        remaining: f.remaining,
      }));
    return fail(HR.E_INVALIDARG, `the sim engine has no inspection ${JSON.stringify(what)}`);
  }

  /**
   * `{kind:'engine', id, fault}`: a realization fault of this VM (see `realizeFault`);
   * `{kind:'guest', id, fault:{kind, …}}`: a fault of this VM's guest agent.
   */
  async fault(doc: Obj): Promise<unknown> {
    const f = doc.fault;
    if (!isObj(f)) fail(HR.E_INVALIDARG, `${String(doc.kind)} fault needs a "fault" object`);
    if (doc.kind === 'engine') {
      this.#faults.push(realizeFault(f));
      return { ok: true };
    }
    const agent = this.#agent();
    try {
      switch (f.kind) {
        case 'drop':
          if (!agent.drop(f.stdio === true))
            fail(HR.HCS_E_INVALID_STATE, `guest of ${this.#system.id} is not connected`);
          break;
        case 'garbage':
        case 'oversized':
          if (f.when === 'now') agent.sendNow(f.kind, f);
          else agent.faults.add(f);
          break;
        case 'notify':
          agent.notify(f);
          break;
        case 'clear':
          agent.faults.clear();
          break;
        default:
          agent.faults.add(f);
      }
    } catch (e) {
      if (e instanceof GuestFailure) fail(e.hresult, e.message);
      throw e;
    }
    return { ok: true };
  }

  clearFaults(): void {
    this.#faults.length = 0;
    this.#guest?.faults.clear();
  }

  async dispose(): Promise<void> {
    this.#guest?.stop();
    this.#onDispose();
  }

  #agent(): GuestAgent {
    if (this.#guest === undefined)
      fail(
        HR.ERROR_NOT_FOUND,
        `compute system ${this.#system.id} has no guest agent (no VirtualMachine.GuestConnection)`,
      );
    return this.#guest;
  }
}

/** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
