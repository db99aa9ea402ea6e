import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { HcsError } from '../src/errors.js';
import { definePlugin, PLUGINS, satisfies } from '../src/plugins.js';
import { requireManager, UtilityVM } from '../src/utility-vm.js';
import { CORE_VERSION } from '../src/version.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as HcsError).code;
  }
  return undefined;
}

describe('satisfies (npm semver ranges)', () => {
  it.each([
    ['0.1.0', '^0.1.0', true],
    ['0.1.9', '^0.1.0', true],
    ['0.2.0', '^0.1.0', false],
    ['1.4.2', '^1.2.0', true],
    ['2.0.0', '^1.2.0', false],
    ['1.1.9', '^1.2.0', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.9.0', '~1', true],
    ['0.1.5', '0.1.x', true],
    ['0.2.0', '0.1.x', false],
    ['3.0.0', '*', true],
    ['0.5.0', '0.x', true],
    ['0.1.0', '>=0.1.0 <0.3.0', true],
    ['0.3.0', '>=0.1.0 <0.3.0', false],
    ['2.1.0', '^1.0.0 || ^2.0.0', true],
    ['0.1.0-beta.1', '^0.1.0', true],
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '=1.2.3', false],
  ])('%s in %s → %s', (v, r, ok) => {
    expect(satisfies(v, r)).toBe(ok);
  });
  it('rejects garbage ranges', () => {
    expect(codeOf(() => satisfies('1.0.0', 'banana'))).toBe('InvalidArgument');
  });
});

describe('CORE_VERSION', () => {
  it('equals package.json version', () => {
    expect(CORE_VERSION).toBe(pkg.version);
  });
});

describe('UtilityVM.use', () => {
  const calls: unknown[][] = [];
  const alpha = definePlugin<UtilityVM, { alphaOne: (vm: UtilityVM, x: number) => string }>({
    name: 'test-alpha',
    coreRange: '^1.0.0',
    methods: {
      alphaOne: (vm, x) => {
        calls.push([vm, x]);
        return `alpha:${x}`;
      },
    },
  });

  it('installs methods that receive the VM first; definePlugin freezes', () => {
    expect(Object.isFrozen(alpha)).toBe(true);
    expect(Object.isFrozen(alpha.methods)).toBe(true);
    expect(UtilityVM.has('test-alpha')).toBe(false);
    expect(UtilityVM.use(alpha)).toBe(UtilityVM);
    expect(UtilityVM.has('test-alpha')).toBe(true);
    const fake = Object.create(UtilityVM.prototype) as UtilityVM & { alphaOne(x: number): string };
    expect(fake.alphaOne(3)).toBe('alpha:3');
    expect(calls).toEqual([[fake, 3]]);
    // registry lives on the class, under Symbol.for('uvmkit.plugins')
    const registry = (UtilityVM as unknown as Record<symbol, Map<string, unknown>>)[
      Symbol.for('uvmkit.plugins')
    ];
    expect(PLUGINS).toBe(Symbol.for('uvmkit.plugins'));
    expect([...registry!.keys()]).toContain('test-alpha');
  });

  it('same plugin twice is a no-op', () => {
    const before = Object.getOwnPropertyDescriptor(UtilityVM.prototype, 'alphaOne')?.value;
    expect(() => UtilityVM.use(alpha)).not.toThrow();
    expect(Object.getOwnPropertyDescriptor(UtilityVM.prototype, 'alphaOne')?.value).toBe(before);
    expect(UtilityVM.plugins().filter((n) => n === 'test-alpha')).toHaveLength(1);
  });

  it('a method-name collision with another plugin is PluginConflict, nothing installed', () => {
    const beta = definePlugin<UtilityVM, Record<string, (vm: UtilityVM) => number>>({
      name: 'test-beta',
      coreRange: '^1.0.0',
      methods: { betaOne: () => 1, alphaOne: () => 2 },
    });
    let err: HcsError | undefined;
    try {
      UtilityVM.use(beta);
    } catch (e) {
      err = e as HcsError;
    }
    expect(err).toBeInstanceOf(HcsError);
    expect(err?.code).toBe('PluginConflict');
    expect(err?.message).toBe(
      'UtilityVM.use: plugin test-beta defines alphaOne, already provided by plugin test-alpha',
    );
    expect('betaOne' in UtilityVM.prototype).toBe(false);
    expect(UtilityVM.has('test-beta')).toBe(false);
  });

  it('a collision with a core member is PluginConflict', () => {
    for (const name of ['modify', 'close', 'onExit', 'constructor', 'toString']) {
      const p = definePlugin<UtilityVM, Record<string, () => void>>({
        name: `test-core-${name}`,
        coreRange: '^1.0.0',
        methods: { [name]: () => {} },
      });
      expect(codeOf(() => UtilityVM.use(p))).toBe('PluginConflict');
    }
  });

  it('another plugin with the same name but different methods is PluginConflict', () => {
    const impostor = definePlugin<UtilityVM, Record<string, () => void>>({
      name: 'test-alpha',
      coreRange: '^1.0.0',
      methods: { other: () => {} },
    });
    expect(codeOf(() => UtilityVM.use(impostor))).toBe('PluginConflict');
  });

  it('another copy of an installed plugin is still checked against the core version', () => {
    const staleCopy = definePlugin<UtilityVM, Record<string, () => string>>({
      name: 'test-alpha',
      coreRange: '^0.1.0',
      methods: { alphaOne: () => 'stale' },
    });
    expect(codeOf(() => UtilityVM.use(staleCopy))).toBe('PluginVersion');
    const sameCopy = definePlugin<UtilityVM, Record<string, () => string>>({
      name: 'test-alpha',
      coreRange: '^1.0.0',
      methods: { alphaOne: () => 'copy' },
    });
    expect(codeOf(() => UtilityVM.use(sameCopy))).toBeUndefined();
  });

  it('an unsupported core version is PluginVersion', () => {
    const future = definePlugin<UtilityVM, Record<string, () => void>>({
      name: 'test-future',
      coreRange: '^2.0.0',
      methods: { futureOne: () => {} },
    });
    let err: HcsError | undefined;
    try {
      UtilityVM.use(future);
    } catch (e) {
      err = e as HcsError;
    }
    expect(err?.code).toBe('PluginVersion');
    expect(err?.message).toBe(
      `UtilityVM.use: plugin test-future supports @uvmkit/hcs-core ^2.0.0, but ${CORE_VERSION} is loaded`,
    );
    expect('futureOne' in UtilityVM.prototype).toBe(false);
    const bad = definePlugin<UtilityVM, Record<string, () => void>>({
      name: 'test-badrange',
      coreRange: 'not-a-range',
      methods: { badOne: () => {} },
    });
    expect(codeOf(() => UtilityVM.use(bad))).toBe('PluginVersion');
  });

  it('malformed plugins are InvalidArgument', () => {
    expect(codeOf(() => UtilityVM.use(null as never))).toBe('InvalidArgument');
    expect(codeOf(() => UtilityVM.use({ name: '', coreRange: '*', methods: {} } as never))).toBe(
      'InvalidArgument',
    );
    expect(codeOf(() => UtilityVM.use({ name: 'x', coreRange: '*', methods: { a: 1 } } as never))).toBe(
      'InvalidArgument',
    );
  });

  it('requireManager throws PluginMissing for an absent manager', () => {
    expect(() => requireManager(UtilityVM, 'test-alpha')).not.toThrow();
    expect(codeOf(() => requireManager(UtilityVM, 'nope'))).toBe('PluginMissing');
  });
});
