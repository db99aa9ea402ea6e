/**
 * The plugin contract and registry helpers behind `UtilityVM.use()`.
 *
 * A plugin is a plain object `{ name, coreRange, methods }`; `methods[k](vm, ...args)` becomes
 * `vm.k(...args)`. The registry belongs to the core class (under `Symbol.for('uvmkit.plugins')`),
 * never to the plugin or a module global. Installing the same plugin again is a no-op; a method
 * name already taken (by core or another plugin) is a `PluginConflict`; a core version outside
 * `coreRange` is a `PluginVersion` error. Nothing is installed unless every check passes.
 */
import semver from 'semver';
import { HcsError, invalidArgument, LocalCode } from './errors.js';
import { CORE_VERSION } from './version.js';

/** A manager method: receives the VM first. */
// biome-ignore lint/suspicious/noExplicitAny: plugin methods take arbitrary arguments
export type PluginMethod<V> = (vm: V, ...args: any[]) => unknown;

/** A manager plugin. */
export interface Plugin<
  V = unknown,
  M extends Record<string, PluginMethod<V>> = Record<string, PluginMethod<V>>,
> {
  /** Unique plugin name, e.g. `'lifetime'` (used by `UtilityVM.has` / `requireManager`). */
  readonly name: string;
  /** Supported hcs-core versions: an npm semver range (`^1.0.0`, `~1.2`, `1.x`, `>=1.0.0 <3.0.0`, `a || b`). */
  readonly coreRange: string;
  /** The methods to install. */
  readonly methods: M;
  /**
   * The npm package that provides the plugin, e.g. `'@uvmkit/scsi'`: named in the `PluginMissing`
   * error when one of its methods is called before `UtilityVM.use(plugin)`.
   */
  readonly packageName?: string;
}

