/**
 * `UtilityVM`: a Hyper-V utility VM (a compute system whose configuration has `VirtualMachine`).
 *
 * Core owns creation/opening, `modify` (validated before it is sent), the exit event, closing, and
 * the plugin registry. Lifecycle verbs (start, shutdown, …) and resource managers arrive through
 * `UtilityVM.use(plugin)`; managers reach the handle through {@link systemOf}.
 */
import {
  assertValid,
  ComputeSystem as ComputeSystemSchema,
  checkModifySettingRequest,
  InvalidArgumentError,
  SchemaValidationError,
} from '@uvmkit/hcs-schema';
import { ComputeSystem, checkSystemId, type SystemExitStatus } from './compute-system.js';
import { ClosedError, HcsError, invalidArgument, LocalCode } from './errors.js';
import type { Subscription } from './events.js';
import { childLogger, type Logger, silentLogger } from './logger.js';
import { coreCopies } from './native/load.js';
import { abortedError, type CallOptions, checkCallOptions } from './options.js';
import {
  declaredMethod,
  installPlugin,
  PLUGINS,
  type Plugin,
  type PluginRegistry,
  pluginMissingError,
} from './plugins.js';
import { TracingChannels, traced } from './tracing.js';
import { takeValidated } from './validated-request.js';
import { CORE_VERSION } from './version.js';

/** Options of `UtilityVM.create`. `timeout` bounds the whole create (each HCS call gets what is left). */
export interface CreateOptions extends CallOptions {
  logger?: Logger | undefined;
}

/** Options of `UtilityVM.open`. */
export interface OpenUtilityVMOptions {
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
}

/**
 * The key under which a UtilityVM keeps its ComputeSystem. Managers use {@link systemOf}; the
 * symbol is `Symbol.for('uvmkit.UtilityVM.system')` so every copy of core agrees on it.
 */
export const UVM_SYSTEM: unique symbol = Symbol.for('uvmkit.UtilityVM.system') as never;

function warnDuplicateCopies(logger: Logger): void {
  const copies = coreCopies();
  if (copies.length > 1) {
    logger.warn(
      'more than one copy of @uvmkit/hcs-core is loaded; plugins installed on one are not seen by the other',
      {
        copies: copies.map((c) => `${c.version} ${c.url}`),
      },
    );
  }
}

function validationToError(op: string, what: string, err: unknown): HcsError {
  if (err instanceof SchemaValidationError) {
    return invalidArgument(op, err.message, err);
  }
  if (err instanceof InvalidArgumentError) return invalidArgument(op, `${what}: ${err.message}`, err);
  return invalidArgument(op, `invalid ${what}`, err);
}

/** Remaining ms of a deadline (for a total timeout split over several calls). */
function remaining(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, Math.min(0xfffffffe, deadline - Date.now()));
}

/** Managers add their methods here (module augmentation of '@uvmkit/hcs-core'). */
// biome-ignore lint/suspicious/noEmptyInterface: managers augment this interface
export interface UtilityVM {}

