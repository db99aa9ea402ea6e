/**
 * The `sim` engine: nothing runs, every change the service validated is realized by being
 * committed to the device table. A VM whose configuration asks for a guest connection gets the
 * emulated guest agent, which dials the host's GCS listener after start and powers the VM off when
 * asked to shut the null container down. The default engine: no VMM needed.
 */
import type { Engine, EngineHost, EngineStatistics, EngineVm, Logger, SystemView } from '../../engine.js';
import { fail, HR } from '../../errors.js';
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

class SimVm implements EngineVm {
  readonly #system: SystemView;
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

  async start(): Promise<void> {
    this.#guest?.start();
  }

  async pause(): Promise<void> {
    this.#guest?.pause();
  }

  async resume(): Promise<void> {
    this.#guest?.resume();
  }

  async save(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.#guest?.stop();
  }

  async terminate(): Promise<void> {
    this.#guest?.stop();
  }

  async crash(): Promise<void> {
    this.#guest?.stop();
  }

  async modify(): Promise<void> {}

  async statistics(): Promise<EngineStatistics | undefined> {
    return undefined;
  }

  async inspect(what: string): Promise<unknown> {
    if (what !== 'guest') fail(HR.E_INVALIDARG, `the sim engine has no inspection ${JSON.stringify(what)}`);
    return this.#agent().inspect();
  }

  /** `{kind:'guest', id, fault:{kind, …}}`: a fault of this VM's guest agent. */
  async fault(doc: Obj): Promise<unknown> {
    const agent = this.#agent();
    const f = doc.fault;
    if (!isObj(f)) fail(HR.E_INVALIDARG, 'guest fault needs a "fault" object');
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

  /** Clear every fault (the service's `clear` fault). */
  clearFaults(): void {
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