/** Drop the leading `vm` parameter of every method: the members a plugin adds to UtilityVM. */
export type InstalledMethods<M> = {
  // biome-ignore lint/suspicious/noExplicitAny: matching any method shape
  [K in keyof M]: M[K] extends (vm: any, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/**
 * Identity helper that freezes the plugin object and keeps the method types. It also records the
 * plugin's method names as *declared* (nothing is installed): a declared method called on a
 * UtilityVM before `UtilityVM.use(plugin)` throws a `PluginMissing` error naming the plugin, its
 * package and `UtilityVM.use(...)`, instead of a bare `TypeError: vm.x is not a function`.
 */
export function definePlugin<V, const M extends Record<string, PluginMethod<V>>>(
  plugin: Plugin<V, M>,
): Plugin<V, M> {
  const frozen = Object.freeze({ ...plugin, methods: Object.freeze({ ...plugin.methods }) });
  declarePlugin(frozen as Plugin<never>);
  return frozen;
}

/** Who declares a method name: the plugin and (when it says) its package. */
export interface DeclaredMethod {
  readonly plugin: string;
  readonly packageName: string | undefined;
}

const DECLARED: unique symbol = Symbol.for('uvmkit.plugins.declared') as never;

/** Method name → declaring plugin, shared by every copy of hcs-core (it only feeds error messages). */
function declared(): Map<string, DeclaredMethod> {
  const g = globalThis as { [DECLARED]?: Map<string, DeclaredMethod> };
  let map = g[DECLARED];
  if (map === undefined) {
    map = new Map();
    Object.defineProperty(g, DECLARED, { value: map, enumerable: false });
  }
  return map;
}

function declarePlugin(plugin: Plugin<never>): void {
  if (typeof plugin.name !== 'string' || typeof plugin.methods !== 'object' || plugin.methods === null)
    return;
  const packageName = typeof plugin.packageName === 'string' ? plugin.packageName : undefined;
  for (const k of Object.keys(plugin.methods)) {
    if (!declared().has(k)) declared().set(k, { plugin: plugin.name, packageName });
  }
}

/** @internal The plugin that declares method `name` (through definePlugin), if any. */
export function declaredMethod(name: string): DeclaredMethod | undefined {
  return declared().get(name);
}

/** @internal The error of a declared method called before its plugin was installed. */
export function pluginMissingError(method: string, owner: DeclaredMethod): HcsError {
  const from = owner.packageName === undefined ? '' : ` from ${owner.packageName}`;
  const pkg =
    owner.packageName === undefined ? `the ${JSON.stringify(owner.plugin)} manager` : owner.packageName;
  return new HcsError(
    LocalCode.PluginMissing,
    `vm.${method}() is provided by ${pkg}, which is not installed on UtilityVM: call UtilityVM.use(${owner.plugin}) at start-up (import { ${owner.plugin} }${from})`,
    { op: method },
  );
}

/** The registry key on the core class. */
export const PLUGINS: unique symbol = Symbol.for('uvmkit.plugins') as never;

/** What the registry records per installed plugin. */
export interface InstalledPlugin {
  readonly plugin: Plugin<never>;
  readonly methods: readonly string[];
}

export type PluginRegistry = Map<string, InstalledPlugin>;

/**
 * Whether `version` satisfies `range`, as npm reads ranges (the `semver` package): `^`, `~`,
 * x-ranges (`1.x`, `1.2.*`, `*`), comparators, hyphen ranges, intersections and `||` unions.
 * A prerelease tag of `version` is ignored (`1.1.0-beta.1` is in `^1.0.0`). Throws InvalidArgument
 * for a range or version it cannot parse.
 */
export function satisfies(version: string, range: string): boolean {
  const v = typeof version === 'string' ? semver.parse(version.trim()) : null;
  if (v === null) throw invalidArgument('satisfies', `not a version: ${JSON.stringify(version)}`);
  if (typeof range !== 'string' || semver.validRange(range) === null) {
    throw invalidArgument('satisfies', `not a semver range: ${JSON.stringify(range)}`);
  }
  return semver.satisfies(`${v.major}.${v.minor}.${v.patch}`, range);
}

/**
 * Install `plugin.methods` on the prototype of a manager's own class (guestmanager's `Guest`)
 * through the same registry and checks as `UtilityVM.use` (same plugin again: no-op; a name taken:
 * `PluginConflict`; `coreRange` excluding this core: `PluginVersion`). Call it when the first
 * instance is made, not at import.
 */
export function installMethods(target: { prototype: object }, plugin: Plugin<never>): void {
  installPlugin(target, plugin, CORE_VERSION);
}

/** @internal Validate, check and install `plugin` on `target` (a class); see UtilityVM.use. */
export function installPlugin(
  target: { prototype: object; [PLUGINS]?: PluginRegistry },
  plugin: Plugin<never>,
  coreVersion: string,
): void {
  const op = 'UtilityVM.use';
  if (typeof plugin !== 'object' || plugin === null) throw invalidArgument(op, 'plugin must be an object');
  const { name, coreRange, methods } = plugin;
  if (typeof name !== 'string' || name === '')
    throw invalidArgument(op, 'plugin.name must be a non-empty string');
  if (typeof coreRange !== 'string') throw invalidArgument(op, `plugin ${name}: coreRange must be a string`);
  if (typeof methods !== 'object' || methods === null) {
    throw invalidArgument(op, `plugin ${name}: methods must be an object`);
  }
  const names = Object.keys(methods);
  for (const k of names) {
    if (typeof (methods as Record<string, unknown>)[k] !== 'function') {
      throw invalidArgument(op, `plugin ${name}: methods.${k} is not a function`);
    }
  }
  let registry = Object.hasOwn(target, PLUGINS) ? target[PLUGINS] : undefined;
  if (registry === undefined) {
    registry = new Map();
    Object.defineProperty(target, PLUGINS, { value: registry, enumerable: false });
  }
  let ok: boolean;
  try {
    ok = satisfies(coreVersion, coreRange);
  } catch (err) {
    throw new HcsError(
      LocalCode.PluginVersion,
      `${op}: plugin ${name} has an invalid coreRange ${JSON.stringify(coreRange)}`,
      {
        op,
        cause: err,
      },
    );
  }
  if (!ok) {
    throw new HcsError(
      LocalCode.PluginVersion,
      `${op}: plugin ${name} supports @uvmkit/hcs-core ${coreRange}, but ${coreVersion} is loaded`,
      { op },
    );
  }
  const existing = registry.get(name);
  if (existing !== undefined) {
    const same =
      existing.plugin === plugin ||
      (existing.methods.length === names.length && names.every((k) => existing.methods.includes(k)));
    if (same) return; // same plugin again (or another copy of it, whose coreRange was checked above): no-op
    throw new HcsError(
      LocalCode.PluginConflict,
      `${op}: another plugin named ${JSON.stringify(name)} is installed`,
      {
        op,
      },
    );
  }
  for (const k of names) {
    if (k in target.prototype) {
      const owner = [...registry.values()].find((p) => p.methods.includes(k));
      throw new HcsError(
        LocalCode.PluginConflict,
        `${op}: plugin ${name} defines ${k}, already provided by ${owner === undefined ? 'UtilityVM itself' : `plugin ${owner.plugin.name}`}`,
        { op },
      );
    }
  }
  for (const k of names) {
    const impl = (methods as Record<string, (vm: unknown, ...args: unknown[]) => unknown>)[k]!;
    Object.defineProperty(target.prototype, k, {
      value: {
        [k](this: unknown, ...args: unknown[]) {
          return impl(this, ...args);
        },
      }[k],
      writable: false,
      enumerable: false,
      configurable: true,
    });
  }
  registry.set(name, { plugin, methods: names });
}