/** A utility VM. Create with `UtilityVM.create`, or attach to a running one with `UtilityVM.open`. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: managers augment the interface above
export class UtilityVM {
  /** The compute system id. */
  readonly id: string;
  /** The VM's runtime id (a GUID; the HvSocket VM id), read with GetProperties at create/open. */
  readonly runtimeId: string;
  /** The logger given at create/open, scoped with `uvmId`. */
  readonly logger: Logger;
  readonly [UVM_SYSTEM]: ComputeSystem;
  #exited: Promise<SystemExitStatus> | undefined;

  private constructor(system: ComputeSystem, runtimeId: string, logger: Logger) {
    this.id = system.id;
    this.runtimeId = runtimeId;
    this.logger = logger;
    this[UVM_SYSTEM] = system;
  }

  /**
   * Validate `id` (non-empty, ≤ 256 characters, no control characters) and `config` (an HCS
   * `ComputeSystem` document with `VirtualMachine`) — bad input rejects with `InvalidArgument` and
   * nothing is sent — then create the system and read its RuntimeId. On any failure after the
   * create was sent (including an abort that arrives after the create succeeded) the system is
   * terminated and closed before the promise rejects.
   */
  static async create(id: string, config: object, options: CreateOptions = {}): Promise<UtilityVM> {
    const op = 'UtilityVM.create';
    checkSystemId(op, id);
    checkCallOptions(op, options);
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw invalidArgument(op, 'config must be a ComputeSystem document (an object)');
    }
    try {
      assertValid(ComputeSystemSchema, config, 'ComputeSystem configuration');
    } catch (err) {
      throw validationToError(op, 'configuration', err);
    }
    if ((config as { VirtualMachine?: unknown }).VirtualMachine === undefined) {
      throw new HcsError(
        LocalCode.InvalidArgument,
        `${op}: invalid ComputeSystem configuration: VirtualMachine: is required for a utility VM`,
        {
          op,
        },
      );
    }
    const logger = childLogger(options.logger ?? silentLogger, { uvmId: id });
    const { signal } = options;
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    const system = await ComputeSystem.create(id, config, { signal, timeout: options.timeout, logger });
    warnDuplicateCopies(logger);
    try {
      if (signal?.aborted) throw abortedError(op, signal.reason, id);
      const props = await system.getProperties({}, { signal, timeout: remaining(deadline) });
      const runtimeId = typeof props.RuntimeId === 'string' ? props.RuntimeId : '';
      if (signal?.aborted) throw abortedError(op, signal.reason, id);
      logger.info('utility VM created', { runtimeId });
      return new UtilityVM(system, runtimeId, logger);
    } catch (err) {
      logger.debug('create failed after the system was made; tearing down', { err });
      try {
        await system.terminate();
      } catch (terr) {
        logger.debug('terminate during teardown failed (ignored)', { err: terr });
      }
      await system.close();
      throw err;
    }
  }

  /** Open an existing utility VM by id and read its RuntimeId. */
  static async open(id: string, options: OpenUtilityVMOptions = {}): Promise<UtilityVM> {
    const op = 'UtilityVM.open';
    checkSystemId(op, id);
    checkCallOptions(op, options);
    const logger = childLogger(options.logger ?? silentLogger, { uvmId: id });
    const system = await ComputeSystem.open(id, { signal: options.signal, logger });
    warnDuplicateCopies(logger);
    try {
      const props = await system.getProperties({}, { signal: options.signal });
      if (props.SystemType !== undefined && props.SystemType !== 'VirtualMachine') {
        throw invalidArgument(
          op,
          `${JSON.stringify(id)} is a ${String(props.SystemType)}, not a VirtualMachine`,
        );
      }
      return new UtilityVM(system, typeof props.RuntimeId === 'string' ? props.RuntimeId : '', logger);
    } catch (err) {
      await system.close();
      throw err;
    }
  }

  /**
   * Send a ModifySettingRequest. It is validated first (envelope, `ResourcePath` against the known
   * resource paths, `RequestType`, and `Settings` against the path's schema); a bad request rejects
   * with `InvalidArgument` (`op` `'UtilityVM.modify'`, message names the field path) and nothing is
   * sent. A typed request (hcs-schema's `modifySettingRequest`) is checked against the spec of the
   * descriptor it carries, without parsing its path; one a manager's `modifyResource` already
   * validated is sent without validating it again.
   */
  async modify(request: object, options?: CallOptions): Promise<void> {
    const op = 'UtilityVM.modify';
    const validated = takeValidated(request);
    const system = this[UVM_SYSTEM];
    if (system.closed) throw new ClosedError(`utility VM ${JSON.stringify(this.id)}`, op);
    checkCallOptions(op, options);
    const issues = validated ? [] : checkModifySettingRequest(request).issues;
    const first = issues[0];
    if (first !== undefined) {
      throw invalidArgument(
        op,
        `invalid ModifySettingRequest: ${first.path === '' ? '(root)' : first.path}: ${first.message}`,
        new SchemaValidationError('ModifySettingRequest', issues),
      );
    }
    const { ResourcePath, RequestType } = request as { ResourcePath?: string; RequestType?: string };
    await traced(
      TracingChannels.modify,
      { vmId: this.id, operation: op, resourcePath: ResourcePath, requestType: RequestType },
      () => system.modify(request, options),
    );
  }

  /** Subscribe to the exit event (called on the next tick if the VM already exited). */
  onExit(listener: (status: SystemExitStatus) => void): Subscription {
    return this[UVM_SYSTEM].onExit(listener);
  }

  /**
   * Resolves with the exit status when the VM exits. If the handle is closed (or the service
   * disconnects) first it rejects — a rejection that is already handled, so ignoring this promise
   * never produces an unhandled rejection. Observing it does not keep the process alive (listeners
   * race against it); `await wait(vm)` of `@uvmkit/lifetime` waits for the VM and holds the process.
   */
  get exited(): Promise<SystemExitStatus> {
    if (this.#exited === undefined) {
      this.#exited = this[UVM_SYSTEM].waitForExit({ ref: false });
      this.#exited.catch(() => {});
    }
    return this.#exited;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this[UVM_SYSTEM].closed;
  }

  /** Close the handle (idempotent; waits for calls in flight). The VM keeps running unless its config says ShouldTerminateOnLastHandleClosed. */
  close(): Promise<void> {
    return this[UVM_SYSTEM].close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Install a manager plugin. Same plugin again: no-op. A method name already taken: `PluginConflict`.
   * Core version outside `plugin.coreRange`: `PluginVersion`. Returns `UtilityVM` for chaining.
   */
  static use(plugin: Plugin<UtilityVM>): typeof UtilityVM {
    installPlugin(UtilityVM as never, plugin as Plugin<never>, CORE_VERSION);
    return UtilityVM;
  }

  /** Whether a plugin named `name` is installed. */
  static has(name: string): boolean {
    const registry = (UtilityVM as unknown as { [PLUGINS]?: PluginRegistry })[PLUGINS];
    return registry?.has(name) ?? false;
  }

  /** Names of the installed plugins. */
  static plugins(): string[] {
    const registry = (UtilityVM as unknown as { [PLUGINS]?: PluginRegistry })[PLUGINS];
    return registry === undefined ? [] : [...registry.keys()];
  }
}

