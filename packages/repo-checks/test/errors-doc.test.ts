/**
 * packages/hcs-core/ERRORS.md lists every error code and predicate of the packages, follows the
 * one convention (HRESULT names UPPER_SNAKE, local codes PascalCase; uvmctl's CliError codes too), and
 * lists nothing stale.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { root, workspacePackages } from './workspace.js';

const doc = readFileSync(join(root, 'packages/hcs-core/ERRORS.md'), 'utf8');
const documented = new Set([...doc.matchAll(/^\| `([A-Za-z_0-9#]+)` \|/gm)].map((m) => m[1]!));

const core = (await import(join(root, 'packages/hcs-core/dist/index.js'))) as Record<string, unknown>;
const hvsocket = (await import(join(root, 'packages/hcs-core/dist/hvsocket/index.js'))) as Record<
  string,
  unknown
>;
const guest = (await import(join(root, 'packages/guestmanager/dist/index.js'))) as Record<string, unknown>;

const values = (o: unknown): string[] => Object.values(o as Record<string, string>);
const hresultNames = Object.keys(core.HRESULT as object);
const localCodes = [...values(core.LocalCode), ...values(hvsocket.HvSocketCode), ...values(guest.GuestCode)];

/** `readonly code = 'X'` and `readonly code: 'X' | 'Y'` in every package's src. */
function classCodes(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/readonly code(?: = |: )((?:'[A-Za-z_]+'(?: as const)?(?: \| )?)+)/g)) {
          for (const c of m[1]!.matchAll(/'([A-Za-z_]+)'/g)) found.push(c[1]!);
        }
      }
    }
  };
  for (const p of workspacePackages()) {
    try {
      walk(join(p.dir, 'src'));
    } catch {
      // a package without src (linux-guest)
    }
  }
  return [...new Set(found)];
}

/** uvmctl's own codes: `new CliError('X', …)` and the `{ code: 'X' }` of its JSON error output. */
function cliCodes(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/new CliError\(\s*'([A-Za-z_]+)'|\bcode: '([A-Za-z_]+)'/g)) {
          found.push((m[1] ?? m[2])!);
        }
      }
    }
  };
  walk(join(root, 'packages/cli/src'));
  return [...new Set(found)];
}

test('every HRESULT name, local code and error-class code is documented', () => {
  expect(cliCodes().length).toBeGreaterThanOrEqual(4);
  const missing = [...hresultNames, ...localCodes, ...classCodes(), ...cliCodes()].filter(
    (c) => !documented.has(c),
  );
  expect(missing).toEqual([]);
  expect(classCodes().length).toBeGreaterThanOrEqual(10);
});

test('one convention: HRESULT names UPPER_SNAKE, every other code PascalCase', () => {
  for (const c of hresultNames) expect(c, c).toMatch(/^[A-Z][A-Z0-9_]+$/);
  for (const c of [...localCodes, ...classCodes(), ...cliCodes()])
    expect(c, c).toMatch(/^[A-Z][a-z]+(?:[A-Z][a-z0-9]*)*$/);
});

test('every exported predicate is documented', () => {
  const predicates = Object.keys(core).filter((k) => /^is[A-Z]/.test(k) && typeof core[k] === 'function');
  expect(predicates.length).toBeGreaterThanOrEqual(15);
  expect(predicates.filter((p) => !documented.has(p))).toEqual([]);
});

test('nothing documented is stale', () => {
  const known = new Set([
    ...hresultNames,
    ...localCodes,
    ...classCodes(),
    ...cliCodes(),
    ...Object.keys(core).filter((k) => /^is[A-Z]/.test(k)),
    'HRESULT_0x########',
  ]);
  expect([...documented].filter((c) => !known.has(c))).toEqual([]);
});