/**
 * A manager's methods are on `UtilityVM`'s type as soon as its package is imported (module
 * augmentation), but on the prototype only after `UtilityVM.use(plugin)`. A lookup that misses
 * the prototype ends here: a method some plugin declared (definePlugin) is answered with a
 * function that throws `PluginMissing` naming the package and `UtilityVM.use(...)`; any other
 * name, and `in` / `has` checks, behave as on a plain object (`'addSCSIDisk' in vm` stays false).
 */
const notInstalled = new Proxy(Object.prototype, {
  get(target, key, receiver) {
    if (typeof key === 'string' && !(key in target)) {
      const owner = declaredMethod(key);
      if (owner !== undefined) {
        return {
          [key]() {
            throw pluginMissingError(key, owner);
          },
        }[key];
      }
    }
    return Reflect.get(target, key, receiver);
  },
});
Object.setPrototypeOf(UtilityVM.prototype, notInstalled);

/** The ComputeSystem behind a UtilityVM: the narrow capability managers build on. */
export function systemOf(vm: UtilityVM): ComputeSystem {
  const system = (vm as { [UVM_SYSTEM]?: ComputeSystem } | null)?.[UVM_SYSTEM];
  if (system === undefined) throw invalidArgument('systemOf', 'not a UtilityVM');
  return system;
}

/** Throw a `PluginMissing` error unless the manager `name` is installed (assert at start-up). */
export function requireManager(vm: UtilityVM | typeof UtilityVM, name: string): void {
  void vm;
  if (!UtilityVM.has(name)) {
    throw new HcsError(
      LocalCode.PluginMissing,
      `the ${JSON.stringify(name)} manager is not installed; call UtilityVM.use(...) at start-up`,
      { op: 'requireManager' },
    );
  }
}
